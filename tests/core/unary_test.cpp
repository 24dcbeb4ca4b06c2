// Unary math and activations against NumPy float64 references (tests/fixtures/gen_unary.py),
// per dtype, on contiguous and strided inputs; where, clip_by_value and their errors.
#include <gtest/gtest.h>

#include <functional>

#include "tests/core/fixtures/unary_fixtures.h"
#include "tests/core/test_util.h"

namespace {
namespace fixtures = ::fixtures::unary;
using tf::testing::expect_values;
using Fn = std::function<tf::Tensor(const tf::Tensor&)>;

struct UnaryCase {
  const char* name;
  Fn fn;
  const fixtures::Case* input;
  const fixtures::Case* want;
};

std::vector<UnaryCase> cases() {
  return {
      {"negative", [](auto& x) { return tf::negative(x); }, &fixtures::x, &fixtures::neg},
      {"abs", [](auto& x) { return tf::abs(x); }, &fixtures::x, &fixtures::abs},
      {"sign", [](auto& x) { return tf::sign(x); }, &fixtures::x, &fixtures::sign},
      {"square", [](auto& x) { return tf::square(x); }, &fixtures::x, &fixtures::square},
      {"exp", [](auto& x) { return tf::exp(x); }, &fixtures::x, &fixtures::exp},
      {"expm1", [](auto& x) { return tf::expm1(x); }, &fixtures::x, &fixtures::expm1},
      {"sin", [](auto& x) { return tf::sin(x); }, &fixtures::x, &fixtures::sin},
      {"cos", [](auto& x) { return tf::cos(x); }, &fixtures::x, &fixtures::cos},
      {"tanh", [](auto& x) { return tf::tanh(x); }, &fixtures::x, &fixtures::tanh},
      {"sigmoid", [](auto& x) { return tf::sigmoid(x); }, &fixtures::x, &fixtures::sigmoid},
      {"floor", [](auto& x) { return tf::floor(x); }, &fixtures::x, &fixtures::floor},
      {"ceil", [](auto& x) { return tf::ceil(x); }, &fixtures::x, &fixtures::ceil},
      {"round", [](auto& x) { return tf::round(x); }, &fixtures::x, &fixtures::round},
      {"erf", [](auto& x) { return tf::erf(x); }, &fixtures::x, &fixtures::erf},
      {"relu", [](auto& x) { return tf::nn::relu(x); }, &fixtures::x, &fixtures::relu},
      {"relu6", [](auto& x) { return tf::nn::relu6(x); }, &fixtures::x, &fixtures::relu6},
      {"elu", [](auto& x) { return tf::nn::elu(x); }, &fixtures::x, &fixtures::elu},
      {"selu", [](auto& x) { return tf::nn::selu(x); }, &fixtures::x, &fixtures::selu},
      {"softplus", [](auto& x) { return tf::nn::softplus(x); }, &fixtures::x, &fixtures::softplus},
      {"softsign", [](auto& x) { return tf::nn::softsign(x); }, &fixtures::x, &fixtures::softsign},
      {"leaky_relu", [](auto& x) { return tf::nn::leaky_relu(x); }, &fixtures::x, &fixtures::leaky_relu},
      {"gelu", [](auto& x) { return tf::nn::gelu(x); }, &fixtures::x, &fixtures::gelu},
      {"gelu_tanh", [](auto& x) { return tf::nn::gelu(x, true); }, &fixtures::x, &fixtures::gelu_tanh},
      {"silu", [](auto& x) { return tf::nn::silu(x); }, &fixtures::x, &fixtures::silu},
      {"sqrt", [](auto& x) { return tf::sqrt(x); }, &fixtures::pos, &fixtures::sqrt},
      {"rsqrt", [](auto& x) { return tf::rsqrt(x); }, &fixtures::pos, &fixtures::rsqrt},
      {"log", [](auto& x) { return tf::log(x); }, &fixtures::pos, &fixtures::log},
      {"log1p", [](auto& x) { return tf::log1p(x); }, &fixtures::pos, &fixtures::log1p},
      {"tan", [](auto& x) { return tf::tan(x); }, &fixtures::pos, &fixtures::tan},
      {"reciprocal", [](auto& x) { return tf::reciprocal(x); }, &fixtures::pos, &fixtures::reciprocal},
  };
}

TEST(Unary, MatchesNumPyInEveryFloatDtype) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    for (tf::DType dt : {tf::float64, tf::float32}) {
      auto x = tf::constant(c.input->values, tf::Shape(c.input->shape), dt);
      std::vector<double> w = c.want->values;
      if (dt == tf::float32)  // beyond float32's range the result is infinite
        for (double& v : w)
          if (std::abs(v) > 3.4028235e38) v = v > 0 ? INFINITY : -INFINITY;
      expect_values(c.fn(x), tf::Shape(c.want->shape), w);
    }
    // Half types: compare against the reference evaluated at the half-rounded input.
    for (tf::DType dt : {tf::float16, tf::bfloat16}) {
      auto x = tf::constant(c.input->values, tf::Shape(c.input->shape), dt);
      auto want = c.fn(tf::cast(x, tf::float64));
      auto got = c.fn(x);
      EXPECT_EQ(got.dtype(), dt);
      std::vector<double> w = tf::testing::values_as_double(want);
      const double max = dt == tf::float16 ? 65519.0 : 3.3961e38;  // beyond the range: infinity
      for (double& v : w)
        if (std::abs(v) > max) v = v > 0 ? INFINITY : -INFINITY;
      expect_values(got, tf::Shape(c.want->shape), w, tf::testing::tolerance(dt) * 2);
    }
  }
}

TEST(Unary, StridedInput) {
  auto base = tf::constant(fixtures::x.values, tf::Shape{14}, tf::float64);
  auto rev = base[tf::slice({}, {}, -2)];  // x[::-2]
  ASSERT_FALSE(rev.is_contiguous());
  std::vector<double> want;
  for (int i = 13; i >= 0; i -= 2) want.push_back(fixtures::sigmoid.values[static_cast<std::size_t>(i)]);
  expect_values(tf::sigmoid(rev), {7}, want);
}

TEST(Unary, IntegerRules) {
  auto i = tf::constant({-3, 0, 4});
  expect_values(tf::abs(i), {3}, {3, 0, 4});
  expect_values(-i, {3}, {3, 0, -4});
  expect_values(tf::sign(i), {3}, {-1, 0, 1});
  expect_values(tf::square(i), {3}, {9, 0, 16});
  expect_values(tf::nn::relu(i), {3}, {0, 0, 4});
  expect_values(tf::round(i), {3}, {-3, 0, 4});
  EXPECT_TF_ERROR(tf::exp(i), tf::errors::InvalidArgumentError, "Exp is not defined for dtype int32");
  EXPECT_TF_ERROR(tf::sqrt(tf::constant({true})), tf::errors::InvalidArgumentError, "Sqrt");
  EXPECT_TF_ERROR(tf::negative(tf::constant({1}, tf::uint8)), tf::errors::InvalidArgumentError, "signed");
}

TEST(Unary, PredicatesAndLogic) {
  auto x = tf::constant({1.f, NAN, INFINITY, -INFINITY});
  expect_values(tf::is_nan(x), {4}, {0, 1, 0, 0});
  expect_values(tf::is_inf(x), {4}, {0, 0, 1, 1});
  expect_values(tf::is_finite(x), {4}, {1, 0, 0, 0});
  expect_values(!tf::constant({true, false}), {2}, {0, 1});
  EXPECT_TF_ERROR(tf::logical_not(tf::constant({1})), tf::errors::InvalidArgumentError, "needs a bool");
  EXPECT_TF_ERROR(tf::is_nan(tf::constant({1})), tf::errors::InvalidArgumentError, "IsNan");
}

TEST(Unary, EmptyAndScalar) {
  expect_values(tf::exp(tf::zeros({0, 2})), {0, 2}, {});
  expect_values(tf::exp(tf::constant(0.f)), {}, {1});
}

TEST(Unary, SigmoidCrossEntropyIsStable) {
  auto logits = tf::constant(fixtures::x.values, tf::Shape{14}, tf::float32);
  auto labels = tf::constant(fixtures::labels.values, tf::Shape{14}, tf::float32);
  expect_values(tf::nn::sigmoid_cross_entropy_with_logits(labels, logits), {14}, fixtures::sigmoid_ce.values);
  EXPECT_TF_ERROR(tf::nn::sigmoid_cross_entropy_with_logits(labels[tf::slice(0, 2)], logits),
                  tf::errors::InvalidArgumentError, "same shape");
}

TEST(Where, SelectsWithBroadcasting) {
  auto c = tf::constant({{true}, {false}});             // (2, 1)
  auto x = tf::constant({1, 2, 3});                     // (3,)
  auto y = tf::constant({{10, 20, 30}, {40, 50, 60}});  // (2, 3)
  expect_values(tf::where(c, x, y), {2, 3}, {1, 2, 3, 40, 50, 60});
  auto s = tf::where(tf::constant({"a", "b"}) == tf::constant("a"), tf::constant({"x", "y"}), tf::constant({"p", "q"}));
  EXPECT_EQ(s.to_vector<std::string>(), (std::vector<std::string>{"x", "q"}));
  EXPECT_TF_ERROR(tf::where(tf::constant({1}), x, x), tf::errors::InvalidArgumentError, "bool");
  EXPECT_TF_ERROR(tf::where(c, x, tf::cast(y, tf::float32)), tf::errors::InvalidArgumentError, "same dtype");
  EXPECT_TF_ERROR(tf::where(c, x, tf::zeros({2, 4}, tf::int32)), tf::errors::InvalidArgumentError, "Incompatible");
}

TEST(Where, Coordinates) {
  auto w = tf::where(tf::constant({{true, false}, {false, true}, {true, true}}));
  expect_values(w, {4, 2}, {0, 0, 1, 1, 2, 0, 2, 1});
  EXPECT_EQ(w.dtype(), tf::int64);
  expect_values(tf::where(tf::constant({false, false})), {0, 1}, {});
}

TEST(ClipByValue, TensorsAndNumbers) {
  auto t = tf::constant({-2.f, 0.5f, 3.f});
  expect_values(tf::clip_by_value(t, -1, 1), {3}, {-1, 0.5, 1});
  expect_values(tf::clip_by_value(t, tf::constant({0.f, 0.f, 0.f}), tf::constant(2.f)), {3}, {0, 0.5, 2});
  EXPECT_TF_ERROR(tf::clip_by_value(t, tf::zeros({2, 3}), tf::constant(1.f)), tf::errors::InvalidArgumentError,
                  "must broadcast to the shape of t");
}

}  // namespace
