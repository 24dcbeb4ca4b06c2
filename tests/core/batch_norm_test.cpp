// tf::nn::bias_add, moments, batch_normalization and fused_batch_norm against TensorFlow CPU
// in float64 (tests/fixtures/gen_conv.py): values, gradients through tf::GradientTape,
// running statistics, and argument errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/core/fixtures/conv_fixtures.h"
#include "tests/autograd/gradient_check.h"
#include "tests/core/test_util.h"

namespace {
namespace fx = ::fixtures::conv;
using tf::testing::expect_values;

tf::Tensor from(const fx::Case& c, tf::DType dt = tf::float64) {
  return tf::cast(tf::constant(c.values, tf::Shape(c.shape), tf::float64), dt);
}
void expect_case(const tf::Tensor& got, const fx::Case& want, double tol) {
  expect_values(got, tf::Shape(want.shape), want.values, tol);
}
double tol_for(tf::DType dt) { return dt == tf::float64 ? 1e-10 : 1e-4; }

// ---- bias_add -------------------------------------------------------------------------------
TEST(BiasAdd, ValuesAndGradients) {
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16}) {
    SCOPED_TRACE(tf::dtype_name(dt));
    auto v = from(fx::bias_value, dt), b = from(fx::bias_bias, dt), g = from(fx::bias_g, dt);
    tf::GradientTape tape;
    tape.watch(v);
    tape.watch(b);
    auto y = tf::nn::bias_add(v, b);
    auto loss = tf::reduce_sum(g * y);
    tape.stop();
    auto grads = tape.gradient(loss, std::vector<tf::Tensor>{v, b});
    const double tol = dt == tf::float16 ? 5e-3 : tol_for(dt);
    expect_case(y, fx::bias_y, tol);
    expect_values(*grads[0], g.shape(), tf::testing::values_as_double(g), tol);
    expect_case(*grads[1], fx::bias_dbias, tol);
  }
}

TEST(BiasAdd, IntegersAndViews) {
  auto v = tf::constant({{1, 2, 3}, {4, 5, 6}});
  expect_values(tf::nn::bias_add(v, tf::constant({10, 20, 30})), {2, 3}, {11, 22, 33, 14, 25, 36});
  expect_values(tf::ops::bias_add_grad(v), {3}, {5, 7, 9});
  auto t = tf::transpose(tf::constant({{1.0f, 2.0f}, {3.0f, 4.0f}, {5.0f, 6.0f}}));  // (2, 3) view
  expect_values(tf::nn::bias_add(t, tf::constant({1.0f, 1.0f, 1.0f})), {2, 3}, {2, 4, 6, 3, 5, 7});
}

TEST(BiasAdd, LargeSumsAreExact) {
  // Enough rows for channel_sums to split them into blocks.
  auto g = tf::ones({4096, 3, 8}, tf::float32);
  expect_values(tf::ops::bias_add_grad(g), {8}, std::vector<double>(8, 4096 * 3));
}

TEST(BiasAdd, SecondOrder) {
  auto v = from(fx::bias_value), b = from(fx::bias_bias);
  tf::testing::expect_second_order(
      [&](const tf::Tensor& t) { return tf::reduce_sum(tf::square(tf::nn::bias_add(v, t))); }, b, tf::cos(b));
}

TEST(BiasAdd, Errors) {
  tf::testing::expect_invalid_argument(
      [] {
        return tf::nn::bias_add(tf::zeros({2, 3}), tf::zeros({4}));
      },
      "BiasAdd", "Must provide as many biases as the last dimension of the input tensor: [4] vs. [2,3]");
  tf::testing::expect_invalid_argument([] { return tf::nn::bias_add(tf::zeros({3}), tf::zeros({3})); }, "BiasAdd",
                                       "Input tensor must be at least 2D: [3]");
}

// ---- moments and batch_normalization ----------------------------------------------------------
TEST(Moments, MatchTensorFlow) {
  auto x = from(fx::moments_x);
  auto [mean, variance] = tf::nn::moments(x, {0, 1});
  expect_case(mean, fx::moments_mean, 1e-12);
  expect_case(variance, fx::moments_var, 1e-12);
  auto [mean_k, variance_k] = tf::nn::moments(x, {0, -1}, /*keepdims=*/true);
  expect_case(mean_k, fx::moments_mean_k, 1e-12);
  expect_case(variance_k, fx::moments_var_k, 1e-12);
  auto [mean16, variance16] = tf::nn::moments(tf::cast(x, tf::float16), {0, 1});
  EXPECT_EQ(mean16.dtype(), tf::float16);
  expect_case(variance16, fx::moments_var, 2e-3);
}

TEST(Moments, Gradient) {
  auto x = from(fx::moments_x), g = from(fx::moments_g);
  tf::GradientTape tape;
  tape.watch(x);
  auto loss = tf::reduce_sum(g * tf::nn::moments(x, {0, 1}).second);
  tape.stop();
  expect_case(*tape.gradient(loss, x), fx::moments_dvar_dx, 1e-12);
}

TEST(BatchNormalization, ValuesAndGradientsOfEveryInput) {
  std::vector<tf::Tensor> in = {from(fx::bn_x), from(fx::bn_mean), from(fx::bn_var), from(fx::bn_offset),
                                from(fx::bn_scale)};
  auto g = from(fx::bn_g);
  tf::GradientTape tape;
  for (auto& t : in) tape.watch(t);
  auto y = tf::nn::batch_normalization(in[0], in[1], in[2], in[3], in[4], 1e-3);
  auto loss = tf::reduce_sum(g * y);
  tape.stop();
  expect_case(y, fx::bn_y, 1e-12);
  auto d = tape.gradient(loss, in);
  expect_case(*d[0], fx::bn_dx, 1e-10);
  expect_case(*d[1], fx::bn_dmean, 1e-10);
  expect_case(*d[2], fx::bn_dvar, 1e-10);
  expect_case(*d[3], fx::bn_doffset, 1e-10);
  expect_case(*d[4], fx::bn_dscale, 1e-10);
  expect_case(tf::nn::batch_normalization(in[0], in[1], in[2], std::nullopt, std::nullopt, 1e-3), fx::bn_y_no_affine,
              1e-12);
}

// ---- fused_batch_norm ------------------------------------------------------------------------
TEST(FusedBatchNorm, TrainingMatchesTensorFlow) {
  for (tf::DType dt : {tf::float64, tf::float32}) {
    SCOPED_TRACE(tf::dtype_name(dt));
    auto x = from(fx::fbn_x, dt), scale = from(fx::fbn_scale, dt), offset = from(fx::fbn_offset, dt);
    auto g = from(fx::fbn_g, dt);
    tf::GradientTape tape;
    for (auto* t : {&x, &scale, &offset}) tape.watch(*t);
    auto [y, mean, variance] = tf::nn::fused_batch_norm(x, scale, offset);
    auto loss = tf::reduce_sum(g * y);
    tape.stop();
    expect_case(y, fx::fbn_y, tol_for(dt));
    expect_case(mean, fx::fbn_batch_mean, tol_for(dt));
    expect_case(variance, fx::fbn_batch_var, tol_for(dt));  // unbiased, as TF
    auto d = tape.gradient(loss, std::vector<tf::Tensor>{x, scale, offset});
    expect_case(*d[0], fx::fbn_dx, tol_for(dt));
    expect_case(*d[1], fx::fbn_dscale, tol_for(dt));
    expect_case(*d[2], fx::fbn_doffset, tol_for(dt));
  }
}

TEST(FusedBatchNorm, GradientsMatchCentralDifferences) {
  auto x = from(fx::fbn_x), scale = from(fx::fbn_scale), offset = from(fx::fbn_offset), g = from(fx::fbn_g);
  auto loss_of_x = [&](const tf::Tensor& t) {
    return tf::reduce_sum(g * tf::nn::fused_batch_norm(t, scale, offset).y);
  };
  expect_values(tf::testing::tape_gradient(loss_of_x, x), x.shape(), tf::testing::numeric_gradient(loss_of_x, x), 1e-7);
  auto loss_of_scale = [&](const tf::Tensor& t) {
    return tf::reduce_sum(g * tf::nn::fused_batch_norm(x, t, offset).y);
  };
  expect_values(tf::testing::tape_gradient(loss_of_scale, scale), scale.shape(),
                tf::testing::numeric_gradient(loss_of_scale, scale), 1e-7);
}

TEST(FusedBatchNorm, RunningAverage) {
  auto out = tf::nn::fused_batch_norm(
      from(fx::fbn_x), from(fx::fbn_scale), from(fx::fbn_offset),
      {.mean = from(fx::fbn_run_mean), .variance = from(fx::fbn_run_var), .exponential_avg_factor = 0.1});
  expect_case(out.y, fx::fbn_y, 1e-10);
  expect_case(out.mean, fx::fbn_avg_mean, 1e-12);
  expect_case(out.variance, fx::fbn_avg_var, 1e-12);
}

TEST(FusedBatchNorm, InferenceMatchesTensorFlow) {
  for (tf::DType dt : {tf::float64, tf::float32}) {
    SCOPED_TRACE(tf::dtype_name(dt));
    auto x = from(fx::fbn_x, dt), scale = from(fx::fbn_scale, dt), offset = from(fx::fbn_offset, dt);
    auto run_mean = from(fx::fbn_run_mean, dt), run_var = from(fx::fbn_run_var, dt);
    tf::GradientTape tape;
    for (auto* t : {&x, &scale, &offset, &run_mean}) tape.watch(*t);
    auto out =
        tf::nn::fused_batch_norm(x, scale, offset, {.mean = run_mean, .variance = run_var, .is_training = false});
    auto loss = tf::reduce_sum(from(fx::fbn_g, dt) * out.y);
    tape.stop();
    expect_case(out.y, fx::fbn_inf_y, tol_for(dt));
    expect_case(out.mean, fx::fbn_run_mean, tol_for(dt));
    expect_case(out.variance, fx::fbn_run_var, tol_for(dt));
    auto d = tape.gradient(loss, std::vector<tf::Tensor>{x, scale, offset, run_mean});
    expect_case(*d[0], fx::fbn_inf_dx, tol_for(dt));
    expect_case(*d[1], fx::fbn_inf_dscale, tol_for(dt));
    expect_case(*d[2], fx::fbn_inf_doffset, tol_for(dt));
    EXPECT_FALSE(d[3].has_value());  // TF gives the statistics no gradient
  }
}

TEST(FusedBatchNorm, Rank2IsPerColumn) {
  auto x = tf::constant({{1.0, 10.0}, {3.0, 20.0}}, tf::float64);
  auto out = tf::nn::fused_batch_norm(x, tf::ones({2}, tf::float64), tf::zeros({2}, tf::float64), {.epsilon = 0});
  expect_values(out.y, {2, 2}, {-1, -1, 1, 1}, 1e-12);
  expect_values(out.mean, {2}, {2, 15}, 1e-12);
  expect_values(out.variance, {2}, {2, 50}, 1e-12);
}

TEST(FusedBatchNorm, Errors) {
  using tf::testing::expect_invalid_argument;
  auto x = tf::zeros({2, 2, 2, 3});
  expect_invalid_argument([&] { return tf::nn::fused_batch_norm(x, tf::ones({4}), tf::zeros({3})).y; },
                          "FusedBatchNormV3",
                          "scale must have the same number of elements as the channels of x, got 4 and 3");
  expect_invalid_argument([&] { return tf::nn::fused_batch_norm(x, tf::ones({3}), tf::zeros({3}, tf::float64)).y; },
                          "FusedBatchNormV3", "offset must be float32 for float32 x, got float64");
  expect_invalid_argument(
      [&] { return tf::nn::fused_batch_norm(x, tf::ones({3}), tf::zeros({3}), {.is_training = false}).y; },
      "FusedBatchNormV3", "mean and variance are required for inference");
  expect_invalid_argument([&] { return tf::nn::fused_batch_norm(tf::zeros({3}), tf::ones({3}), tf::zeros({3})).y; },
                          "FusedBatchNormV3", "input must be at least 2-dimensional");
}

}  // namespace
