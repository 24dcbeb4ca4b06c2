// Gradient checks of the unary math ops and activations (float64 central differences), on
// contiguous and strided inputs, with second order for the smooth ones.
#include "tests/autograd/gradient_check.h"

namespace {
using tf::testing::check_gradients;
using tf::testing::uniform;
using Xs = std::vector<tf::Tensor>;

void check_unary(tf::Tensor (*op)(const tf::Tensor&), double lo, double hi, bool second_order = false) {
  auto f = [op](const Xs& x) { return op(x[0]); };
  check_gradients(f, {uniform({2, 3}, lo, hi, 11)});
  check_gradients(f, {uniform({3, 2}, lo, hi, 12)}, {.non_contiguous = true});
  if (second_order) check_gradients(f, {uniform({4}, lo, hi, 13)}, {.atol = 1e-6, .rtol = 1e-5, .order = 2});
}

GRADIENT_CHECK_TEST(Neg, Values) { check_unary(tf::negative, -2, 2); }
GRADIENT_CHECK_TEST(Abs, AwayFromZero) { check_unary(tf::abs, -2, 2); }
GRADIENT_CHECK_TEST(Square, Values) { check_unary(tf::square, -2, 2, true); }
GRADIENT_CHECK_TEST(Sqrt, Positive) { check_unary(tf::sqrt, 0.5, 3, true); }
GRADIENT_CHECK_TEST(Rsqrt, Positive) { check_unary(tf::rsqrt, 0.5, 3, true); }
GRADIENT_CHECK_TEST(Exp, Values) { check_unary(tf::exp, -2, 2, true); }
GRADIENT_CHECK_TEST(Expm1, Values) { check_unary(tf::expm1, -2, 2); }
GRADIENT_CHECK_TEST(Log, Positive) { check_unary(tf::log, 0.5, 3, true); }
GRADIENT_CHECK_TEST(Log1p, Positive) { check_unary(tf::log1p, -0.5, 3); }
GRADIENT_CHECK_TEST(Sin, Values) { check_unary(tf::sin, -3, 3, true); }
GRADIENT_CHECK_TEST(Cos, Values) { check_unary(tf::cos, -3, 3, true); }
GRADIENT_CHECK_TEST(Tan, Values) { check_unary(tf::tan, -1.2, 1.2); }
GRADIENT_CHECK_TEST(Tanh, Values) { check_unary(tf::tanh, -2, 2, true); }
GRADIENT_CHECK_TEST(Sigmoid, Values) { check_unary(tf::sigmoid, -3, 3, true); }
GRADIENT_CHECK_TEST(Reciprocal, AwayFromZero) { check_unary(tf::reciprocal, 0.5, 3, true); }
GRADIENT_CHECK_TEST(Erf, Values) { check_unary(tf::erf, -2, 2); }
GRADIENT_CHECK_TEST(Erfc, Values) { check_unary(tf::erfc, -2, 2); }
GRADIENT_CHECK_TEST(Sign, ZeroGradient) { check_unary(tf::sign, -2, 2); }
GRADIENT_CHECK_TEST(Relu, AwayFromKink) { check_unary(tf::nn::relu, -2, 2); }
GRADIENT_CHECK_TEST(Relu6, AwayFromKinks) { check_unary(tf::nn::relu6, -2, 8); }
GRADIENT_CHECK_TEST(Elu, Values) { check_unary(tf::nn::elu, -2, 2); }
GRADIENT_CHECK_TEST(Selu, Values) { check_unary(tf::nn::selu, -2, 2); }
GRADIENT_CHECK_TEST(Softplus, Values) { check_unary(tf::nn::softplus, -3, 3, true); }
GRADIENT_CHECK_TEST(Softsign, Values) { check_unary(tf::nn::softsign, -3, 3); }
GRADIENT_CHECK_TEST(Silu, Values) { check_unary(tf::nn::silu, -3, 3); }
GRADIENT_CHECK_TEST(LeakyRelu, Values) {
  check_gradients([](const Xs& x) { return tf::nn::leaky_relu(x[0], 0.3f); }, {uniform({2, 3}, -2, 2, 1)});
}
GRADIENT_CHECK_TEST(Gelu, ExactAndApproximate) {
  check_gradients([](const Xs& x) { return tf::nn::gelu(x[0]); }, {uniform({2, 3}, -3, 3, 1)});
  check_gradients([](const Xs& x) { return tf::nn::gelu(x[0], true); }, {uniform({2, 3}, -3, 3, 2)},
                  {.non_contiguous = true});
}
GRADIENT_CHECK_TEST(SelectV2, BroadcastingWhere) {
  auto cond = tf::constant({true, false, true});
  check_gradients([cond](const Xs& x) { return tf::where(cond, x[0], x[1]); },
                  {uniform({2, 3}, -1, 1, 1), uniform({}, -1, 1, 2)});
  auto cond2 = tf::constant({{true}, {false}});
  check_gradients([cond2](const Xs& x) { return tf::where(cond2, x[0], x[1]); },
                  {uniform({3}, -1, 1, 3), uniform({2, 3}, -1, 1, 4)}, {.non_contiguous = true});
}

// Kinks: TF's conventions at the non-differentiable points.
TEST(GradientValues, KinksFollowTF) {
  auto x = tf::constant({-1.0f, 0.0f, 6.0f, 2.0f});
  tf::GradientTape tape({.persistent = true});
  tape.watch(x);
  auto r = tf::nn::relu(x), r6 = tf::nn::relu6(x), a = tf::abs(x);
  tape.stop();
  EXPECT_EQ(tape.gradient(r, x)->to_vector<float>(), (std::vector<float>{0, 0, 1, 1}));
  EXPECT_EQ(tape.gradient(r6, x)->to_vector<float>(), (std::vector<float>{0, 0, 0, 1}));
  EXPECT_EQ(tape.gradient(a, x)->to_vector<float>(), (std::vector<float>{-1, 0, 1, 1}));
}

TEST(GradientValues, FloorCeilRoundGiveNone) {
  auto x = tf::constant({1.5f});
  tf::GradientTape tape({.persistent = true});
  tape.watch(x);
  auto f = tf::floor(x), c = tf::ceil(x), r = tf::round(x);
  tape.stop();
  EXPECT_FALSE(tape.gradient(f, x));
  EXPECT_FALSE(tape.gradient(c, x));
  EXPECT_FALSE(tape.gradient(r, x));
}

}  // namespace
