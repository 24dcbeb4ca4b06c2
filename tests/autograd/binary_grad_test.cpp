// Gradient checks of the binary elementwise ops (float64 central differences) with NumPy
// broadcasting between the operands, contiguous and strided inputs, and second order.
#include "tests/autograd/gradient_check.h"

namespace {
using tf::testing::check_gradients;
using tf::testing::uniform;
using Xs = std::vector<tf::Tensor>;

/// f(a, b) checked over the broadcasting pairs (2,3)+(3), (2,1)+(1,3), ()+(2,3), and strided.
void check_binary(tf::Tensor (*op)(const tf::Tensor&, const tf::Tensor&), double lo, double hi, double blo,
                  double bhi) {
  auto f = [op](const Xs& x) { return op(x[0], x[1]); };
  check_gradients(f, {uniform({2, 3}, lo, hi, 1), uniform({3}, blo, bhi, 2)});
  check_gradients(f, {uniform({2, 1}, lo, hi, 3), uniform({1, 3}, blo, bhi, 4)});
  check_gradients(f, {uniform({}, lo, hi, 5), uniform({2, 3}, blo, bhi, 6)});
  check_gradients(f, {uniform({2, 3}, lo, hi, 7), uniform({2, 3}, blo, bhi, 8)}, {.non_contiguous = true});
}

GRADIENT_CHECK_TEST(AddV2, Broadcasting) { check_binary(tf::add, -2, 2, -2, 2); }

GRADIENT_CHECK_TEST(Sub, Broadcasting) { check_binary(tf::subtract, -2, 2, -2, 2); }

GRADIENT_CHECK_TEST(Mul, Broadcasting) { check_binary(tf::multiply, -2, 2, -2, 2); }

GRADIENT_CHECK_TEST(RealDiv, Broadcasting) { check_binary(tf::divide, -2, 2, 0.5, 2); }

GRADIENT_CHECK_TEST(Pow, Broadcasting) { check_binary(tf::pow, 0.5, 2, -1.5, 2); }

GRADIENT_CHECK_TEST(Maximum, Broadcasting) { check_binary(tf::maximum, -2, 2, -2, 2); }

GRADIENT_CHECK_TEST(Minimum, Broadcasting) { check_binary(tf::minimum, -2, 2, -2, 2); }

GRADIENT_CHECK_TEST(SquaredDifference, Broadcasting) { check_binary(tf::squared_difference, -2, 2, -2, 2); }

GRADIENT_CHECK_TEST(FloorMod, Broadcasting) { check_binary(tf::floormod, 1.05, 4.9, 0.7, 1.3); }

GRADIENT_CHECK_TEST(Mul, SecondOrder) {
  check_gradients([](const Xs& x) { return x[0] * x[1] * x[0]; }, {uniform({2, 3}, -2, 2, 1), uniform({3}, -2, 2, 2)},
                  {.order = 2});
}

GRADIENT_CHECK_TEST(RealDiv, SecondOrder) {
  check_gradients([](const Xs& x) { return x[0] / x[1]; }, {uniform({2, 3}, -2, 2, 1), uniform({3}, 0.5, 2, 2)},
                  {.atol = 1e-6, .rtol = 1e-5, .order = 2});
}

GRADIENT_CHECK_TEST(Pow, SecondOrder) {
  check_gradients([](const Xs& x) { return tf::pow(x[0], x[1]); }, {uniform({3}, 0.5, 2, 1), uniform({3}, -1, 2, 2)},
                  {.atol = 1e-6, .rtol = 1e-5, .order = 2});
}

// TF's tie rule: the gradient goes to x where x >= y (maximum) / x <= y (minimum).
TEST(GradientValues, MaximumMinimumTies) {
  auto a = tf::constant({1.0f, 2.0f}), b = tf::constant({1.0f, 3.0f});
  tf::GradientTape tape({.persistent = true});
  tape.watch(a);
  tape.watch(b);
  auto mx = tf::maximum(a, b), mn = tf::minimum(a, b);
  tape.stop();
  auto gmax = tape.gradient(mx, {a, b}), gmin = tape.gradient(mn, {a, b});
  EXPECT_EQ(gmax[0]->to_vector<float>(), (std::vector<float>{1, 0}));
  EXPECT_EQ(gmax[1]->to_vector<float>(), (std::vector<float>{0, 1}));
  EXPECT_EQ(gmin[0]->to_vector<float>(), (std::vector<float>{1, 1}));
  EXPECT_EQ(gmin[1]->to_vector<float>(), (std::vector<float>{0, 0}));
}

// clip_by_value is maximum then minimum; inside the bounds the gradient passes, outside it is 0.
GRADIENT_CHECK_TEST(Minimum, ClipByValue) {
  check_gradients([](const Xs& x) { return tf::clip_by_value(x[0], -0.5, 0.7); }, {uniform({4, 3}, -1, 1, 3)});
  check_gradients([](const Xs& x) { return tf::clip_by_value(x[0], x[1], x[2]); },
                  {uniform({2, 3}, -1, 1, 3), uniform({3}, -1, -0.2, 4), uniform({}, 0.2, 1, 5)});
}

}  // namespace
