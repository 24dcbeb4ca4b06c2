// tf::nn::max_pool2d and avg_pool2d against TensorFlow CPU in float64 (tests/fixtures/gen_conv.py):
// values per dtype, gradients (ties to the first maximum), higher orders, argument errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tapeflow/kernels/cpu/onednn_runtime.h"
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

// The own kernel's one-pass gradient of non-overlapping windows (Note [MaxPoolGrad of disjoint
// windows in one pass]) against the strict-greater chain written out here, bit for bit: ties,
// -inf, NaN (never the maximum; a window without a number above -inf routes to its first pixel),
// channels in 8-lane blocks and a tail, leftover rows (VALID), clipped windows (SAME) and gaps
// (stride > window). The overlapping 3x3/2 case runs the scatter kernel against the same chain.
TEST(MaxPool, GradOfDisjointWindowsFollowsTheFirstMaximumChain) {
  struct Geometry {
    int64_t h, w, kh, kw, sh, sw;
    const char* padding;
  };
  const std::vector<Geometry> geometries = {{8, 8, 2, 2, 2, 2, "VALID"}, {7, 9, 2, 2, 2, 2, "VALID"},
                                            {7, 9, 2, 2, 2, 2, "SAME"},  {9, 10, 2, 3, 3, 4, "VALID"},
                                            {9, 10, 3, 3, 3, 3, "SAME"}, {9, 9, 3, 3, 2, 2, "SAME"}};
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  const double pool[] = {-1, 0, 1, 1, 2, -inf, nan, -2};
  tf::kernels::cpu::set_onednn_enabled(false);  // the own kernels (onednn_kernels_test compares the two)
  for (const Geometry& geo : geometries)
    for (tf::DType dt : {tf::float32, tf::float64, tf::bfloat16}) {
      SCOPED_TRACE(std::to_string(geo.kh) + "x" + std::to_string(geo.kw) + "/" + std::to_string(geo.sh) + "x" +
                   std::to_string(geo.sw) + " " + geo.padding + " on " + std::to_string(geo.h) + "x" +
                   std::to_string(geo.w) + " " + std::string(tf::dtype_name(dt)));
      const int64_t n = 2, c = 11;  // one 8-channel block and a 3-channel tail
      std::vector<double> xv(static_cast<std::size_t>(n * geo.h * geo.w * c));
      for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = pool[(i * 7 + i / 13) % 8];
      // The first 2x2 pixels of NaN and -inf only, so the "first pixel" rule is exercised.
      for (int64_t p : {int64_t{0}, int64_t{1}, geo.w, geo.w + 1})
        for (int64_t ch = 0; ch < c; ++ch)
          xv[static_cast<std::size_t>(p * c + ch)] = ch % 2 == 0 && p % 2 == 0 ? nan : -inf;
      tf::ops::PoolAttrs attrs;
      attrs.ksize[0] = geo.kh, attrs.ksize[1] = geo.kw, attrs.strides[0] = geo.sh, attrs.strides[1] = geo.sw;
      attrs.padding = tf::ops::parse_padding("MaxPoolGrad", geo.padding);
      const tf::Tensor x = tf::cast(tf::constant(xv, tf::Shape{n, geo.h, geo.w, c}, tf::float64), dt);
      const tf::Tensor y = tf::ops::max_pool(x, attrs);
      const int64_t oh = y.shape()[1], ow = y.shape()[2];
      const tf::Tensor g =
          tf::cast(tf::reshape(tf::range(1, 1 + y.size(), 1, tf::float64), y.shape()), dt);  // distinct gradients
      const std::vector<double> gv = tf::cast(g, tf::float64).to_vector<double>();
      const tf::ops::Window2D w = tf::ops::pool_window(x.shape(), attrs);
      std::vector<double> want(xv.size(), 0.0);
      const std::vector<double> xd = tf::cast(x, tf::float64).to_vector<double>();
      for (int64_t b = 0; b < n; ++b)
        for (int64_t i = 0; i < oh; ++i)
          for (int64_t j = 0; j < ow; ++j)
            for (int64_t ch = 0; ch < c; ++ch) {
              const int64_t h0 = std::max<int64_t>(0, i * geo.sh - w.pad_top),
                            w0 = std::max<int64_t>(0, j * geo.sw - w.pad_left);
              const int64_t h1 = std::min(geo.h, i * geo.sh - w.pad_top + geo.kh);
              const int64_t w1 = std::min(geo.w, j * geo.sw - w.pad_left + geo.kw);
              double best = -inf;
              int64_t arg = (b * geo.h + h0) * geo.w + w0;
              for (int64_t u = h0; u < h1; ++u)
                for (int64_t v = w0; v < w1; ++v) {
                  const int64_t p = (b * geo.h + u) * geo.w + v;
                  if (xd[static_cast<std::size_t>(p * c + ch)] > best)
                    best = xd[static_cast<std::size_t>(p * c + ch)], arg = p;
                }
              want[static_cast<std::size_t>(arg * c + ch)] +=
                  gv[static_cast<std::size_t>(((b * oh + i) * ow + j) * c + ch)];
            }
      const tf::Tensor dx = tf::ops::max_pool_grad(x, y, g, attrs);
      ASSERT_EQ(dx.dtype(), dt);
      EXPECT_EQ(tf::cast(dx, tf::float64).to_vector<double>(),
                tf::cast(tf::cast(tf::constant(want, x.shape(), tf::float64), dt), tf::float64).to_vector<double>());
    }
  tf::kernels::cpu::set_onednn_enabled(true);
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
