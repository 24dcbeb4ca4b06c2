// The unary ops' integer rules and errors, the predicates, where and clip_by_value. The unary
// math's values (every op and floating dtype, special values, strided, empty, scalar and large
// inputs) are the op table's: tests/core/op_table_unary_test.cpp. Sigmoid cross-entropy against
// NumPy float64 (tests/fixtures/gen_unary.py).
#include <gtest/gtest.h>

#include "tests/core/fixtures/unary_fixtures.h"
#include "tests/core/test_util.h"

namespace {
namespace fixtures = ::fixtures::unary;
using tf::testing::expect_values;

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
