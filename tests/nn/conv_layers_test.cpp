// CNN layers (Conv2D, pooling, BatchNormalization): forwards and BatchNormalization's moving
// statistics against Keras 3 (tests/fixtures/gen_conv_layers.py), numerical gradients, typed
// errors naming the layer, and a CNN's model.summary() against Keras's text.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "tests/core/test_util.h"
#include "tests/nn/fixtures/conv_layers_fixtures.h"
#include "tests/nn/layer_gradient_check.h"

namespace {
namespace K = tf::keras;
namespace fx = fixtures::conv_layers;
using tf::testing::check_layer_gradients;
using tf::testing::expect_values;
using tf::testing::uniform64;

tf::Tensor from(const fx::Case& c, tf::DType dtype = tf::float32) {
  return tf::constant(c.values, tf::Shape(c.shape), dtype);
}
void expect_case(const tf::Tensor& got, const fx::Case& want, double tol = 1e-5) {
  expect_values(got, tf::Shape(want.shape), want.values, tol);
}

// ---- forwards vs Keras ------------------------------------------------------------------------

struct ConvCase {
  const char* name;
  int64_t filters;
  K::layers::IntPair kernel_size;
  K::layers::Conv2DOptions options;
  const fx::Case *kernel, *bias, *want;
};

TEST(Conv2D, ForwardMatchesKerasForPaddingStrideAndDilation) {
  const ConvCase cases[] = {
      {"k3_valid", 4, 3, {}, &fx::conv_k3_valid_kernel, &fx::conv_k3_valid_bias, &fx::conv_k3_valid},
      {"k3_s2_same",
       4,
       3,
       {.strides = 2, .padding = "same"},
       &fx::conv_k3_s2_same_kernel,
       &fx::conv_k3_s2_same_bias,
       &fx::conv_k3_s2_same},
      {"k23_s21_valid",
       5,
       {2, 3},
       {.strides = {2, 1}},
       &fx::conv_k23_s21_valid_kernel,
       &fx::conv_k23_s21_valid_bias,
       &fx::conv_k23_s21_valid},
      {"k3_s3_same",
       2,
       3,
       {.strides = 3, .padding = "SAME"},
       &fx::conv_k3_s3_same_kernel,
       &fx::conv_k3_s3_same_bias,
       &fx::conv_k3_s3_same},
      {"k3_d2_same",
       4,
       3,
       {.padding = "same", .dilation_rate = 2},
       &fx::conv_k3_d2_same_kernel,
       &fx::conv_k3_d2_same_bias,
       &fx::conv_k3_d2_same},
      {"k2_d21_valid",
       3,
       2,
       {.dilation_rate = {2, 1}},
       &fx::conv_k2_d21_valid_kernel,
       &fx::conv_k2_d21_valid_bias,
       &fx::conv_k2_d21_valid},
      {"k1_relu_nobias",
       4,
       1,
       {.activation = "relu", .use_bias = false},
       &fx::conv_k1_relu_nobias_kernel,
       nullptr,
       &fx::conv_k1_relu_nobias},
  };
  const tf::Tensor x = from(fx::conv_x);
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(c.name);
    K::layers::Conv2D conv(c.filters, c.kernel_size, c.options);
    conv.build(x.shape());
    conv.set_built(true);
    ASSERT_EQ(conv.kernel().shape(), tf::Shape(c.kernel->shape)) << "Keras's (KH, KW, C, filters) layout";
    conv.kernel().assign(from(*c.kernel));
    if (c.bias) conv.bias().assign(from(*c.bias));
    EXPECT_EQ(conv.variables().size(), c.bias ? 2u : 1u);
    expect_case(conv(x), *c.want);
  }
}

TEST(Conv2D, BuildsLazilyWithKerasNamesAndFans) {
  K::backend::clear_session();
  K::layers::Conv2D conv(8, {3, 2});
  EXPECT_EQ(conv.name(), "conv2d");
  EXPECT_EQ(K::layers::Conv2D(1, 1).name(), "conv2d_1");
  EXPECT_FALSE(conv.built());
  auto y = conv(tf::ones({2, 9, 9, 5}));
  EXPECT_EQ(y.shape(), tf::Shape({2, 7, 8, 8}));
  auto named = conv.named_variables();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].first, "conv2d/kernel");
  EXPECT_EQ(named[1].first, "conv2d/bias");
  EXPECT_EQ(conv.kernel().shape(), tf::Shape({3, 2, 5, 8}));
  EXPECT_EQ(conv.count_params(), 3 * 2 * 5 * 8 + 8);
  EXPECT_EQ(*conv.output_shape(), tf::Shape({-1, 7, 8, 8}));
  // glorot_uniform with Keras's receptive-field fans: limit = sqrt(6 / (6 * 5 + 6 * 8)).
  const double limit = std::sqrt(6.0 / (6 * 5 + 6 * 8));
  float most = 0;
  for (float v : conv.kernel().to_vector<float>()) most = std::max(most, std::abs(v));
  EXPECT_LE(most, limit);
  EXPECT_GT(most, 0.8 * limit);
}

TEST(Pooling, ForwardMatchesKeras) {
  const tf::Tensor x = from(fx::conv_x);
  struct PoolCase {
    const char* name;
    K::layers::Pool2DOptions options;
    const fx::Case *max, *avg;
  } cases[] = {
      {"default", {}, &fx::max_pool_default, &fx::avg_pool_default},
      {"p3_s2_same",
       {.pool_size = 3, .strides = 2, .padding = "same"},
       &fx::max_pool_p3_s2_same,
       &fx::avg_pool_p3_s2_same},
      {"p23_s1_valid", {.pool_size = {2, 3}, .strides = 1}, &fx::max_pool_p23_s1_valid, &fx::avg_pool_p23_s1_valid},
      {"p2_s3_same",
       {.pool_size = 2, .strides = K::layers::IntPair{3, 2}, .padding = "same"},
       &fx::max_pool_p2_s3_same,
       &fx::avg_pool_p2_s3_same},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    expect_case(K::layers::MaxPool2D(c.options)(x), *c.max);
    expect_case(K::layers::AveragePooling2D(c.options)(x), *c.avg);
  }
  expect_case(K::layers::GlobalAveragePooling2D()(x), fx::global_avg);
  expect_case(K::layers::GlobalAveragePooling2D({.keepdims = true})(x), fx::global_avg_keepdims);
  expect_case(K::layers::GlobalMaxPooling2D()(x), fx::global_max);
}

TEST(Pooling, KerasNamesAndNoWeights) {
  K::backend::clear_session();
  K::layers::MaxPooling2D pool;
  EXPECT_EQ(pool.name(), "max_pooling2d");
  EXPECT_EQ(pool.class_name(), "MaxPooling2D");
  EXPECT_EQ(K::layers::AveragePool2D().name(), "average_pooling2d");
  EXPECT_EQ(K::layers::GlobalAveragePooling2D().name(), "global_average_pooling2d");
  pool(tf::ones({1, 4, 4, 2}));
  EXPECT_EQ(pool.count_params(), 0);
  EXPECT_EQ(*pool.output_shape(), tf::Shape({-1, 2, 2, 2}));
}

// ---- BatchNormalization ------------------------------------------------------------------------

struct BatchNormSequence {
  const char* name;
  K::layers::BatchNormalizationOptions options;
  std::vector<const fx::Case*> initial;  // the weights in Keras's order
  std::vector<const fx::Case*> x, y, moving_mean, moving_variance;
  const fx::Case *xtest, *inference;
};

// Calls the layer in training mode on each x, comparing y and the moving statistics after the
// call with Keras's, then in inference mode.
void run_sequence(const BatchNormSequence& s) {
  SCOPED_TRACE(s.name);
  K::layers::BatchNormalization bn(s.options);
  bn.build(from(*s.x[0]).shape());
  bn.set_built(true);
  auto vars = bn.variables();
  ASSERT_EQ(vars.size(), s.initial.size());
  for (std::size_t i = 0; i < vars.size(); ++i) vars[i].assign(from(*s.initial[i]));
  for (std::size_t i = 0; i < s.x.size(); ++i) {
    SCOPED_TRACE("training call " + std::to_string(i));
    expect_case(bn(from(*s.x[i]), true), *s.y[i], 1e-5);
    expect_case(bn.moving_mean(), *s.moving_mean[i], 1e-6);
    expect_case(bn.moving_variance(), *s.moving_variance[i], 1e-6);
  }
  expect_case(bn(from(*s.xtest), false), *s.inference, 1e-5);
  expect_case(bn(from(*s.xtest)), *s.inference, 1e-5);  // training defaults to false
  expect_case(bn.moving_mean(), *s.moving_mean.back(), 1e-6);
}

TEST(BatchNormalization, Rank4TrainingUpdatesMovingStatisticsAsKeras) {
  run_sequence({"bn4",
                {.momentum = 0.9},
                {&fx::bn4_init_gamma, &fx::bn4_init_beta, &fx::bn4_init_moving_mean, &fx::bn4_init_moving_variance},
                {&fx::bn4_x0, &fx::bn4_x1, &fx::bn4_x2},
                {&fx::bn4_y0, &fx::bn4_y1, &fx::bn4_y2},
                {&fx::bn4_moving_mean0, &fx::bn4_moving_mean1, &fx::bn4_moving_mean2},
                {&fx::bn4_moving_variance0, &fx::bn4_moving_variance1, &fx::bn4_moving_variance2},
                &fx::bn4_xtest,
                &fx::bn4_inference});
}

TEST(BatchNormalization, Rank2WithDefaultMomentum) {
  run_sequence({"bn2",
                {},
                {&fx::bn2_init_gamma, &fx::bn2_init_beta, &fx::bn2_init_moving_mean, &fx::bn2_init_moving_variance},
                {&fx::bn2_x0, &fx::bn2_x1},
                {&fx::bn2_y0, &fx::bn2_y1},
                {&fx::bn2_moving_mean0, &fx::bn2_moving_mean1},
                {&fx::bn2_moving_variance0, &fx::bn2_moving_variance1},
                &fx::bn2_xtest,
                &fx::bn2_inference});
}

TEST(BatchNormalization, FeatureAxisOtherThanLast) {
  run_sequence({"bn_axis1",
                {.axis = 1, .momentum = 0.8, .epsilon = 0.01},
                {&fx::bn_axis1_init_gamma, &fx::bn_axis1_init_beta, &fx::bn_axis1_init_moving_mean,
                 &fx::bn_axis1_init_moving_variance},
                {&fx::bn_axis1_x0, &fx::bn_axis1_x1, &fx::bn_axis1_x2},
                {&fx::bn_axis1_y0, &fx::bn_axis1_y1, &fx::bn_axis1_y2},
                {&fx::bn_axis1_moving_mean0, &fx::bn_axis1_moving_mean1, &fx::bn_axis1_moving_mean2},
                {&fx::bn_axis1_moving_variance0, &fx::bn_axis1_moving_variance1, &fx::bn_axis1_moving_variance2},
                &fx::bn_axis1_xtest,
                &fx::bn_axis1_inference});
}

TEST(BatchNormalization, WithoutCenterAndScale) {
  run_sequence({"bn_plain",
                {.momentum = 0.5, .center = false, .scale = false},
                {&fx::bn_plain_init_moving_mean, &fx::bn_plain_init_moving_variance},
                {&fx::bn_plain_x0},
                {&fx::bn_plain_y0},
                {&fx::bn_plain_moving_mean0},
                {&fx::bn_plain_moving_variance0},
                &fx::bn_plain_xtest,
                &fx::bn_plain_inference});
}

TEST(BatchNormalization, WeightsInKerasOrderWithMovingStatisticsNonTrainable) {
  K::backend::clear_session();
  K::layers::BatchNormalization bn;
  EXPECT_EQ(bn.name(), "batch_normalization");
  bn(tf::ones({2, 3, 3, 4}));
  auto named = bn.named_variables();
  ASSERT_EQ(named.size(), 4u);
  const char* want[] = {"gamma", "beta", "moving_mean", "moving_variance"};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(named[i].first, std::string("batch_normalization/") + want[i]);
  EXPECT_EQ(bn.trainable_variables().size(), 2u);
  ASSERT_EQ(bn.non_trainable_variables().size(), 2u);
  EXPECT_EQ(bn.non_trainable_variables()[0].name(), "moving_mean:0");
  EXPECT_EQ(bn.count_params(), 16);
  expect_values(bn.gamma(), {4}, std::vector<double>(4, 1.0));
  expect_values(bn.moving_variance(), {4}, std::vector<double>(4, 1.0));
}

TEST(BatchNormalization, FrozenLayerNormalizesWithMovingStatisticsEvenWhenTraining) {
  // Keras 3: `training and self.trainable`; a frozen BatchNormalization runs in inference mode.
  K::layers::BatchNormalization bn({.trainable = false});
  auto x = tf::constant(std::vector<double>{1, 2, 3, 4, 5, 6}, tf::Shape{3, 2});
  auto y = bn(x, true);
  expect_values(y, {3, 2},
                {1 / std::sqrt(1.001), 2 / std::sqrt(1.001), 3 / std::sqrt(1.001), 4 / std::sqrt(1.001),
                 5 / std::sqrt(1.001), 6 / std::sqrt(1.001)});
  expect_values(bn.moving_mean(), {2}, {0, 0});
}

TEST(BatchNormalization, FitUpdatesMovingStatisticsAndTrainsOnlyGammaBeta) {
  tf::random::set_seed(3);
  auto x = tf::random::normal({64, 4, 4, 2}, {.mean = 2.0, .seed = 1});
  auto y = tf::random::uniform({64}, {.maxval = 3, .dtype = tf::int32, .seed = 2});
  K::layers::BatchNormalization bn({.momentum = 0.5});
  K::Sequential model({bn, K::layers::Flatten(), K::layers::Dense(3)});
  model.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.01}),
                 .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true})});
  model.fit(x, y, {.epochs = 2, .batch_size = 16, .verbose = 0});
  EXPECT_EQ(model.trainable_variables().size(), 4u);
  EXPECT_EQ(model.non_trainable_variables().size(), 2u);
  // Eight updates with momentum 0.5 bring the moving mean close to the data's mean of 2.
  for (float m : bn.moving_mean().to_vector<float>()) EXPECT_NEAR(m, 2.0, 0.3);
  for (float v : bn.moving_variance().to_vector<float>()) EXPECT_NEAR(v, 1.0, 0.4);
}

// ---- gradients ---------------------------------------------------------------------------------

TEST(LayerGradients, Conv2DMatchesNumericalDifferences) {
  const tf::Tensor x = uniform64({2, 6, 5, 3}, 1);
  check_layer_gradients(K::layers::Conv2D(4, 3, {.dtype = tf::float64}), x);
  check_layer_gradients(
      K::layers::Conv2D(
          2, {2, 3},
          {.strides = 2, .padding = "same", .activation = "tanh", .bias_initializer = "ones", .dtype = tf::float64}),
      x);
  check_layer_gradients(K::layers::Conv2D(3, 2, {.padding = "same", .dilation_rate = {2, 1}, .dtype = tf::float64}), x);
}

TEST(LayerGradients, PoolingMatchesNumericalDifferences) {
  const tf::Tensor x = uniform64({2, 5, 6, 2}, 2);
  check_layer_gradients(K::layers::MaxPool2D(), x);
  check_layer_gradients(K::layers::MaxPool2D({.pool_size = 3, .strides = 2, .padding = "same"}), x);
  check_layer_gradients(K::layers::AveragePool2D({.pool_size = {2, 3}, .strides = 1}), x);
  check_layer_gradients(K::layers::AveragePool2D({.pool_size = 3, .strides = 2, .padding = "same"}), x);
  check_layer_gradients(K::layers::GlobalAveragePooling2D(), x);
  check_layer_gradients(K::layers::GlobalMaxPooling2D({.keepdims = true}), x);
}

TEST(LayerGradients, BatchNormalizationMatchesNumericalDifferences) {
  const tf::Tensor x4 = uniform64({3, 2, 3, 2}, 3) * 2.0 + 0.5;
  auto opts = [](int axis) {
    return K::layers::BatchNormalizationOptions{
        .axis = axis,
        .beta_initializer = "ones",
        .gamma_initializer = K::initializers::RandomUniform({.minval = 0.5, .maxval = 1.5, .seed = 1}),
        .dtype = tf::float64};
  };
  check_layer_gradients(K::layers::BatchNormalization(opts(-1)), x4, true, 1e-5);  // fused
  check_layer_gradients(K::layers::BatchNormalization(opts(1)), x4, true, 1e-5);   // moments
  check_layer_gradients(K::layers::BatchNormalization(opts(-1)), x4, false);       // inference
  check_layer_gradients(K::layers::BatchNormalization(opts(-1)), uniform64({5, 3}, 4), true, 1e-5);
}

// ---- typed errors ------------------------------------------------------------------------------

TEST(ConvLayerErrors, BadInputsNameTheLayer) {
  K::backend::clear_session();
  K::layers::Conv2D conv(2, 3);
  EXPECT_TF_ERROR(conv(tf::ones({2, 5, 5})), tf::errors::InvalidArgumentError,
                  "layer \"conv2d\" is incompatible with the layer: expected ndim=4, found ndim=3");
  conv(tf::ones({1, 5, 5, 3}));
  EXPECT_TF_ERROR(conv(tf::ones({1, 5, 5, 4})), tf::errors::InvalidArgumentError,
                  "layer \"conv2d\" is incompatible with the layer: expected axis -1 of input shape to have value 3");

  K::layers::MaxPool2D pool;
  EXPECT_TF_ERROR(pool(tf::ones({4, 4, 2})), tf::errors::InvalidArgumentError,
                  "layer \"max_pooling2d\" is incompatible with the layer: expected ndim=4");
  EXPECT_TF_ERROR(K::layers::GlobalAveragePooling2D()(tf::ones({4, 2})), tf::errors::InvalidArgumentError,
                  "global_average_pooling2d");

  K::layers::BatchNormalization bn;
  bn(tf::ones({2, 3, 3, 4}));
  EXPECT_TF_ERROR(bn(tf::ones({2, 3, 3, 5})), tf::errors::InvalidArgumentError,
                  "layer \"batch_normalization\" is incompatible with the layer: expected axis -1 of input shape "
                  "to have value 4");
  EXPECT_TF_ERROR(bn(tf::ones({2, 4})), tf::errors::InvalidArgumentError, "expected ndim=4, found ndim=2");
  EXPECT_TF_ERROR(K::layers::BatchNormalization({.axis = 3})(tf::ones({2, 4})), tf::errors::InvalidArgumentError,
                  "batch_normalization_1");
}

TEST(ConvLayerErrors, BadArgumentsAreInvalidArgumentErrors) {
  EXPECT_TF_ERROR(K::layers::Conv2D(0, 3), tf::errors::InvalidArgumentError, "filters");
  EXPECT_TF_ERROR(K::layers::Conv2D(2, {3, 0}), tf::errors::InvalidArgumentError, "kernel_size=(3, 0)");
  EXPECT_TF_ERROR(K::layers::Conv2D(2, 3, {.padding = "full"}), tf::errors::InvalidArgumentError, "padding=full");
  EXPECT_TF_ERROR(K::layers::Conv2D(2, 3, {.strides = 2, .dilation_rate = 2}), tf::errors::InvalidArgumentError,
                  "`strides > 1` not supported in conjunction with `dilation_rate > 1`");
  EXPECT_TF_ERROR(K::layers::MaxPool2D({.pool_size = 0}), tf::errors::InvalidArgumentError, "pool_size");
  EXPECT_TF_ERROR(K::layers::AveragePool2D({.padding = "causal"}), tf::errors::InvalidArgumentError, "padding");
}

// ---- model.summary() ---------------------------------------------------------------------------

TEST(ConvLayers, CnnSummaryMatchesKeras) {
  K::backend::clear_session();
  namespace L = K::layers;
  K::Sequential model({L::Conv2D(32, 3, {.activation = "relu"}), L::BatchNormalization(), L::MaxPooling2D(),
                       L::Conv2D(64, 3, {.padding = "same", .activation = "relu"}), L::BatchNormalization(),
                       L::MaxPooling2D(), L::Conv2D(16, {2, 3}, {.strides = {2, 1}}),
                       L::AveragePooling2D({.pool_size = 2, .padding = "same"}), L::GlobalAveragePooling2D(),
                       L::Flatten(), L::Dropout(0.5), L::Dense(128, {.activation = "relu"}), L::Dense(10)});
  model(tf::zeros({1, 28, 28, 1}));
  std::ostringstream got;
  model.summary(got);
  std::ifstream f(std::string(TAPEFLOW_TEST_DIR) + "/nn/fixtures/summary_cnn.txt");
  std::stringstream want;
  want << f.rdbuf();
  EXPECT_EQ(got.str(), want.str());
}

}  // namespace
