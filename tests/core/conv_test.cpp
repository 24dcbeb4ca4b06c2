// tf::nn::conv2d and its backprop ops against TensorFlow CPU in float64 (tests/fixtures/gen_conv.py):
// values per dtype, gradients through tf::GradientTape, second order against central
// differences, and argument errors.
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

struct ConvCase {
  std::string name;
  const fx::Case &x, &f, &g, &y, &dx, &df;
  tf::nn::WindowArg strides;
  std::string padding;
  tf::nn::WindowArg dilations;
};
#define CONV_CASE(NAME, STRIDES, PADDING, DILATIONS)                                                                 \
  ConvCase {                                                                                                         \
#NAME, fx::conv_##NAME##_x, fx::conv_##NAME##_f, fx::conv_##NAME##_g, fx::conv_##NAME##_y, fx::conv_##NAME##_dx, \
        fx::conv_##NAME##_df, STRIDES, PADDING, DILATIONS                                                            \
  }
// The same cases as gen_conv.py's conv_cases.
std::vector<ConvCase> conv_cases() {
  return {CONV_CASE(same, 1, "SAME", 1),
          CONV_CASE(valid_s2, 2, "VALID", 1),
          CONV_CASE(same_even_s2, (tf::nn::WindowArg{2, 3}), "SAME", 1),
          CONV_CASE(dilated, 1, "SAME", 2),
          CONV_CASE(dilated_s2, 2, "VALID", (tf::nn::WindowArg{2, 3})),
          CONV_CASE(pointwise, 1, "VALID", 1),
          CONV_CASE(pointwise_s2, 2, "SAME", 1)};
}
#undef CONV_CASE

tf::Tensor conv(const ConvCase& c, const tf::Tensor& x, const tf::Tensor& f) {
  return tf::nn::conv2d(x, f, c.strides, c.padding, c.dilations);
}

TEST(Conv2D, MatchesTensorFlow) {
  for (const auto& c : conv_cases()) {
    for (tf::DType dt : {tf::float64, tf::float32}) {
      SCOPED_TRACE(c.name + " " + std::string(tf::dtype_name(dt)));
      auto y = conv(c, from(c.x, dt), from(c.f, dt));
      EXPECT_EQ(y.dtype(), dt);
      expect_case(y, c.y, tol_for(dt));
    }
  }
}

TEST(Conv2D, GradientsMatchTensorFlow) {
  for (const auto& c : conv_cases()) {
    for (tf::DType dt : {tf::float64, tf::float32}) {
      SCOPED_TRACE(c.name + " " + std::string(tf::dtype_name(dt)));
      auto x = from(c.x, dt), f = from(c.f, dt), g = from(c.g, dt);
      tf::GradientTape tape;
      tape.watch(x);
      tape.watch(f);
      auto loss = tf::reduce_sum(g * conv(c, x, f));
      tape.stop();
      auto grads = tape.gradient(loss, std::vector<tf::Tensor>{x, f});
      expect_case(*grads[0], c.dx, tol_for(dt));
      expect_case(*grads[1], c.df, tol_for(dt));
    }
  }
}

TEST(Conv2D, BackpropOpsAreTheGradients) {
  for (const auto& c : conv_cases()) {
    SCOPED_TRACE(c.name);
    auto x = from(c.x), f = from(c.f), g = from(c.g);
    expect_case(tf::nn::conv2d_backprop_input(x.shape(), f, g, c.strides, c.padding, c.dilations), c.dx, 1e-10);
    expect_case(tf::nn::conv2d_backprop_filter(x, f.shape(), g, c.strides, c.padding, c.dilations), c.df, 1e-10);
  }
}

TEST(Conv2D, Transpose) {
  auto y = tf::nn::conv2d_transpose(from(fx::tconv_x), from(fx::tconv_f), {1, 6, 6, 4}, 2, "SAME");
  expect_case(y, fx::tconv_y, 1e-10);
}

TEST(Conv2D, Variables) {
  const auto c = conv_cases()[0];
  tf::Variable w(from(c.f, tf::float32));
  auto x = from(c.x, tf::float32), g = from(c.g, tf::float32);
  tf::GradientTape tape;
  auto loss = tf::reduce_sum(g * conv(c, x, w.read_value()));
  tape.stop();
  expect_case(*tape.gradient(loss, w), c.df, 1e-4);
}

TEST(Conv2D, LargeBatchIsChunkedLikeOneImageAtATime) {
  // 20 images of 28x28x32 with a 5x5 filter: 784 * 800 im2col elements each, so the kernel
  // works in chunks of 6 images (kColumnBudget); each image must come out as if alone.
  constexpr int kBatch = 20;
  auto x = tf::random::uniform({kBatch, 28, 28, 32}, {.minval = -1, .maxval = 1, .dtype = tf::float64, .seed = 1});
  auto f = tf::random::uniform({5, 5, 32, 4}, {.minval = -1, .maxval = 1, .dtype = tf::float64, .seed = 2});
  auto g = tf::random::uniform({kBatch, 28, 28, 4}, {.minval = -1, .maxval = 1, .dtype = tf::float64, .seed = 3});
  tf::GradientTape tape;
  tape.watch(x);
  tape.watch(f);
  auto y = tf::nn::conv2d(x, f, 1, "SAME");
  auto loss = tf::reduce_sum(g * y);
  tape.stop();
  auto grads = tape.gradient(loss, std::vector<tf::Tensor>{x, f});
  for (int n : {0, 7, kBatch - 1}) {
    auto xn = x[tf::slice(n, n + 1)], gn = g[tf::slice(n, n + 1)];
    auto yn = tf::nn::conv2d(xn, f, 1, "SAME");
    expect_values(y[tf::slice(n, n + 1)], yn.shape(), yn.to_vector<double>(), 1e-12);
    auto dxn = tf::nn::conv2d_backprop_input(xn.shape(), f, gn, 1, "SAME");
    expect_values((*grads[0])[tf::slice(n, n + 1)], dxn.shape(), dxn.to_vector<double>(), 1e-12);
  }
  tf::Tensor df_sum = tf::zeros_like(f);
  for (int n = 0; n < kBatch; ++n)
    df_sum =
        df_sum + tf::nn::conv2d_backprop_filter(x[tf::slice(n, n + 1)], f.shape(), g[tf::slice(n, n + 1)], 1, "SAME");
  expect_values(*grads[1], f.shape(), df_sum.to_vector<double>(), 1e-10);
}

// Second order: the rules of Conv2DBackpropInput and Conv2DBackpropFilter, checked by
// differentiating the first gradient of sum(conv2d(x, f)^2) again.
TEST(Conv2D, SecondOrderGradients) {
  for (const auto& c : {conv_cases()[1], conv_cases()[4], conv_cases()[6]}) {
    SCOPED_TRACE(c.name);
    auto x = from(c.x), f = from(c.f);
    auto w_x = tf::cos(x), w_f = tf::sin(f);
    tf::testing::expect_second_order([&](const tf::Tensor& t) { return tf::reduce_sum(tf::square(conv(c, t, f))); }, x,
                                     w_x);
    tf::testing::expect_second_order([&](const tf::Tensor& t) { return tf::reduce_sum(tf::square(conv(c, x, t))); }, f,
                                     w_f);
  }
}

TEST(Conv2D, EmptyBatchAndZeroOutput) {
  auto y = tf::nn::conv2d(tf::zeros({0, 5, 5, 3}), tf::ones({3, 3, 3, 2}), 1, "SAME");
  EXPECT_EQ(y.shape(), tf::Shape({0, 5, 5, 2}));
  auto z = tf::nn::conv2d(tf::ones({1, 2, 2, 3}), tf::ones({3, 3, 3, 2}), 1, "VALID");
  EXPECT_EQ(z.shape(), tf::Shape({1, 0, 0, 2}));  // TF gives an empty output, not an error
}

TEST(Conv2D, Errors) {
  using tf::testing::expect_invalid_argument;
  auto x = tf::zeros({1, 5, 5, 3}), f = tf::zeros({3, 3, 3, 4});
  expect_invalid_argument(
      [&] {
        return tf::nn::conv2d(tf::zeros({5, 5, 3}), f, 1, "SAME");
      },
      "Conv2D", "input must be 4-dimensional (N, H, W, C): [5,5,3]");
  expect_invalid_argument(
      [&] {
        return tf::nn::conv2d(x, tf::zeros({3, 3, 4}), 1, "SAME");
      },
      "Conv2D", "filter must be 4-dimensional");
  expect_invalid_argument(
      [&] {
        return tf::nn::conv2d(x, tf::zeros({3, 3, 2, 4}), 1, "SAME");
      },
      "Conv2D", "input depth must be evenly divisible by filter depth: 3 vs 2");
  expect_invalid_argument([&] { return tf::nn::conv2d(x, f, 1, "same"); }, "Conv2D",
                          "Value for attr 'padding' of \"same\" is not in the list of allowed values");
  expect_invalid_argument([&] { return tf::nn::conv2d(x, f, 0, "SAME"); }, "Conv2D",
                          "strides must be positive, got [0, 0]");
  expect_invalid_argument(
      [&] {
        return tf::nn::conv2d(x, f, {1, -2}, "SAME");
      },
      "Conv2D", "strides must be positive, got [1, -2]");
  expect_invalid_argument(
      [&] {
        return tf::nn::conv2d(x, f, {2, 1, 1, 1}, "SAME");
      },
      "Conv2D", "does not yet support strides in the batch and depth dimensions");
  expect_invalid_argument(
      [&] {
        return tf::nn::conv2d(x, f, {1, 1, 1}, "SAME");
      },
      "Conv2D", "strides should be of length 1, 2 or 4 but was 3");
  expect_invalid_argument([&] { return tf::nn::conv2d(x, f, 1, "SAME", 0); }, "Conv2D", "dilations must be positive");
  expect_invalid_argument(
      [&] {
        return tf::nn::conv2d(tf::zeros({1, 2, 2, 3}), tf::zeros({5, 5, 3, 4}), 1, "VALID");
      },
      "Conv2D", "Computed output size would be negative: -2 [input_size: 2, effective_filter_size: 5");
  expect_invalid_argument(
      [&] {
        return tf::nn::conv2d(x, tf::zeros({3, 3, 3, 4}, tf::float64), 1, "SAME");
      },
      "Conv2D", "filter must be float32 like the input, got float64");
  expect_invalid_argument(
      [&] {
        return tf::nn::conv2d(tf::zeros({1, 5, 5, 3}, tf::int32), f, 1, "SAME");
      },
      "Conv2D", "input must be floating");
  expect_invalid_argument(
      [&] {
        return tf::nn::conv2d_backprop_input({1, 5, 5, 3}, f, tf::zeros({1, 4, 5, 4}), 1, "SAME");
      },
      "Conv2DBackpropInput", "out_backprop has shape [1,4,5,4] but the convolution's output is [1,5,5,4]");
  EXPECT_THROW(tf::nn::conv2d(tf::zeros({1, 5, 5, 4}), tf::zeros({3, 3, 2, 4}), 1, "SAME"),
               tf::errors::UnimplementedError);
}

}  // namespace
