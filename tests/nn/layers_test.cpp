// Keras layers: forwards against Keras 3 (tests/fixtures/gen_keras.py), gradients, lazy build,
// regularization losses, training flag and typed errors that name the layer.
#include <gtest/gtest.h>

#include "tests/nn/nn_test_util.h"

namespace {
namespace K = tf::keras;
namespace fx = fixtures::keras;
using tf::testing::expect_case;
using tf::testing::from_case;

K::layers::Dense dense_with_fixture_weights(K::layers::DenseOptions options = {}) {
  K::layers::Dense d(3, std::move(options));
  d.build({-1, 5});
  d.set_built(true);
  d.kernel().assign(from_case(fx::dense_kernel));
  d.bias().assign(from_case(fx::dense_bias));
  return d;
}

TEST(Dense, ForwardMatchesKerasForEveryActivation) {
  const std::pair<const char*, const fx::Case*> cases[] = {{"linear", &fx::dense_linear},   {"relu", &fx::dense_relu},
                                                           {"sigmoid", &fx::dense_sigmoid}, {"tanh", &fx::dense_tanh},
                                                           {"softmax", &fx::dense_softmax}, {"gelu", &fx::dense_gelu},
                                                           {"elu", &fx::dense_elu}};
  for (auto [name, want] : cases) {
    SCOPED_TRACE(name);
    auto d = dense_with_fixture_weights({.activation = name});
    expect_case(d(from_case(fx::dense_x)), *want, 1e-5);
  }
}

TEST(Dense, BuildsLazilyFromTheFirstInput) {
  K::backend::clear_session();
  K::layers::Dense d(7);
  EXPECT_FALSE(d.built());
  EXPECT_EQ(d.name(), "dense");
  EXPECT_EQ(K::layers::Dense(2).name(), "dense_1");
  EXPECT_EQ(K::layers::Dense(2, {.name = "head"}).name(), "head");
  auto y = d(tf::ones({4, 5}));
  EXPECT_TRUE(d.built());
  EXPECT_EQ(y.shape(), tf::Shape({4, 7}));
  EXPECT_EQ(d.kernel().shape(), tf::Shape({5, 7}));
  EXPECT_EQ(d.bias().shape(), tf::Shape({7}));
  auto named = d.named_variables();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].first, "dense/kernel");
  EXPECT_EQ(named[1].first, "dense/bias");
  EXPECT_EQ(d.count_params(), 42);
  EXPECT_EQ(*d.output_shape(), tf::Shape({-1, 7}));
  tf::testing::expect_values(d.bias(), {7}, std::vector<double>(7, 0.0));
  // glorot_uniform: U(-limit, limit), limit = sqrt(6 / (5 + 7)).
  for (float v : d.kernel().to_vector<float>()) EXPECT_LE(std::abs(v), std::sqrt(6.0 / 12.0));
}

TEST(Dense, CopiesShareWeights) {
  K::layers::Dense d(3);
  K::layers::Dense copy = d;
  copy(tf::ones({1, 2}));
  EXPECT_TRUE(d.built());
  EXPECT_TRUE(d.kernel() == copy.kernel());
}

TEST(Dense, Rank3InputsContractTheLastAxis) {
  auto d = dense_with_fixture_weights();
  expect_case(d(from_case(fx::dense_x3)), fx::dense_rank3, 1e-5);
}

TEST(Dense, GradientsMatchKeras) {
  auto d = dense_with_fixture_weights({.activation = "tanh"});
  auto x = from_case(fx::dense_x);
  tf::GradientTape tape({.persistent = true});
  tape.watch(x);
  auto out = tf::reduce_sum(d(x) * from_case(fx::dense_g));
  tape.stop();
  auto grads = tape.gradient(out, d.trainable_variables());
  ASSERT_EQ(grads.size(), 2u);
  expect_case(*grads[0], fx::dense_tanh_dkernel, 1e-5);
  expect_case(*grads[1], fx::dense_tanh_dbias, 1e-5);
  expect_case(*tape.gradient(out, x), fx::dense_tanh_dx, 1e-5);
}

TEST(Dense, GradientMatchesCentralDifferencesInFloat64) {
  K::layers::Dense d(3, {.activation = "sigmoid", .dtype = tf::float64});
  auto x = tf::constant(fx::dense_x.values, tf::Shape(fx::dense_x.shape), tf::float64);
  d.build(x.shape());
  d.set_built(true);
  d.kernel().assign(tf::constant(fx::dense_kernel.values, tf::Shape(fx::dense_kernel.shape), tf::float64));
  auto loss = [&](const tf::Tensor& xv) { return tf::reduce_sum(tf::square(d(xv))); };
  tf::GradientTape tape;
  tape.watch(x);
  auto y = loss(x);
  tape.stop();
  auto g = tape.gradient(y, x)->to_vector<double>();
  auto xs = x.to_vector<double>();
  const double h = 1e-6;
  for (std::size_t i = 0; i < xs.size(); i += 3) {
    auto plus = xs, minus = xs;
    plus[i] += h;
    minus[i] -= h;
    double num = (loss(tf::constant(plus, x.shape(), tf::float64)).item<double>() -
                  loss(tf::constant(minus, x.shape(), tf::float64)).item<double>()) /
                 (2 * h);
    EXPECT_NEAR(g[i], num, 1e-6) << "element " << i;
  }
}

TEST(Dense, L2RegularizerAddsItsPenaltyToLosses) {
  auto d = dense_with_fixture_weights({.kernel_regularizer = K::regularizers::L2(0.01)});
  d(from_case(fx::dense_x));
  auto losses = d.losses();
  ASSERT_EQ(losses.size(), 1u);
  EXPECT_NEAR(losses[0].item<float>(), fx::dense_l2_loss.values[0], 1e-6);
}

TEST(Dense, InitializersByName) {
  K::layers::Dense zeros(4, {.use_bias = false, .kernel_initializer = "zeros"});
  zeros.build({-1, 300});
  tf::testing::expect_values(tf::reduce_sum(tf::abs(zeros.kernel())), {}, {0.0});
  EXPECT_FALSE(zeros.bias().defined());
  K::layers::Dense he(400, {.kernel_initializer = "he_normal"});
  he.build({-1, 300});
  auto k = he.kernel().to_vector<float>();
  double sum2 = 0, limit = 2 * std::sqrt(2.0 / 300) / 0.87962566103423978;
  for (float v : k) {
    sum2 += double(v) * v;
    EXPECT_LE(std::abs(v), limit + 1e-6);
  }
  EXPECT_NEAR(std::sqrt(sum2 / k.size()), std::sqrt(2.0 / 300), 0.05 * std::sqrt(2.0 / 300));
  EXPECT_THROW(K::layers::Dense(3, {.kernel_initializer = "bogus"}), tf::errors::InvalidArgumentError);
  EXPECT_THROW(K::layers::Dense(3, {.activation = "bogus"}), tf::errors::InvalidArgumentError);
}

TEST(Dense, BadInputsNameTheLayer) {
  K::layers::Dense d(3, {.name = "classifier"});
  EXPECT_TF_ERROR(d(tf::ones({5})), tf::errors::InvalidArgumentError, "layer \"classifier\"");
  d(tf::ones({2, 4}));
  EXPECT_TF_ERROR(
      d(tf::ones({2, 5})), tf::errors::InvalidArgumentError,
      "layer \"classifier\" is incompatible with the layer: expected axis -1 of input shape to have value 4");
}

TEST(Embedding, LooksUpRowsAsKeras) {
  K::layers::Embedding e(6, 4);
  e.build({});
  e.set_built(true);
  e.embeddings().assign(from_case(fx::embedding_table));
  auto ids = tf::cast(from_case(fx::embedding_ids), tf::int32);
  expect_case(e(ids), fx::embedding_out);
  EXPECT_TF_ERROR(e(tf::constant({1, 6})), tf::errors::InvalidArgumentError, "\"embedding");
}

TEST(Reshaping, FlattenAndReshapeMatchKeras) {
  auto img = from_case(fx::flatten_in);
  expect_case(K::layers::Flatten()(img), fx::flatten_out);
  expect_case(K::layers::Reshape({2, 6})(img), fx::reshape_out);
  expect_case(K::layers::Reshape({-1, 3})(img), fx::reshape_unknown);
  EXPECT_EQ(K::layers::Flatten()(tf::ones({3})).shape(), tf::Shape({3, 1}));
  EXPECT_TF_ERROR(K::layers::Reshape({5}, {.name = "to_five"})(img), tf::errors::InvalidArgumentError, "\"to_five\"");
}

TEST(Dropout, DropsOnlyWhenTraining) {
  K::layers::Dropout drop(0.5, {.seed = 3});
  auto x = tf::ones({1000});
  tf::testing::expect_values(drop(x), {1000}, std::vector<double>(1000, 1.0));
  auto y = drop(x, true).to_vector<float>();
  int zeros = 0;
  for (float v : y) {
    EXPECT_TRUE(v == 0.0f || v == 2.0f);
    zeros += v == 0.0f;
  }
  EXPECT_GT(zeros, 400);
  EXPECT_LT(zeros, 600);
  EXPECT_THROW(K::layers::Dropout(1.5), tf::errors::InvalidArgumentError);
}

TEST(Activation, AppliesByNameOrFunction) {
  auto x = tf::constant({-1.0f, 2.0f});
  tf::testing::expect_values(K::layers::Activation("relu")(x), {2}, {0.0, 2.0});
  tf::testing::expect_values(K::layers::Activation([](const tf::Tensor& t) { return t * 3.0f; })(x), {2}, {-3.0, 6.0});
}

// A custom layer: build creates a weight from the input shape, call uses `training`.
struct Scale : K::layers::Layer {
  tf::Variable s;
  Scale() : Layer("scale") {}
  void build(const tf::Shape& input_shape) override {
    s = add_weight("s", {input_shape.dim(-1)}, {.initializer = "ones"});
  }
  tf::Tensor call(const tf::Tensor& x, bool training) override {
    add_loss(tf::reduce_sum(s) * 0.5f);
    return training ? x * s * 2.0f : x * s;
  }
  std::string class_name() const override { return "Scale"; }
};

// A Function called inside a layer's call: the layers it calls inherit the call's training flag,
// so the flag is part of the Function's signature (a trace per flag, as Keras's retracing).
struct DoubleWhenTraining : K::layers::Layer {
  DoubleWhenTraining() : Layer("double_when_training") {}
  tf::Tensor call(const tf::Tensor& x, bool training) override { return training ? x * 2.0f : x; }
};
struct CallsAFunction : K::layers::Layer {
  DoubleWhenTraining inner;
  tf::Function f = tf::function([this](const tf::Tensor& x) { return inner(x); });
  CallsAFunction() : Layer("calls_a_function") {}
  tf::Tensor call(const tf::Tensor& x, bool) override { return f(x).tensor(); }
};

TEST(Layer, AFunctionInsideACallRetracesForTheTrainingFlag) {
  CallsAFunction layer;
  auto x = tf::constant({{1.0f, 2.0f}});
  tf::testing::expect_values(layer(x, true), {1, 2}, {2.0, 4.0});
  tf::testing::expect_values(layer(x, false), {1, 2}, {1.0, 2.0});
  tf::testing::expect_values(layer(x, true), {1, 2}, {2.0, 4.0});
  EXPECT_EQ(layer.f.experimental_get_tracing_count(), 2);
}

TEST(Layer, CustomLayerBuildsAndSeesTraining) {
  Scale layer;
  auto x = tf::constant({{1.0f, 2.0f}});
  tf::testing::expect_values(layer(x), {1, 2}, {1.0, 2.0});
  tf::testing::expect_values(layer(x, true), {1, 2}, {2.0, 4.0});
  ASSERT_EQ(layer.trainable_variables().size(), 1u);
  EXPECT_EQ(layer.named_variables()[0].first.substr(0, 5), "scale");
  ASSERT_EQ(layer.losses().size(), 1u);  // cleared at each outermost call
  EXPECT_FLOAT_EQ(layer.losses()[0].item<float>(), 1.0f);
  layer.set_trainable(false);
  EXPECT_TRUE(layer.trainable_variables().empty());
  EXPECT_EQ(layer.non_trainable_variables().size(), 1u);
}

}  // namespace
