// The layers TF tutorials reach for first (LayerNormalization, Softmax, Rescaling, Normalization,
// Lambda, GlobalAveragePooling1D, Conv1D, Conv2DTranspose, EinsumDense, MultiHeadAttention,
// SimpleRNN, LSTM, GRU):
// forwards against Keras 3 (tests/fixtures/gen_keras_layers.py), gradients against central
// differences, Keras's own .weights.h5 files loaded into the same models, summaries, TF checkpoint
// keys, typed errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tapeflow/serialization/h5_weights.h"
#include "tests/core/test_util.h"
#include "tests/nn/fixtures/keras_layers_fixtures.h"
#include "tests/nn/layer_gradient_check.h"
#include "tests/serialization/ckpt_test_util.h"

namespace {
namespace K = tf::keras;
namespace L = tf::keras::layers;
namespace fx = fixtures::keras_layers;
using tf::testing::check_gradients;
using tf::testing::check_layer_gradients;
using tf::testing::uniform64;

tf::Tensor from(const fx::Case& c, tf::DType dtype = tf::float64) {
  return tf::constant(c.values, tf::Shape(c.shape), dtype);
}
void expect_case(const tf::Tensor& got, const fx::Case& want, double tol = 1e-9) {
  tf::testing::expect_values(got, tf::Shape(want.shape), want.values, tol);
}
// Gives a built layer Keras's weights, in Keras's order (layer.weights).
void set_weights(const K::layers::Layer& layer, std::vector<const fx::Case*> weights) {
  auto vars = layer.variables();
  ASSERT_EQ(vars.size(), weights.size()) << layer.name();
  for (std::size_t i = 0; i < vars.size(); ++i) {
    ASSERT_EQ(vars[i].shape(), tf::Shape(weights[i]->shape)) << layer.name() << " weight " << i;
    vars[i].assign(from(*weights[i], vars[i].dtype()));
  }
}
std::string read_fixture(const std::string& name) {
  std::ifstream f(std::string(TAPEFLOW_TEST_DIR) + "/nn/fixtures/" + name);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// ---- forwards vs Keras ------------------------------------------------------------------------

TEST(LayerNormalization, MatchesKerasForAxesEpsilonCenterAndRmsScaling) {
  const tf::Tensor x = from(fx::ln_x);
  struct Case {
    L::LayerNormalizationOptions options;
    std::vector<const fx::Case*> weights;
    const fx::Case* want;
  };
  const Case cases[] = {
      {{.dtype = tf::float64}, {&fx::ln_default_w0, &fx::ln_default_w1}, &fx::ln_default},
      {{.axis = {1, 2}, .dtype = tf::float64}, {&fx::ln_axes12_w0, &fx::ln_axes12_w1}, &fx::ln_axes12},
      {{.epsilon = 1e-6, .center = false, .dtype = tf::float64}, {&fx::ln_eps_nocenter_w0}, &fx::ln_eps_nocenter},
      {{.rms_scaling = true, .dtype = tf::float64}, {&fx::ln_rms_w0}, &fx::ln_rms},
      {{.axis = 1, .dtype = tf::float64}, {&fx::ln_axis1_w0, &fx::ln_axis1_w1}, &fx::ln_axis1},
  };
  for (const Case& c : cases) {
    L::LayerNormalization ln(c.options);
    ln(x);
    set_weights(ln, c.weights);
    expect_case(ln(x), *c.want);
  }
  // float32 inputs and weights (the default).
  L::LayerNormalization ln32;
  ln32(from(fx::ln_x, tf::float32));
  set_weights(ln32, {&fx::ln_default_w0, &fx::ln_default_w1});
  expect_case(ln32(from(fx::ln_x, tf::float32)), fx::ln_default, 1e-5);
}

TEST(KerasLayers, SoftmaxRescalingAndPooling1DMatchKeras) {
  const tf::Tensor x = from(fx::ln_x);
  expect_case(L::Softmax()(x), fx::softmax_last);
  expect_case(L::Softmax({.axis = 1})(x), fx::softmax_axis1);
  expect_case(L::Rescaling(1.0 / 255, {.offset = -0.5, .dtype = tf::float64})(x), fx::rescaling);
  const tf::Tensor r = L::Rescaling(1.0 / 255, {.offset = -0.5})(from(fx::ln_x, tf::float32));
  EXPECT_EQ(r.dtype(), tf::float32);
  expect_case(r, fx::rescaling, 1e-6);
  // uint8 images become float32.
  const tf::Tensor img = tf::constant(std::vector<double>{0, 51, 255}, tf::Shape{1, 3}, tf::uint8);
  tf::testing::expect_values(L::Rescaling(1.0 / 255)(img), {1, 3}, {0.0, 0.2, 1.0}, 1e-7);
  expect_case(L::GlobalAveragePooling1D()(x), fx::gap1d);
  expect_case(L::GlobalAveragePooling1D({.keepdims = true})(x), fx::gap1d_keepdims);
  expect_case(L::GlobalMaxPooling1D()(x), fx::gmp1d);
}

TEST(Normalization, AdaptMatchesKeras) {
  const tf::Tensor data = from(fx::norm_data, tf::float32), test = from(fx::norm_test, tf::float32);
  L::Normalization norm;
  norm.adapt(data);
  expect_case(norm.mean(), fx::norm_mean, 1e-5);  // (1, 3), as Keras's layer.mean
  expect_case(norm.variance(), fx::norm_variance, 1e-5);
  expect_case(norm(test), fx::norm_out, 1e-5);
  // Keras's weights: mean, variance, count, all non-trainable.
  ASSERT_EQ(norm.variables().size(), 3u);
  EXPECT_EQ(norm.variables()[2].dtype(), tf::int64);
  EXPECT_TRUE(norm.trainable_variables().empty());

  L::Normalization all({.axis = {}});
  all.adapt(data);
  expect_case(all(test), fx::norm_none_out, 1e-5);

  L::Normalization two_axes({.axis = {1, 2}});
  const tf::Tensor data3 = from(fx::norm3_data, tf::float32);
  two_axes.adapt(data3);
  expect_case(two_axes(data3[tf::slice(0, 2)]), fx::norm3_out, 1e-5);

  // Over a batched dataset: the batches' statistics merged as Keras merges them.
  L::Normalization batched;
  batched.adapt(tf::data::Dataset::from_tensor_slices({data}).batch(7));
  expect_case(batched(test), fx::norm_out, 1e-5);
}

TEST(Normalization, GivenStatisticsAndInvertMatchKeras) {
  const tf::Tensor test = from(fx::norm_test, tf::float32);
  L::Normalization invert(
      {.mean = tf::constant({1.0, 2.0, 3.0}), .variance = tf::constant({4.0, 0.25, 1.0}), .invert = true});
  expect_case(invert(test), fx::norm_invert_out, 1e-5);
  EXPECT_TRUE(invert.variables().empty());
  expect_case(L::Normalization({.mean = tf::constant(2.0), .variance = tf::constant(9.0)})(test), fx::norm_fixed_out,
              1e-5);
}

TEST(Conv1D, ForwardMatchesKerasForPaddingStrideDilationAndCausal) {
  const tf::Tensor x = from(fx::conv1d_x);
  struct Case {
    int64_t filters, kernel_size;
    L::Conv1DOptions options;
    std::vector<const fx::Case*> weights;
    const fx::Case* want;
  };
  const Case cases[] = {
      {4, 3, {.dtype = tf::float64}, {&fx::conv1d_k3_valid_w0, &fx::conv1d_k3_valid_w1}, &fx::conv1d_k3_valid},
      {2,
       3,
       {.strides = 2, .padding = "same", .dtype = tf::float64},
       {&fx::conv1d_k3_s2_same_w0, &fx::conv1d_k3_s2_same_w1},
       &fx::conv1d_k3_s2_same},
      {3,
       2,
       {.padding = "causal", .dilation_rate = 2, .dtype = tf::float64},
       {&fx::conv1d_k2_d2_causal_w0, &fx::conv1d_k2_d2_causal_w1},
       &fx::conv1d_k2_d2_causal},
      {2,
       3,
       {.strides = 2, .padding = "causal", .dtype = tf::float64},
       {&fx::conv1d_k3_s2_causal_w0, &fx::conv1d_k3_s2_causal_w1},
       &fx::conv1d_k3_s2_causal},
      {4,
       1,
       {.activation = "relu", .use_bias = false, .dtype = tf::float64},
       {&fx::conv1d_k1_relu_nobias_w0},
       &fx::conv1d_k1_relu_nobias},
  };
  for (const Case& c : cases) {
    L::Conv1D conv(c.filters, c.kernel_size, c.options);
    conv(x);
    set_weights(conv, c.weights);
    expect_case(conv(x), *c.want);
  }
}

TEST(Conv2DTranspose, ForwardMatchesKerasForPaddingStrideAndOutputPadding) {
  const tf::Tensor x = from(fx::convt_x);
  struct Case {
    int64_t filters;
    L::IntPair kernel_size;
    L::Conv2DTransposeOptions options;
    std::vector<const fx::Case*> weights;
    const fx::Case* want;
  };
  const Case cases[] = {
      {2, 3, {.dtype = tf::float64}, {&fx::convt_k3_valid_w0, &fx::convt_k3_valid_w1}, &fx::convt_k3_valid},
      {4,
       3,
       {.strides = 2, .padding = "same", .dtype = tf::float64},
       {&fx::convt_k3_s2_same_w0, &fx::convt_k3_s2_same_w1},
       &fx::convt_k3_s2_same},
      {2,
       {2, 3},
       {.strides = {2, 1}, .dtype = tf::float64},
       {&fx::convt_k23_s21_valid_w0, &fx::convt_k23_s21_valid_w1},
       &fx::convt_k23_s21_valid},
      {2,
       2,
       {.strides = 3, .dtype = tf::float64},
       {&fx::convt_k2_s3_valid_w0, &fx::convt_k2_s3_valid_w1},
       &fx::convt_k2_s3_valid},
      {2,
       3,
       {.strides = 2, .padding = "same", .output_padding = 1, .dtype = tf::float64},
       {&fx::convt_k3_s2_same_op1_w0, &fx::convt_k3_s2_same_op1_w1},
       &fx::convt_k3_s2_same_op1},
      {2,
       3,
       {.strides = 2, .output_padding = 1, .activation = "tanh", .dtype = tf::float64},
       {&fx::convt_k3_s2_valid_op1_w0, &fx::convt_k3_s2_valid_op1_w1},
       &fx::convt_k3_s2_valid_op1},
  };
  for (const Case& c : cases) {
    L::Conv2DTranspose conv(c.filters, c.kernel_size, c.options);
    conv(x);
    set_weights(conv, c.weights);
    expect_case(conv(x), *c.want);
  }
}

TEST(EinsumDense, ForwardMatchesKeras) {
  L::EinsumDense proj("abc,cde->abde", {-1, 2, 3}, {.bias_axes = "de", .dtype = tf::float64});
  const tf::Tensor q = from(fx::mha_q);
  proj(q);
  EXPECT_EQ(proj.kernel().shape(), tf::Shape({6, 2, 3}));
  set_weights(proj, {&fx::einsum_abde_w0, &fx::einsum_abde_w1});
  expect_case(proj(q), fx::einsum_abde);
}

// Keras scales the queries by 1 / sqrt(key_dim) rounded to float32 even in float64 models, so its
// outputs differ from an exact float64 computation (which these layers make) by ~1e-8.
constexpr double kKerasMhaTol = 1e-7;

std::vector<const fx::Case*> mha_weights(const fx::Case* const (&w)[8]) { return {std::begin(w), std::end(w)}; }

TEST(MultiHeadAttention, MatchesKerasWithScoresMaskKeyAndCausalMask) {
  const tf::Tensor q = from(fx::mha_q), v = from(fx::mha_v), k = from(fx::mha_k);
  L::MultiHeadAttention mha(2, 3, {.dtype = tf::float64});
  mha(q, v);
  // Keras 3's weights: query/key/value kernels (D, heads, key_dim) and biases, attention_output.
  EXPECT_EQ(mha.query_dense().kernel().shape(), tf::Shape({6, 2, 3}));
  EXPECT_EQ(mha.key_dense().kernel().shape(), tf::Shape({8, 2, 3}));
  EXPECT_EQ(mha.output_dense().kernel().shape(), tf::Shape({2, 3, 6}));
  EXPECT_EQ(mha.query_dense().name(), "query");
  EXPECT_EQ(mha.output_dense().name(), "attention_output");
  set_weights(mha, mha_weights({&fx::mha_w0, &fx::mha_w1, &fx::mha_w2, &fx::mha_w3, &fx::mha_w4, &fx::mha_w5,
                                &fx::mha_w6, &fx::mha_w7}));
  auto [out, scores] = mha.call_with_scores(q, v);
  expect_case(out, fx::mha_out, kKerasMhaTol);
  expect_case(scores, fx::mha_scores, kKerasMhaTol);
  const tf::Tensor mask = tf::cast(from(fx::mha_mask), tf::bool_);
  expect_case(mha(q, v, {.attention_mask = mask}), fx::mha_masked_out, kKerasMhaTol);

  L::MultiHeadAttention mha2(3, 2, {.value_dim = 4, .use_bias = false, .output_shape = 5, .dtype = tf::float64});
  mha2(q, v, {.key = k});
  set_weights(mha2, {&fx::mha2_w0, &fx::mha2_w1, &fx::mha2_w2, &fx::mha2_w3});
  expect_case(mha2(q, v, {.key = k}), fx::mha2_out, kKerasMhaTol);

  L::MultiHeadAttention causal(2, 3, {.dtype = tf::float64});
  causal(q, q);
  set_weights(causal, mha_weights({&fx::mha_causal_w0, &fx::mha_causal_w1, &fx::mha_causal_w2, &fx::mha_causal_w3,
                                   &fx::mha_causal_w4, &fx::mha_causal_w5, &fx::mha_causal_w6, &fx::mha_causal_w7}));
  expect_case(causal(q, q, {.use_causal_mask = true}), fx::mha_causal_out, kKerasMhaTol);
  // The same in a functional model: the node keeps use_causal_mask.
  auto in = K::Input({4, 6}, {.dtype = tf::float64});
  K::Model decoder(in, causal(in, in, {.use_causal_mask = true}));
  expect_case(decoder(q), fx::mha_causal_out, kKerasMhaTol);
  // The layer itself stays non-causal.
  EXPECT_GT(tf::reduce_max(tf::abs(causal(q, q) - decoder(q))).item<double>(), 1e-3);
}

TEST(Lambda, WrapsFunctionsOfOneTensorOrAList) {
  K::backend::clear_session();
  L::Lambda halve([](const tf::Tensor& x) { return x * 0.5 + 1.0; });
  EXPECT_EQ(halve.name(), "lambda");
  tf::testing::expect_values(halve(tf::constant({2.0, -4.0})), {2}, {2.0, -1.0}, 0);
  L::Lambda diff([](const std::vector<tf::Tensor>& xs) { return xs[0] - xs[1]; });
  tf::testing::expect_values(diff({tf::constant({5.0, 1.0}), tf::constant({2.0, 3.0})}), {2}, {3.0, -2.0}, 0);
  // In the functional API: the output shape is inferred.
  auto in = K::Input({3});
  auto y = L::Lambda([](const tf::Tensor& x) { return tf::concat({x, x}, 1); })(in);
  EXPECT_EQ(y.shape(), tf::Shape({-1, 6}));
  K::Model model(in, y);
  tf::testing::expect_values(model(tf::constant({{1.0f, 2.0f, 3.0f}})), {1, 6}, {1, 2, 3, 1, 2, 3}, 0);
}

TEST(RecurrentLayers, MatchKerasForSimpleRnnLstmAndGru) {
  const tf::Tensor x = from(fx::rnn_x);
  const auto f64 = [](L::RecurrentOptions o) {
    o.dtype = tf::float64;
    return o;
  };
  auto check = [&](L::RecurrentLayer layer, std::vector<const fx::Case*> weights, const fx::Case& want) {
    layer(x);
    set_weights(layer, weights);
    expect_case(layer(x), want);
  };
  check(L::SimpleRNN(4, f64({})), {&fx::simple_rnn_w0, &fx::simple_rnn_w1, &fx::simple_rnn_w2}, fx::simple_rnn);
  check(L::SimpleRNN(3, f64({.activation = "relu", .return_sequences = true, .go_backwards = true})),
        {&fx::simple_rnn_seq_back_w0, &fx::simple_rnn_seq_back_w1, &fx::simple_rnn_seq_back_w2},
        fx::simple_rnn_seq_back);
  check(L::LSTM(4, f64({})), {&fx::lstm_w0, &fx::lstm_w1, &fx::lstm_w2}, fx::lstm);
  check(L::LSTM(3, f64({.return_sequences = true})), {&fx::lstm_seq_w0, &fx::lstm_seq_w1, &fx::lstm_seq_w2},
        fx::lstm_seq);
  check(L::GRU(4, f64({})), {&fx::gru_w0, &fx::gru_w1, &fx::gru_w2}, fx::gru);
  check(L::GRU(3, f64({.use_bias = false, .return_sequences = true})), {&fx::gru_seq_nobias_w0, &fx::gru_seq_nobias_w1},
        fx::gru_seq_nobias);
  check(L::GRU(4, f64({.reset_after = false})),
        {&fx::gru_reset_before_w0, &fx::gru_reset_before_w1, &fx::gru_reset_before_w2}, fx::gru_reset_before);

  // return_state with an initial state: {output, h, c}.
  L::LSTM lstm(3, f64({}));
  lstm(x);
  set_weights(lstm, {&fx::lstm_state_w0, &fx::lstm_state_w1, &fx::lstm_state_w2});
  auto out = lstm.call_with_state(x, {from(fx::lstm_state_h0), from(fx::lstm_state_c0)});
  ASSERT_EQ(out.size(), 3u);
  expect_case(out[0], fx::lstm_state_out);
  expect_case(out[1], fx::lstm_state_h);
  expect_case(out[2], fx::lstm_state_c);
}

TEST(RecurrentLayers, WeightsAreKerassAndInitializedAsKeras) {
  K::backend::clear_session();
  L::LSTM lstm(3);
  lstm(tf::zeros({1, 2, 5}));
  EXPECT_EQ(lstm.name(), "lstm");
  EXPECT_EQ(lstm.cell().name(), "lstm_cell");
  ASSERT_EQ(lstm.variables().size(), 3u);
  EXPECT_EQ(lstm.variables()[0].shape(), tf::Shape({5, 12}));
  EXPECT_EQ(lstm.variables()[1].shape(), tf::Shape({3, 12}));
  // unit_forget_bias: the forget gate's bias starts at 1.
  tf::testing::expect_values(lstm.variables()[2], {12}, {0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0}, 0);
  // The orthogonal recurrent kernel: R^T R = I for each gate's square block (here all of R: 3 x 12).
  const tf::Tensor r = lstm.cell().recurrent_kernel();
  std::vector<double> eye;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) eye.push_back(i == j ? 1.0 : 0.0);
  tf::testing::expect_values(tf::matmul(r, r, {.transpose_b = true}), {3, 3}, eye, 1e-5);
  L::GRU gru(2);
  gru(tf::zeros({1, 2, 5}));
  EXPECT_EQ(gru.cell().bias().shape(), tf::Shape({2, 6}));  // reset_after: input and recurrent biases
}

// ---- gradients ---------------------------------------------------------------------------------

TEST(KerasLayerGradients, MatchNumericalDifferences) {
  const auto ones_ish = K::initializers::RandomUniform({.minval = 0.5, .maxval = 1.5, .seed = 1});
  const tf::Tensor x3 = uniform64({2, 3, 4}, 1) * 2.0 + 0.5;
  check_layer_gradients(
      L::LayerNormalization({.beta_initializer = ones_ish, .gamma_initializer = ones_ish, .dtype = tf::float64}), x3,
      false, 1e-5);
  check_layer_gradients(L::LayerNormalization({.axis = {1, 2}, .gamma_initializer = ones_ish, .dtype = tf::float64}),
                        x3, false, 1e-5);
  check_layer_gradients(L::LayerNormalization({.rms_scaling = true, .dtype = tf::float64}), x3, false, 1e-5);
  check_layer_gradients(L::Softmax({.axis = 1}), x3);
  check_layer_gradients(L::GlobalAveragePooling1D(), x3);
  check_layer_gradients(L::GlobalMaxPooling1D(), x3);
  check_layer_gradients(L::Rescaling(0.5, {.offset = 1.0, .dtype = tf::float64}), x3);
  check_layer_gradients(L::Conv1D(3, 2, {.padding = "causal", .dilation_rate = 2, .dtype = tf::float64}),
                        uniform64({2, 6, 3}, 2));
  check_layer_gradients(L::Conv1D(2, 3, {.strides = 2, .padding = "same", .dtype = tf::float64}),
                        uniform64({2, 7, 2}, 3));
  check_layer_gradients(L::Conv2DTranspose(2, 3, {.strides = 2, .padding = "same", .dtype = tf::float64}),
                        uniform64({1, 3, 2, 2}, 4));
  check_layer_gradients(
      L::Conv2DTranspose(2, {2, 3}, {.strides = {2, 1}, .output_padding = L::IntPair{1, 0}, .dtype = tf::float64}),
      uniform64({1, 2, 3, 2}, 5));
  check_layer_gradients(L::EinsumDense("abcd,cde->abe", {-1, 3}, {.bias_axes = "e", .dtype = tf::float64}),
                        uniform64({2, 2, 3, 2}, 6));
}

TEST(KerasLayerGradients, MultiHeadAttentionMatchesNumericalDifferences) {
  const tf::Tensor q = uniform64({2, 3, 4}, 7), v = uniform64({2, 4, 5}, 8);
  L::MultiHeadAttention mha(2, 3,
                            {.bias_initializer = K::initializers::RandomUniform({.seed = 2}), .dtype = tf::float64});
  mha(q, v);
  check_gradients([&](const tf::Tensor& x) { return mha(x, v); }, q, mha.trainable_variables(), 1e-5);
  // Self-attention with a causal mask: d/d the shared input.
  L::MultiHeadAttention self(2, 2, {.dtype = tf::float64});
  self(q, q);
  check_gradients([&](const tf::Tensor& x) { return self(x, x, {.use_causal_mask = true}); }, q,
                  self.trainable_variables(), 1e-5);
}

TEST(KerasLayerGradients, RecurrentLayersMatchNumericalDifferences) {
  const tf::Tensor x = uniform64({2, 3, 2}, 11);
  const auto bias = K::initializers::RandomUniform({.minval = -0.5, .maxval = 0.5, .seed = 3});
  check_layer_gradients(L::SimpleRNN(3, {.bias_initializer = bias, .return_sequences = true, .dtype = tf::float64}), x);
  check_layer_gradients(L::LSTM(2, {.bias_initializer = bias, .dtype = tf::float64}), x);
  check_layer_gradients(L::LSTM(2, {.return_sequences = true, .go_backwards = true, .dtype = tf::float64}), x);
  check_layer_gradients(L::GRU(2, {.bias_initializer = bias, .return_sequences = true, .dtype = tf::float64}), x);
  check_layer_gradients(L::GRU(2, {.bias_initializer = bias, .reset_after = false, .dtype = tf::float64}), x);
}

TEST(KerasLayerGradients, NormalizationPassesGradientsToItsInput) {
  L::Normalization norm;
  norm.adapt(tf::cast(uniform64({6, 3}, 9) * 3.0, tf::float32));
  const tf::Tensor var = tf::cast(norm.variance(), tf::float64);
  const tf::Tensor x = tf::cast(uniform64({2, 3}, 10), tf::float32);
  tf::GradientTape tape;
  tape.watch(x);
  const tf::Tensor loss = tf::reduce_sum(norm(x) * tf::constant({1.0f, 2.0f, 3.0f}));
  tape.stop();
  // d/dx (x - mean) / sqrt(var) * w = w / sqrt(var).
  const tf::Tensor w = tf::constant({1.0, 2.0, 3.0}, tf::float64);
  const tf::Tensor want = tf::broadcast_to(w / tf::sqrt(tf::reshape(var, {3})), {2, 3});
  tf::testing::expect_values(*tape.gradient(loss, std::vector<tf::Source>{x})[0], {2, 3}, want.to_vector<double>(),
                             1e-5);
}

// ---- Keras's .weights.h5 files, predictions and summaries ---------------------------------------

std::string fixture_path(const std::string& name) { return std::string(TAPEFLOW_TEST_DIR) + "/nn/fixtures/" + name; }

// The keys of tf.train.Checkpoint(model=model) but the object graph, as "key [shape]" lines.
template <typename M> std::string checkpoint_keys(M& model) {
  tf::testing::TempDir dir;
  const std::string path = tf::train::Checkpoint({{"model", model}}).write(dir / "ckpt");
  std::string out;
  for (const auto& [key, shape] : tf::train::list_variables(path)) {
    if (key == "_CHECKPOINTABLE_OBJECT_GRAPH") continue;
    out += key + " [";
    for (int i = 0; i < shape.rank(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
    out += "]\n";
  }
  return out;
}

K::Model sequence_model() {
  K::backend::clear_session();
  auto in = K::Input({6, 8});
  auto h = L::MultiHeadAttention(2, 4)(in, in);
  h = L::LayerNormalization()(L::Add()({in, h}));
  h = L::Conv1D(5, 3, {.padding = "same", .activation = "relu"})(h);
  h = L::GlobalAveragePooling1D()(h);
  h = L::Softmax()(L::Dense(3)(h));
  return K::Model(in, h);
}

TEST(KerasLayerModels, LoadKerassWeightsAndPredictAsKeras) {
  K::Model seq = sequence_model();
  seq.load_weights(fixture_path("keras_layers_sequence.weights.h5"));
  expect_case(seq.predict(from(fx::model_sequence_x, tf::float32)), fx::model_sequence_y, 1e-5);
  std::ostringstream text;
  seq.summary(text);
  EXPECT_EQ(text.str(), read_fixture("summary_keras_layers_sequence.txt"));
  EXPECT_EQ(checkpoint_keys(seq), read_fixture("checkpoint_keys_keras_layers_sequence.txt"));

  // A Sequential built at once from its Input: the summary shows the shapes before any call.
  K::backend::clear_session();
  K::Sequential image({K::Input({4, 4, 2}), L::Rescaling(0.5, {.offset = 0.25}), L::Normalization(),
                       L::Conv2DTranspose(3, 3, {.strides = 2, .padding = "same"}), L::Flatten(), L::Dense(2)});
  std::ostringstream image_text;
  image.summary(image_text);
  EXPECT_EQ(image_text.str(), read_fixture("summary_keras_layers_image.txt"));
  image.load_weights(fixture_path("keras_layers_image.weights.h5"));
  expect_case(image.predict(from(fx::model_image_x, tf::float32)), fx::model_image_y, 1e-5);
  EXPECT_EQ(checkpoint_keys(image), read_fixture("checkpoint_keys_keras_layers_image.txt"));
}

// A custom layer as Keras's guide writes it: no name given (it comes from the class), weights
// created by keyword, one of them frozen.
struct MyDense : K::layers::Layer {
  int64_t units;
  tf::Variable w, b;
  explicit MyDense(int64_t units_) : units(units_) {}
  void build(const tf::Shape& input_shape) override {
    w = add_weight({.name = "w", .shape = {input_shape.dim(-1), units}, .initializer = "ones", .trainable = true});
    b = add_weight({.name = "b", .shape = {units}, .initializer = "zeros", .trainable = false});
  }
  tf::Tensor call(const tf::Tensor& x) override { return tf::matmul(x, w) + b; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<MyDense>(*this); }
};

TEST(KerasLayerModels, CustomLayersAreNamedAfterTheirClassInASequentialBuiltFromItsInput) {
  K::backend::clear_session();
  K::Sequential model({K::Input({28, 28}), L::Flatten(), MyDense(10), MyDense(3)});
  ASSERT_EQ(model.layers().size(), 3u);  // the InputLayer is not a layer of a Sequential, as in Keras
  EXPECT_EQ(model.layers()[1]->name(), "my_dense");
  EXPECT_EQ(model.layers()[2]->name(), "my_dense_1");
  EXPECT_EQ(model.layers()[2]->class_name(), "MyDense");
  std::ostringstream text;
  model.summary(text);
  EXPECT_EQ(text.str(), read_fixture("summary_keras_layers_custom.txt"));
  EXPECT_EQ(model.trainable_variables().size(), 2u);
  tf::testing::expect_values(model(tf::ones({1, 28, 28})), {1, 3}, {7840.0, 7840.0, 7840.0}, 0);
  // A later layer is built when added too.
  model.add(L::Dense(2));
  EXPECT_EQ(model.layers()[3]->output_shape(), tf::Shape({-1, 2}));

  K::Sequential lazy({MyDense(2)});  // without an Input: built at the first call
  EXPECT_FALSE(lazy.layers()[0]->built());
  EXPECT_EQ(lazy.layers()[0]->name(), "my_dense_2");
  EXPECT_TF_ERROR(K::Sequential({L::Flatten(), K::Input({3})}), tf::errors::InvalidArgumentError,
                  "can only be the first layer");
  auto x = K::Input({3});
  EXPECT_TF_ERROR(K::Sequential({L::Dense(2)(x)}), tf::errors::InvalidArgumentError, "K::Model(inputs, outputs)");
}

TEST(KerasLayerModels, LoadKerassRecurrentWeightsAndPredictAsKeras) {
  K::backend::clear_session();
  K::Sequential model({K::Input({5, 3}), L::LSTM(4, {.return_sequences = true}), L::GRU(3), L::Dense(2)});
  std::ostringstream text;
  model.summary(text);
  EXPECT_EQ(text.str(), read_fixture("summary_keras_layers_recurrent.txt"));
  model.load_weights(fixture_path("keras_layers_recurrent.weights.h5"));  // layers/lstm/cell/vars, ...
  expect_case(model.predict(from(fx::model_recurrent_x, tf::float32)), fx::model_recurrent_y, 1e-5);
  EXPECT_EQ(checkpoint_keys(model), read_fixture("checkpoint_keys_keras_layers_recurrent.txt"));
}

TEST(KerasLayerModels, SavedWeightsHaveKerassGroups) {
  tf::testing::TempDir dir;
  K::Model seq = sequence_model();
  seq(tf::zeros({1, 6, 8}));
  const std::string path = dir / "seq.weights.h5";
  seq.save_weights(path);
  tf::serialization::H5WeightsReader ours(path), keras(fixture_path("keras_layers_sequence.weights.h5"));
  const std::vector<std::pair<std::string, int64_t>> groups = {{"layers/multi_head_attention/query_dense/vars", 2},
                                                               {"layers/multi_head_attention/key_dense/vars", 2},
                                                               {"layers/multi_head_attention/value_dense/vars", 2},
                                                               {"layers/multi_head_attention/output_dense/vars", 2},
                                                               {"layers/multi_head_attention/_softmax/vars", 0},
                                                               {"layers/multi_head_attention/_dropout_layer/vars", 0},
                                                               {"layers/layer_normalization/vars", 2},
                                                               {"layers/conv1d/vars", 2},
                                                               {"layers/global_average_pooling1d/vars", 0},
                                                               {"layers/softmax/vars", 0}};
  for (const auto& [group, n] : groups) {
    SCOPED_TRACE(group);
    ASSERT_TRUE(keras.has_group(group));
    EXPECT_EQ(keras.num_datasets(group), n);
    ASSERT_TRUE(ours.has_group(group));
    EXPECT_EQ(ours.num_datasets(group), n);
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(ours.read(group, i).shape(), keras.read(group, i).shape());
  }
}

// ---- typed errors ------------------------------------------------------------------------------

TEST(KerasLayerErrors, BadArgumentsAndInputsAreTypedErrors) {
  K::backend::clear_session();
  EXPECT_TF_ERROR(L::Conv1D(2, 3, {.padding = "full"}), tf::errors::InvalidArgumentError, "padding=full");
  EXPECT_TF_ERROR(L::Conv1D(0, 3), tf::errors::InvalidArgumentError, "filters");
  EXPECT_TF_ERROR(L::Conv2DTranspose(2, 3, {.strides = 2, .output_padding = 2}), tf::errors::InvalidArgumentError,
                  "must be greater than output padding");
  EXPECT_TF_ERROR(L::EinsumDense("ab,bc->ac", {3}, {.bias_axes = "x"}), tf::errors::InvalidArgumentError, "bias_axes");
  EXPECT_TF_ERROR(L::EinsumDense("abc,cd->abd", {3}), tf::errors::InvalidArgumentError, "output_shape");
  EXPECT_TF_ERROR(L::EinsumDense("abc,bd->acd", {-1, 4}), tf::errors::UnimplementedError, "abc,bd->acd");
  EXPECT_TF_ERROR(L::Normalization({.mean = tf::constant(1.0)}), tf::errors::InvalidArgumentError, "both `mean`");
  EXPECT_TF_ERROR(L::MultiHeadAttention(0, 2), tf::errors::InvalidArgumentError, "num_heads");

  L::Conv1D conv(2, 3);
  EXPECT_TF_ERROR(conv(tf::ones({2, 5, 5, 1})), tf::errors::InvalidArgumentError,
                  "is incompatible with the layer: expected ndim=3, found ndim=4");
  L::LayerNormalization ln;
  ln(tf::ones({2, 4}));
  EXPECT_TF_ERROR(ln(tf::ones({2, 5})), tf::errors::InvalidArgumentError, "layer_normalization");
  EXPECT_TF_ERROR(L::LayerNormalization({.axis = 0})(tf::ones({2, 4})), tf::errors::InvalidArgumentError, "batch axis");
  L::Normalization norm;
  EXPECT_TF_ERROR(norm.mean(), tf::errors::FailedPreconditionError, "adapt");
  norm.adapt(tf::ones({4, 3}));
  EXPECT_TF_ERROR(norm(tf::ones({2, 4})), tf::errors::InvalidArgumentError, "incompatible shape (2, 4)");
  L::MultiHeadAttention mha(2, 2);
  EXPECT_TF_ERROR(mha(tf::ones({2, 3}), tf::ones({2, 3})), tf::errors::InvalidArgumentError, "rank 3");
  mha(tf::ones({1, 3, 4}), tf::ones({1, 5, 4}));
  EXPECT_TF_ERROR(mha(tf::ones({1, 3, 4}), tf::ones({1, 5, 4}), {.attention_mask = tf::ones({1, 3, 4})}),
                  tf::errors::InvalidArgumentError, "attention_mask of shape (1, 3, 4)");
  EXPECT_TF_ERROR(L::GlobalAveragePooling1D()(tf::ones({2, 3})), tf::errors::InvalidArgumentError, "expected ndim=3");
  EXPECT_TF_ERROR(L::LSTM(0), tf::errors::InvalidArgumentError, "units");
  EXPECT_TF_ERROR(L::GRU(2, {.dropout = 1.5}), tf::errors::InvalidArgumentError, "dropout");
  L::LSTM lstm(2);
  EXPECT_TF_ERROR(lstm(tf::ones({2, 3})), tf::errors::InvalidArgumentError, "expected ndim=3, found ndim=2");
  lstm(tf::ones({2, 3, 4}));
  EXPECT_TF_ERROR(lstm(tf::ones({2, 3, 5})), tf::errors::InvalidArgumentError, "expected axis -1 of input shape");
  EXPECT_TF_ERROR(lstm.call_with_state(tf::ones({2, 3, 4}), {tf::ones({2, 2})}), tf::errors::InvalidArgumentError,
                  "expects 2 initial state(s)");
}

}  // namespace
