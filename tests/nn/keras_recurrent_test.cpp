// The recurrent layers' dropout and masks (Note [Masks] in layer.cpp): Keras's DropoutRNNCell
// masks (sampled once per call, constant over the time steps, one per gate with
// recurrent_dropout, inference untouched), the Masking layer, Embedding(mask_zero), masked
// SimpleRNN / LSTM / GRU and a Sequential model threading the mask, against Keras 3
// (tests/fixtures/gen_keras_masking.py), gradients against central differences.
#include <gtest/gtest.h>

#include <set>

#include "tests/core/test_util.h"
#include "tests/nn/fixtures/keras_masking_fixtures.h"
#include "tests/nn/layer_gradient_check.h"

namespace {
namespace K = tf::keras;
namespace L = tf::keras::layers;
namespace fx = fixtures::keras_masking;
using tf::testing::check_gradients;
using tf::testing::uniform64;

tf::Tensor from(const fx::Case& c, tf::DType dtype = tf::float64) {
  return tf::constant(c.values, tf::Shape(c.shape), dtype);
}
tf::Tensor mask_of(const fx::Case& c) { return tf::cast(from(c), tf::DType::kBool); }
void expect_case(const tf::Tensor& got, const fx::Case& want, double tol = 1e-9) {
  tf::testing::expect_values(got, tf::Shape(want.shape), want.values, tol);
}
void set_weights(const L::Layer& layer, std::vector<const fx::Case*> weights) {
  auto vars = layer.variables();
  ASSERT_EQ(vars.size(), weights.size()) << layer.name();
  for (std::size_t i = 0; i < vars.size(); ++i) vars[i].assign(from(*weights[i], vars[i].dtype()));
}
L::RecurrentOptions f64(L::RecurrentOptions o) {
  o.dtype = tf::float64;
  return o;
}
// Square identity kernels (Keras's "identity" initializer).
const tf::keras::initializers::Initializer identity([](const tf::Shape& s,
                                                       tf::DType dt) { return tf::eye(s[0], s[1], dt); },
                                                    "identity");
std::string fixture_path(const std::string& name) { return std::string(TAPEFLOW_TEST_DIR) + "/nn/fixtures/" + name; }

// ---- dropout ----------------------------------------------------------------------------------

// A linear SimpleRNN whose kernel is the identity and recurrent kernel zero: output_t = x_t * m,
// so on ones the output shows the input dropout mask at every step.
TEST(RecurrentDropout, InputMaskIsSampledOncePerCallAndConstantOverTime) {
  const int64_t batch = 400, steps = 4, dim = 5;
  L::SimpleRNN rnn(dim, f64({.activation = "linear",
                             .use_bias = false,
                             .kernel_initializer = identity,
                             .recurrent_initializer = "zeros",
                             .dropout = 0.25,
                             .seed = 3,
                             .return_sequences = true}));
  const tf::Tensor x = tf::ones({batch, steps, dim}, tf::float64);
  const std::vector<double> y = rnn(x, true).to_vector<double>();
  int64_t zeros = 0;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t d = 0; d < dim; ++d) {
      const double first = y[(b * steps) * dim + d];
      EXPECT_TRUE(first == 0.0 || std::abs(first - 1 / 0.75) < 1e-12) << first;  // 0 or 1 / (1 - rate)
      zeros += first == 0.0;
      for (int64_t t = 1; t < steps; ++t) ASSERT_EQ(y[(b * steps + t) * dim + d], first) << "b " << b << " t " << t;
    }
  // 2000 Bernoulli(0.25) draws: the mean within 4 standard deviations (0.0097 each).
  EXPECT_NEAR(double(zeros) / (batch * dim), 0.25, 0.04);
  // A new call samples new masks; inference is the layer without dropout (x itself).
  EXPECT_NE(rnn(x, true).to_vector<double>(), y);
  tf::testing::expect_values(rnn(x, false), {batch, steps, dim}, x.to_vector<double>(), 0);
  tf::testing::expect_values(rnn(x), {batch, steps, dim}, x.to_vector<double>(), 0);
}

// h_t = (h_{t-1} * r) R + 1 with R = I: a unit whose mask r is 0 stays 1; one whose mask is
// 1 / (1 - 0.5) = 2 runs 1, 3, 7, 15 — the same r at every step.
TEST(RecurrentDropout, RecurrentMaskIsConstantOverTime) {
  const int64_t batch = 200, dim = 3;
  L::SimpleRNN rnn(dim, f64({.activation = "linear",
                             .use_bias = false,
                             .kernel_initializer = identity,
                             .recurrent_initializer = identity,
                             .recurrent_dropout = 0.5,
                             .seed = 11,
                             .return_sequences = true}));
  const std::vector<double> y = rnn(tf::ones({batch, 4, dim}, tf::float64), true).to_vector<double>();
  int64_t dropped = 0;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t d = 0; d < dim; ++d) {
      std::vector<double> run;
      for (int64_t t = 0; t < 4; ++t) run.push_back(y[(b * 4 + t) * dim + d]);
      const bool kept = run[1] != 1.0;
      dropped += !kept;
      EXPECT_EQ(run, kept ? std::vector<double>({1, 3, 7, 15}) : std::vector<double>({1, 1, 1, 1}));
    }
  EXPECT_NEAR(double(dropped) / (batch * dim), 0.5, 0.12);
}

TEST(RecurrentDropout, OneMaskPerGateWithRecurrentDropoutAsKerasImplementationOne) {
  L::LSTM lstm(3, f64({.dropout = 0.5, .recurrent_dropout = 0.5, .seed = 1}));
  lstm(tf::zeros({2, 4, 5}, tf::float64));
  const auto masks = lstm.cell().dropout_masks(64, 5);
  ASSERT_EQ(masks.inputs.size(), 4u);  // i, f, c, o
  ASSERT_EQ(masks.recurrent.size(), 4u);
  EXPECT_EQ(masks.inputs[0].shape(), tf::Shape({64, 5}));
  EXPECT_EQ(masks.recurrent[0].shape(), tf::Shape({64, 3}));
  EXPECT_NE(masks.inputs[0].to_vector<double>(), masks.inputs[1].to_vector<double>());
  for (const auto& m : masks.inputs)
    for (double v : m.to_vector<double>()) EXPECT_TRUE(v == 0 || v == 2) << v;
  // Input dropout alone: one mask shared by the gates (Keras's fused implementation 2).
  L::GRU gru(3, f64({.dropout = 0.3}));
  gru(tf::zeros({2, 4, 5}, tf::float64));
  const auto one = gru.cell().dropout_masks(8, 5);
  EXPECT_EQ(one.inputs.size(), 1u);
  EXPECT_TRUE(one.recurrent.empty());
  // No rates, no masks (an unbuilt layer too).
  EXPECT_TRUE(L::SimpleRNN(2).cell().dropout_masks(8, 5).inputs.empty());
}

TEST(RecurrentDropout, InferenceEqualsTheLayerWithoutDropoutAndSeedsRepeat) {
  const tf::Tensor x = uniform64({3, 5, 4}, 1);
  for (int kind = 0; kind < 3; ++kind) {
    auto make = [&](double rate) -> std::shared_ptr<L::RecurrentLayer> {
      const L::RecurrentOptions o =
          f64({.dropout = rate, .recurrent_dropout = rate, .seed = 7, .return_sequences = true});
      if (kind == 0) return std::make_shared<L::SimpleRNN>(3, o);
      if (kind == 1) return std::make_shared<L::LSTM>(3, o);
      return std::make_shared<L::GRU>(3, o);
    };
    auto plain = make(0), dropped = make(0.4);
    (*plain)(x);
    (*dropped)(x);
    dropped->set_weights(plain->get_weights());
    tf::testing::expect_values((*dropped)(x, false), {3, 5, 3}, (*plain)(x).to_vector<double>(), 0);
    const std::vector<double> train = (*dropped)(x, true).to_vector<double>();
    EXPECT_NE(train, (*plain)(x).to_vector<double>()) << kind;
    // The op seed: set_seed restarts the masks' sequence (Note [Random seeds]).
    tf::random::set_seed(5);
    const std::vector<double> a = (*dropped)(x, true).to_vector<double>();
    tf::random::set_seed(5);
    EXPECT_EQ((*dropped)(x, true).to_vector<double>(), a) << kind;
  }
  tf::random::set_seed(std::nullopt);
}

TEST(RecurrentDropout, GradientsWithFixedMasksMatchCentralDifferences) {
  const tf::Tensor x = uniform64({2, 3, 4}, 2);
  L::LSTM lstm(3, f64({.bias_initializer = tf::keras::initializers::Constant(0.1),
                       .dropout = 0.3,
                       .recurrent_dropout = 0.4,
                       .seed = 2,
                       .return_sequences = true}));
  L::GRU gru(2, f64({.dropout = 0.3, .recurrent_dropout = 0.4, .seed = 2, .reset_after = false}));
  L::SimpleRNN rnn(3, f64({.dropout = 0.5, .recurrent_dropout = 0.5, .seed = 4}));
  auto check = [&](L::RecurrentLayer& layer) {
    layer(x);
    // The same masks at every evaluation: set_seed restarts the sequence.
    check_gradients(
        [&](const tf::Tensor& in) {
          tf::random::set_seed(9);
          return layer(in, true);
        },
        x, layer.trainable_variables());
  };
  check(lstm);
  check(gru);
  check(rnn);
  tf::random::set_seed(std::nullopt);
}

TEST(RecurrentDropout, RatesOutsideZeroOneAreInvalid) {
  EXPECT_TF_ERROR(L::LSTM(2, {.dropout = 1.0}), tf::errors::InvalidArgumentError, "dropout");
  EXPECT_TF_ERROR(L::GRU(2, {.recurrent_dropout = -0.1}), tf::errors::InvalidArgumentError, "recurrent_dropout");
}

// ---- masks ------------------------------------------------------------------------------------

TEST(Masking, ZeroesMaskedStepsAndMakesTheMaskAsKeras) {
  L::Masking masking;
  const tf::Tensor x = from(fx::masking_x);
  auto [out, mask] = masking.call_with_mask(x, std::nullopt);
  expect_case(out, fx::masking_out, 0);
  ASSERT_TRUE(mask.has_value());
  EXPECT_EQ(mask->dtype(), tf::DType::kBool);
  expect_case(*mask, fx::masking_mask, 0);
  expect_case(masking(x), fx::masking_out, 0);
  L::Masking minus_one(-1.0);
  expect_case(*minus_one.call_with_mask(from(fx::masking_value_x), std::nullopt).mask, fx::masking_value_mask, 0);
}

TEST(Masking, EmbeddingMaskZeroMasksIndexZero) {
  L::Embedding plain(5, 2), padded(5, 2, {.mask_zero = true});
  const tf::Tensor ids = tf::constant({{1, 0, 3}, {0, 0, 4}});
  EXPECT_FALSE(plain.call_with_mask(ids, std::nullopt).mask.has_value());
  auto [out, mask] = padded.call_with_mask(ids, std::nullopt);
  EXPECT_EQ(out.shape(), tf::Shape({2, 3, 2}));
  ASSERT_TRUE(mask.has_value());
  tf::testing::expect_values(*mask, {2, 3}, {1, 0, 1, 0, 0, 1}, 0);
  // Dense passes a mask on; Flatten (no masking support) drops it.
  L::Dense dense(3);
  EXPECT_TRUE(dense.call_with_mask(out, mask).mask.has_value());
  L::Flatten flatten;
  EXPECT_FALSE(flatten.call_with_mask(out, mask).mask.has_value());
}

TEST(Masking, EmbeddingMaskZeroRoundTripsThroughItsKerasConfig) {
  L::Embedding padded(5, 2, {.mask_zero = true});
  const std::string config = K::saving::get_config(padded);
  EXPECT_NE(config.find("\"mask_zero\":true"), std::string::npos) << config;
  auto back = K::saving::deserialize_keras_object(K::saving::serialize_keras_object(padded));
  EXPECT_TRUE(std::dynamic_pointer_cast<L::Embedding>(back)->options().mask_zero);
  EXPECT_NE(K::saving::get_config(L::Embedding(5, 2)).find("\"mask_zero\":false"), std::string::npos);
}

TEST(MaskedRecurrentLayers, MatchKeras) {
  const tf::Tensor x = from(fx::rnn_x), mask = mask_of(fx::rnn_mask);
  auto check = [&](L::RecurrentLayer layer, std::vector<const fx::Case*> weights, const fx::Case& want) {
    layer(x);
    set_weights(layer, weights);
    auto [out, out_mask] = layer.call_with_mask(x, mask);
    expect_case(out, want);
    // The output's mask: the input's with return_sequences, else none (Keras's compute_mask).
    EXPECT_EQ(out_mask.has_value(), out.ndim() == 3) << layer.name();
  };
  check(L::SimpleRNN(4, f64({})), {&fx::masked_simple_rnn_w0, &fx::masked_simple_rnn_w1, &fx::masked_simple_rnn_w2},
        fx::masked_simple_rnn);
  check(L::SimpleRNN(3, f64({.return_sequences = true, .go_backwards = true})),
        {&fx::masked_simple_rnn_seq_back_w0, &fx::masked_simple_rnn_seq_back_w1, &fx::masked_simple_rnn_seq_back_w2},
        fx::masked_simple_rnn_seq_back);
  check(L::LSTM(4, f64({})), {&fx::masked_lstm_w0, &fx::masked_lstm_w1, &fx::masked_lstm_w2}, fx::masked_lstm);
  check(L::LSTM(3, f64({.return_sequences = true})),
        {&fx::masked_lstm_seq_w0, &fx::masked_lstm_seq_w1, &fx::masked_lstm_seq_w2}, fx::masked_lstm_seq);
  check(L::LSTM(3, f64({.return_sequences = true, .go_backwards = true})),
        {&fx::masked_lstm_seq_back_w0, &fx::masked_lstm_seq_back_w1, &fx::masked_lstm_seq_back_w2},
        fx::masked_lstm_seq_back);
  check(L::GRU(4, f64({})), {&fx::masked_gru_w0, &fx::masked_gru_w1, &fx::masked_gru_w2}, fx::masked_gru);
  check(L::GRU(3, f64({.return_sequences = true})),
        {&fx::masked_gru_seq_w0, &fx::masked_gru_seq_w1, &fx::masked_gru_seq_w2}, fx::masked_gru_seq);
  check(L::GRU(4, f64({.return_sequences = true, .reset_after = false})),
        {&fx::masked_gru_reset_before_w0, &fx::masked_gru_reset_before_w1, &fx::masked_gru_reset_before_w2},
        fx::masked_gru_reset_before);

  // return_state from an initial state: a masked first step outputs zeros but keeps the state.
  L::LSTM lstm(3, f64({.return_sequences = true}));
  lstm(x);
  set_weights(lstm, {&fx::masked_state_w0, &fx::masked_state_w1, &fx::masked_state_w2});
  auto out = lstm.call_with_state(x, {from(fx::state_h0), from(fx::state_c0)}, mask);
  ASSERT_EQ(out.size(), 3u);
  expect_case(out[0], fx::masked_state_out);
  expect_case(out[1], fx::masked_state_h);
  expect_case(out[2], fx::masked_state_c);
}

// Keras's text-classification pattern: Embedding(mask_zero) + GlobalAveragePooling1D averages the
// kept steps only, and the mask stops there.
TEST(Masking, GlobalAveragePooling1DAveragesTheKeptStepsAsKeras) {
  const tf::Tensor x = from(fx::rnn_x), mask = mask_of(fx::rnn_mask);
  L::GlobalAveragePooling1D gap, gap_keep({.keepdims = true});
  auto [out, out_mask] = gap.call_with_mask(x, mask);
  expect_case(out, fx::gap1d_masked, 1e-12);
  EXPECT_FALSE(out_mask.has_value());
  expect_case(gap_keep.call_with_mask(x, mask).output, fx::gap1d_masked_keepdims, 1e-12);
  // Gradients through the masked mean.
  check_gradients([&](const tf::Tensor& in) { return gap.call_with_mask(in, mask).output; }, x, {});
  // Pass-through layers keep the mask for the pooling after them.
  K::Sequential model({K::Input({5, 3}, {.dtype = tf::float64}), L::Masking(),
                       L::LayerNormalization({.dtype = tf::float64}), L::GlobalAveragePooling1D()});
  tf::Tensor padded = x * tf::expand_dims(tf::cast(mask, tf::float64), 2);
  auto normalized = L::LayerNormalization({.dtype = tf::float64})(padded);
  const tf::Tensor want = tf::reduce_sum(normalized * tf::expand_dims(tf::cast(mask, tf::float64), 2), 1) /
                          tf::reduce_sum(tf::expand_dims(tf::cast(mask, tf::float64), 2), 1);
  tf::testing::expect_values(model(padded), {2, 3}, want.to_vector<double>(), 1e-12);
}

TEST(MaskedRecurrentLayers, GradientsMatchCentralDifferences) {
  const tf::Tensor x = uniform64({2, 4, 3}, 5);
  const tf::Tensor mask = tf::constant({{true, false, true, false}, {false, true, true, true}});
  auto check = [&](L::RecurrentLayer layer) {
    layer(x);
    check_gradients([&](const tf::Tensor& in) { return layer.call_with_mask(in, mask).output; }, x,
                    layer.trainable_variables());
  };
  check(L::SimpleRNN(3, f64({.return_sequences = true})));
  check(L::LSTM(2, f64({.go_backwards = true})));
  check(L::GRU(2, f64({.return_sequences = true})));
}

TEST(MaskedRecurrentLayers, AMaskOfTheWrongShapeIsInvalid) {
  L::GRU gru(2);
  const tf::Tensor x = tf::zeros({2, 4, 3});
  EXPECT_TF_ERROR(gru.call_with_mask(x, tf::constant({true, false})), tf::errors::InvalidArgumentError,
                  "the mask must have shape (batch, timesteps) = (2, 4)");
}

// Keras's weights in an Embedding(mask_zero) + LSTM + GRU + Dense model on zero-padded sequences:
// the Sequential model threads the mask from the embedding to both recurrent layers.
TEST(MaskedRecurrentLayers, EmbeddingMaskZeroModelGivesKerassPredictions) {
  K::backend::clear_session();
  K::Sequential model({K::Input({6}, {.dtype = tf::DType::kInt32}), L::Embedding(8, 4, {.mask_zero = true}),
                       L::LSTM(3, {.return_sequences = true}), L::GRU(2), L::Dense(2)});
  model.load_weights(fixture_path("keras_masking_model.weights.h5"));
  const tf::Tensor ids = from(fx::model_ids, tf::DType::kInt32);
  expect_case(model.predict(ids), fx::model_y, 1e-5);
  expect_case(model(ids), fx::model_y, 1e-5);
  // Without the mask the padded steps count: other predictions.
  K::Sequential unmasked({K::Input({6}, {.dtype = tf::DType::kInt32}), L::Embedding(8, 4),
                          L::LSTM(3, {.return_sequences = true}), L::GRU(2), L::Dense(2)});
  unmasked.load_weights(fixture_path("keras_masking_model.weights.h5"));
  EXPECT_GT(tf::reduce_max(tf::abs(unmasked(ids) - from(fx::model_y, tf::float32))).item<float>(), 1e-3);
  // The same layers as a functional model pass the mask along the graph.
  auto in = K::Input({6}, {.dtype = tf::DType::kInt32});
  auto h = L::Embedding(8, 4, {.mask_zero = true})(in);
  h = L::LSTM(3, {.return_sequences = true})(h);
  K::Model functional(in, L::Dense(2)(L::GRU(2)(h)));
  functional.set_weights(model.get_weights());
  expect_case(functional(ids), fx::model_y, 1e-5);
}

// Keras's compile_loss weighs a sequence output's timesteps by its mask (the mean over the kept
// steps), and so do the mean metrics: an Embedding(mask_zero) + LSTM(return_sequences) + Dense
// model evaluated as Keras.
TEST(MaskedRecurrentLayers, LossAndMetricsOfAMaskedSequenceOutputAreKerass) {
  K::backend::clear_session();
  const tf::Tensor ids = from(fx::model_ids, tf::DType::kInt32), y = from(fx::seq_y, tf::float32);
  auto make = [] {
    return K::Sequential({K::Input({6}, {.dtype = tf::DType::kInt32}), L::Embedding(8, 3, {.mask_zero = true}),
                          L::LSTM(2, {.return_sequences = true}), L::Dense(1)});
  };
  K::Sequential model = make();
  model.load_weights(fixture_path("keras_masking_seq.weights.h5"));
  const tf::Tensor pred = model(ids);
  expect_case(pred, fx::seq_pred, 1e-5);
  // The output's mask: ids != 0, for this output only.
  ASSERT_TRUE(model.output_mask(pred).has_value());
  tf::testing::expect_values(*model.output_mask(pred), {3, 6}, {1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0},
                             0);
  EXPECT_FALSE(model.output_mask(pred + 0.0f).has_value());
  model.compile({.optimizer = "sgd", .loss = "mse", .metrics = {K::metrics::MeanAbsoluteError()}});
  auto r = model.evaluate(ids, y, {.batch_size = 3, .verbose = 0});
  EXPECT_NEAR(r[0], fx::seq_loss.values[0], 1e-6);
  EXPECT_NEAR(r[1], fx::seq_mae.values[0], 1e-6);
  // A functional model of the same layers too.
  auto in = K::Input({6}, {.dtype = tf::DType::kInt32});
  auto h = L::LSTM(2, {.return_sequences = true})(L::Embedding(8, 3, {.mask_zero = true})(in));
  K::Model functional(in, L::Dense(1)(h));
  functional.set_weights(model.get_weights());
  functional.compile({.optimizer = "sgd", .loss = "mse", .metrics = {K::metrics::MeanAbsoluteError()}});
  r = functional.evaluate(ids, y, {.batch_size = 3, .verbose = 0});
  EXPECT_NEAR(r[0], fx::seq_loss.values[0], 1e-6);
  EXPECT_NEAR(r[1], fx::seq_mae.values[0], 1e-6);
  // Training minimizes the masked loss: the padded steps' targets do not move the weights.
  K::Sequential a = make(), b = make();
  a.set_weights(model.get_weights());
  b.set_weights(model.get_weights());
  a.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.5}), .loss = "mse"});
  b.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.5}), .loss = "mse"});
  const tf::Tensor padded_other = tf::where(tf::expand_dims(tf::equal(ids, tf::zeros_like(ids)), 2), y + 5.0f, y);
  a.fit(ids, y, {.epochs = 1, .batch_size = 3, .shuffle = false, .verbose = 0});
  b.fit(ids, padded_other, {.epochs = 1, .batch_size = 3, .shuffle = false, .verbose = 0});
  const auto wa = a.get_weights(), wb = b.get_weights();
  for (std::size_t i = 0; i < wa.size(); ++i)
    tf::testing::expect_values(wb[i], wa[i].shape(), tf::testing::values_as_double(wa[i]), 1e-6);
  // A per-sample weight (B,) with a per-timestep mask: Keras 3 fails too; a typed error here.
  EXPECT_TF_ERROR(model.evaluate(ids, y, {.verbose = 0, .sample_weight = tf::ones({3})}),
                  tf::errors::InvalidArgumentError, "cannot weigh an output masked per timestep");
}

// Masks through the merging layers as Keras 3 combines them (Add: the OR; Concatenate on the last
// axis and on the time axis: any() of the expanded masks; none when a Multiply/Maximum/Minimum
// input has none) and uses them (Multiply takes a masked step as 1 and zeroes the fully masked
// ones, Maximum/Minimum take the other operand), each into a recurrent layer, against Keras.
TEST(MaskedRecurrentLayers, MasksThroughMergingLayersAreKerass) {
  K::backend::clear_session();
  const tf::Tensor ids = from(fx::model_ids, tf::DType::kInt32), ids_b = from(fx::merge_ids_b, tf::DType::kInt32);
  auto a = K::Input({6}, {.dtype = tf::DType::kInt32}), b = K::Input({6}, {.dtype = tf::DType::kInt32});
  auto ea = L::Embedding(8, 3, {.mask_zero = true, .name = "emb_a"})(a);
  auto eb = L::Embedding(8, 3, {.mask_zero = true, .name = "emb_b"})(b);
  auto plain = L::Dense(3, {.name = "plain"})(L::Embedding(8, 3, {.name = "emb_plain"})(b));
  K::Model model({a, b}, {L::GRU(2, {.name = "rnn_add"})(L::Add()({ea, eb})),
                          L::SimpleRNN(2, {.name = "rnn_cat"})(L::Concatenate()({ea, eb})),
                          L::LSTM(2, {.name = "rnn_cat_time"})(L::Concatenate({.axis = 1})({ea, eb})),
                          L::GRU(2, {.name = "rnn_mul_unmasked"})(L::Multiply()({ea, plain})),
                          L::SimpleRNN(2, {.name = "rnn_cat_half"})(L::Concatenate()({ea, plain})),
                          L::SimpleRNN(2, {.name = "rnn_mul_both"})(L::Multiply()({ea, eb})),
                          L::GRU(2, {.name = "rnn_max"})(L::Maximum()({ea, eb})),
                          L::SimpleRNN(2, {.name = "rnn_min_half"})(L::Minimum()({plain, eb}))});
  set_weights(*model.get_layer("emb_a"), {&fx::merge_w_emb_a_0});
  set_weights(*model.get_layer("emb_b"), {&fx::merge_w_emb_b_0});
  set_weights(*model.get_layer("emb_plain"), {&fx::merge_w_emb_plain_0});
  set_weights(*model.get_layer("plain"), {&fx::merge_w_plain_0, &fx::merge_w_plain_1});
  set_weights(*model.get_layer("rnn_add"), {&fx::merge_w_rnn_add_0, &fx::merge_w_rnn_add_1, &fx::merge_w_rnn_add_2});
  set_weights(*model.get_layer("rnn_cat"), {&fx::merge_w_rnn_cat_0, &fx::merge_w_rnn_cat_1, &fx::merge_w_rnn_cat_2});
  set_weights(*model.get_layer("rnn_cat_time"),
              {&fx::merge_w_rnn_cat_time_0, &fx::merge_w_rnn_cat_time_1, &fx::merge_w_rnn_cat_time_2});
  set_weights(*model.get_layer("rnn_mul_unmasked"),
              {&fx::merge_w_rnn_mul_unmasked_0, &fx::merge_w_rnn_mul_unmasked_1, &fx::merge_w_rnn_mul_unmasked_2});
  set_weights(*model.get_layer("rnn_cat_half"),
              {&fx::merge_w_rnn_cat_half_0, &fx::merge_w_rnn_cat_half_1, &fx::merge_w_rnn_cat_half_2});
  set_weights(*model.get_layer("rnn_mul_both"),
              {&fx::merge_w_rnn_mul_both_0, &fx::merge_w_rnn_mul_both_1, &fx::merge_w_rnn_mul_both_2});
  set_weights(*model.get_layer("rnn_max"), {&fx::merge_w_rnn_max_0, &fx::merge_w_rnn_max_1, &fx::merge_w_rnn_max_2});
  set_weights(*model.get_layer("rnn_min_half"),
              {&fx::merge_w_rnn_min_half_0, &fx::merge_w_rnn_min_half_1, &fx::merge_w_rnn_min_half_2});
  const std::vector<const fx::Case*> want{&fx::merge_y0, &fx::merge_y1, &fx::merge_y2, &fx::merge_y3,
                                          &fx::merge_y4, &fx::merge_y5, &fx::merge_y6, &fx::merge_y7};
  const std::vector<tf::Tensor> got = model.call_all({ids, ids_b});
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) expect_case(got[i], *want[i], 1e-5);
  // The masks themselves: Add's is the OR of the two; the time concatenation's joins them.
  L::Add add;
  L::Concatenate time({.axis = 1});
  const tf::Tensor ma = tf::not_equal(ids, tf::zeros_like(ids)), mb = tf::not_equal(ids_b, tf::zeros_like(ids_b));
  const tf::Tensor x = tf::zeros({3, 6, 3});
  tf::testing::expect_values(*add.compute_list_mask({x, x}, {ma, mb}), {3, 6},
                             tf::cast(tf::logical_or(ma, mb), tf::float64).to_vector<double>(), 0);
  EXPECT_FALSE(add.compute_list_mask({x, x}, {ma, std::nullopt}).has_value());
  tf::testing::expect_values(
      *time.compute_list_mask({x, x}, {ma, std::nullopt}), {3, 12},
      tf::cast(tf::concat({ma, tf::cast(tf::ones({3, 6}), tf::DType::kBool)}, 1), tf::float64).to_vector<double>(), 0);
  EXPECT_TF_ERROR(add.compute_list_mask({x, x}, {ma}), tf::errors::InvalidArgumentError,
                  "The lists `inputs` and `mask` should have the same length");
}

// A Sequential holding Embedding(mask_zero) inside a functional model and inside a Sequential
// passes its output's mask on, as Keras's nested models do.
TEST(MaskedRecurrentLayers, NestedSequentialPassesItsMaskOnAsKeras) {
  K::backend::clear_session();
  const tf::Tensor ids = from(fx::model_ids, tf::DType::kInt32);
  auto inner = std::make_shared<K::Sequential>(std::vector<K::AnyLayer>{
      L::Embedding(8, 3, {.mask_zero = true, .name = "inner_emb"}), L::Dense(3, {.name = "inner_dense"})});
  auto x = K::Input({6}, {.dtype = tf::DType::kInt32});
  L::LSTM lstm(2, {.name = "outer_lstm"});
  K::Model nested(x, lstm((*inner)(x)));
  L::LSTM lstm2(2, {.name = "outer_lstm2"});
  K::Sequential outer({K::Input({6}, {.dtype = tf::DType::kInt32}), inner, lstm2});
  set_weights(*inner->layers()[0], {&fx::nested_w_inner_emb_0});
  set_weights(*inner->layers()[1], {&fx::nested_w_inner_dense_0, &fx::nested_w_inner_dense_1});
  set_weights(lstm, {&fx::nested_w_outer_lstm_0, &fx::nested_w_outer_lstm_1, &fx::nested_w_outer_lstm_2});
  set_weights(lstm2, {&fx::nested_w_outer_lstm2_0, &fx::nested_w_outer_lstm2_1, &fx::nested_w_outer_lstm2_2});
  expect_case(nested(ids), fx::nested_functional_y, 1e-5);
  expect_case(nested.predict(ids), fx::nested_functional_y, 1e-5);
  expect_case(outer(ids), fx::nested_sequential_y, 1e-5);
  expect_case(outer.predict(ids), fx::nested_sequential_y, 1e-5);
  // The inner model's own output mask: ids != 0.
  const tf::Tensor h = (*inner)(ids);
  ASSERT_TRUE(inner->output_mask(h).has_value());
  tf::testing::expect_values(*inner->output_mask(h), {3, 6}, {1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0}, 0);
}

}  // namespace
