// tf::nn::max_pool2d and avg_pool2d against TensorFlow CPU in float64 (tests/fixtures/gen_conv.py):
// values per dtype, gradients (ties to the first maximum), higher orders, argument errors.
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
double tol_for(tf::DType dt) { return dt == tf::float64 ? 1e-12 : 1e-5; }

using PoolFn = tf::Tensor (*)(const tf::Tensor&, const tf::nn::WindowArg&, const tf::nn::WindowArg&,
                              const std::string&);
struct PoolCase {
  std::string name;
  PoolFn pool;
  const fx::Case &x, &g, &y, &dx;
  tf::nn::WindowArg ksize, strides;
  std::string padding;
  tf::Tensor operator()(const tf::Tensor& t) const { return pool(t, ksize, strides, padding); }
};
#define POOL_CASE(OP, NAME, KSIZE, STRIDES, PADDING)                                                   \
  PoolCase {                                                                                           \
#OP "_" #NAME, tf::nn::OP##_pool2d, fx::pool_##NAME##_x, fx::OP##_##NAME##_g, fx::OP##_##NAME##_y, \
        fx::OP##_##NAME##_dx, KSIZE, STRIDES, PADDING                                                  \
  }
// The same cases as gen_conv.py's pool_cases, for max and avg.
std::vector<PoolCase> pool_cases() {
  return {POOL_CASE(max, k2s2_valid, 2, 2, "VALID"),
          POOL_CASE(max, k3s2_same, 3, 2, "SAME"),
          POOL_CASE(max, k23_s12_same, (tf::nn::WindowArg{2, 3}), (tf::nn::WindowArg{1, 2}), "SAME"),
          POOL_CASE(max, k3s1_same, 3, 1, "SAME"),
          POOL_CASE(avg, k2s2_valid, 2, 2, "VALID"),
          POOL_CASE(avg, k3s2_same, 3, 2, "SAME"),
          POOL_CASE(avg, k23_s12_same, (tf::nn::WindowArg{2, 3}), (tf::nn::WindowArg{1, 2}), "SAME"),
          POOL_CASE(avg, k3s1_same, 3, 1, "SAME")};
}
#undef POOL_CASE

TEST(Pooling, MatchesTensorFlow) {
  for (const auto& c : pool_cases()) {
    for (tf::DType dt : {tf::float64, tf::float32}) {
      SCOPED_TRACE(c.name + " " + std::string(tf::dtype_name(dt)));
      auto y = c(from(c.x, dt));
      EXPECT_EQ(y.dtype(), dt);
      expect_case(y, c.y, tol_for(dt));
    }
  }
}

TEST(Pooling, GradientsMatchTensorFlow) {
  for (const auto& c : pool_cases()) {
    for (tf::DType dt : {tf::float64, tf::float32}) {
      SCOPED_TRACE(c.name + " " + std::string(tf::dtype_name(dt)));
      auto x = from(c.x, dt), g = from(c.g, dt);
      tf::GradientTape tape;
      tape.watch(x);
      auto loss = tf::reduce_sum(g * c(x));
      tape.stop();
      expect_case(*tape.gradient(loss, x), c.dx, tol_for(dt));
    }
  }
}

TEST(MaxPool, TiesRouteToTheFirstMaximum) {
  auto x = from(fx::tie_x), g = from(fx::tie_g);
  tf::GradientTape tape;
  tape.watch(x);
  auto y = tf::nn::max_pool2d(x, 3, 1, "SAME");
  auto loss = tf::reduce_sum(g * y);
  tape.stop();
  expect_case(y, fx::tie_y, 0);
  expect_case(*tape.gradient(loss, x), fx::tie_dx, 1e-12);
}

TEST(MaxPool, SamePaddingNeverWins) {
  auto x = tf::constant(std::vector<float>{-5, -6, -7, -8}, tf::Shape{1, 2, 2, 1});
  expect_values(tf::nn::max_pool2d(x, 3, 1, "SAME"), {1, 2, 2, 1}, {-5, -5, -5, -5});
  expect_values(tf::nn::avg_pool2d(x, 3, 1, "SAME"), {1, 2, 2, 1}, {-6.5, -6.5, -6.5, -6.5});
}

// Second order: MaxPoolGrad's rule (MaxPoolGradGrad) and AvgPoolGrad's rule (AvgPool).
TEST(Pooling, SecondOrderGradients) {
  for (const auto& c : pool_cases()) {
    SCOPED_TRACE(c.name);
    // The fixtures round to 1e-3, so a window may hold equal values; a little noise separates
    // them by much more than the central differences' step.
    const auto n = static_cast<int64_t>(c.x.values.size());
    auto noise = tf::reshape(tf::sin(tf::range(0, n, 1, tf::float64)), tf::Shape(c.x.shape)) * 3e-4;
    auto x = from(c.x) + noise;
    tf::testing::expect_second_order([&](const tf::Tensor& t) { return tf::reduce_sum(tf::square(c(t))); }, x,
                                     tf::cos(x));
  }
}

// MaxPoolGradGrad reads its input at the maxima; its gradient (third order) routes back there.
TEST(MaxPool, GradGradIsTheTransposeOfGrad) {
  auto x = from(fx::pool_k3s2_same_x);
  tf::ops::PoolAttrs attrs;
  attrs.ksize[0] = attrs.ksize[1] = 3;
  attrs.strides[0] = attrs.strides[1] = 2;
  attrs.padding = tf::ops::Padding::kSame;
  auto y = tf::ops::max_pool(x, attrs);
  auto h = tf::sin(x), w = tf::cos(y);
  tf::GradientTape tape;
  tape.watch(h);
  auto s = tf::reduce_sum(w * tf::ops::max_pool_grad_grad(x, y, h, attrs));
  tape.stop();
  auto want = tf::ops::max_pool_grad(x, y, w, attrs);
  expect_values(*tape.gradient(s, h), x.shape(), want.to_vector<double>(), 1e-12);
  // sum(w * grad_grad(h)) == sum(h * grad(w)).
  EXPECT_NEAR(s.item<double>(), tf::reduce_sum(h * want).item<double>(), 1e-12);
}

TEST(Pooling, Errors) {
  using tf::testing::expect_invalid_argument;
  auto x = tf::zeros({1, 5, 5, 3});
  expect_invalid_argument([&] { return tf::nn::max_pool2d(x, 0, 1, "SAME"); }, "MaxPool",
                          "ksize must be positive, got [0, 0]");
  expect_invalid_argument([&] { return tf::nn::avg_pool2d(x, 2, -1, "SAME"); }, "AvgPool",
                          "strides must be positive, got [-1, -1]");
  expect_invalid_argument(
      [&] {
        return tf::nn::max_pool2d(tf::zeros({5, 5, 3}), 2, 1, "SAME");
      },
      "MaxPool", "input must be 4-dimensional (N, H, W, C): [5,5,3]");
  expect_invalid_argument([&] { return tf::nn::avg_pool2d(x, 2, 1, "FULL"); }, "AvgPool",
                          "Value for attr 'padding' of \"FULL\"");
  expect_invalid_argument(
      [&] {
        return tf::nn::max_pool2d(x, {2, 2, 2, 1}, 1, "SAME");
      },
      "MaxPool", "does not yet support ksize in the batch and depth dimensions");
  expect_invalid_argument([&] { return tf::nn::max_pool2d(x, 7, 1, "VALID"); }, "MaxPool",
                          "Computed output size would be negative");
  expect_invalid_argument(
      [&] {
        return tf::nn::max_pool2d(tf::zeros({1, 5, 5, 3}, tf::int32), 2, 1, "SAME");
      },
      "MaxPool", "input must be floating");
}

}  // namespace
