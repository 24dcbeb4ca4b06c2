// Gradients of matmul and tensordot: float64 central differences (batch broadcasting,
// transposes, strided inputs, second order) and analytic NumPy references.
#include <functional>
#include <gtest/gtest.h>

#include "tests/autograd/gradient_check.h"
#include "tests/core/fixtures/linalg_fixtures.h"

namespace {
using tf::testing::check_gradients;
using tf::testing::uniform;
using Xs = std::vector<tf::Tensor>;

GRADIENT_CHECK_TEST(MatMul, Transposes) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      tf::Shape sa = ta ? tf::Shape{3, 2} : tf::Shape{2, 3};
      tf::Shape sb = tb ? tf::Shape{4, 3} : tf::Shape{3, 4};
      check_gradients([ta, tb](const Xs& x) { return tf::matmul(x[0], x[1], ta, tb); },
                      {uniform(sa, -1, 1, 1), uniform(sb, -1, 1, 2)});
    }
}

GRADIENT_CHECK_TEST(MatMul, NonContiguousAndSecondOrder) {
  auto f = [](const Xs& x) { return tf::matmul(x[0], x[1]); };
  check_gradients(f, {uniform({2, 3}, -1, 1, 3), uniform({3, 2}, -1, 1, 4)}, {.non_contiguous = true});
  check_gradients([](const Xs& x) { return tf::matmul(x[0], x[0] * x[1]); },
                  {uniform({2, 2}, -1, 1, 5), uniform({2, 2}, -1, 1, 6)}, {.atol = 1e-6, .rtol = 1e-5, .order = 2});
}

GRADIENT_CHECK_TEST(BatchMatMulV2, BroadcastBatch) {
  auto f = [](const Xs& x) { return tf::matmul(x[0], x[1]); };
  check_gradients(f, {uniform({2, 1, 2, 3}, -1, 1, 1), uniform({3, 3, 2}, -1, 1, 2)});
  check_gradients([](const Xs& x) { return tf::matmul(x[0], x[1], true, true); },
                  {uniform({2, 3, 2}, -1, 1, 3), uniform({1, 2, 3}, -1, 1, 4)});
}

// ---- against analytic NumPy float64 references (tests/fixtures/gen_linalg.py) ----
namespace fx = ::fixtures::linalg;
using tf::testing::expect_values;
using Fn = std::function<tf::Tensor(const tf::Tensor&)>;
using tf::testing::expect_second_order;
using tf::testing::numeric_gradient;
using tf::testing::tape_gradient;

tf::Tensor from(const fx::Case& c, tf::DType dt = tf::float64) {
  return tf::constant(c.values, tf::Shape(c.shape), dt);
}
void expect_case(const tf::Tensor& got, const fx::Case& want, double tol = 1e-10) {
  expect_values(got, tf::Shape(want.shape), want.values, tol);
}
void expect_tensor(const tf::Tensor& got, const tf::Tensor& want, double tol = 1e-10) {
  expect_values(got, want.shape(), tf::testing::values_as_double(want), tol);
}

/// The tape's gradient of f at x against central differences.
void expect_first_order(const Fn& f, const tf::Tensor& x) {
  expect_values(tape_gradient(f, x), x.shape(), numeric_gradient(f, x), 1e-7);
}

TEST(MatMulGrad, EveryTransposeCombination) {
  auto a = from(fx::a), b = from(fx::b), at = from(fx::a_t), bt = from(fx::b_t), g = from(fx::g);
  auto ga_t = tf::transpose(from(fx::grad_a)), gb_t = tf::transpose(from(fx::grad_b));
  struct Combo {
    bool ta, tb;
  };
  for (Combo c : {Combo{false, false}, Combo{false, true}, Combo{true, false}, Combo{true, true}}) {
    SCOPED_TRACE(::testing::Message() << "transpose_a=" << c.ta << " transpose_b=" << c.tb);
    tf::Tensor x = c.ta ? at : a, y = c.tb ? bt : b;
    tf::GradientTape tape;
    tape.watch(x);
    tape.watch(y);
    auto loss = tf::reduce_sum(g * tf::matmul(x, y, {.transpose_a = c.ta, .transpose_b = c.tb}));
    tape.stop();
    auto grads = tape.gradient(loss, std::vector<tf::Tensor>{x, y});
    if (c.ta)
      expect_tensor(*grads[0], ga_t);
    else
      expect_case(*grads[0], fx::grad_a);
    if (c.tb)
      expect_tensor(*grads[1], gb_t);
    else
      expect_case(*grads[1], fx::grad_b);
  }
}

TEST(MatMulGrad, BatchBroadcastSumsBack) {
  auto ba = from(fx::ba), bb = from(fx::bb), gb = from(fx::gb);
  for (tf::DType dt : {tf::float64, tf::float32}) {
    auto x = tf::cast(ba, dt), y = tf::cast(bb, dt), g = tf::cast(gb, dt);
    tf::GradientTape tape;
    tape.watch(x);
    tape.watch(y);
    auto loss = tf::reduce_sum(g * tf::matmul(x, y));
    tape.stop();
    auto grads = tape.gradient(loss, std::vector<tf::Tensor>{x, y});
    double tol = dt == tf::float64 ? 1e-10 : 1e-4;
    expect_case(*grads[0], fx::grad_ba, tol);  // (2, 1, 3, 4): summed over the broadcast axis
    expect_case(*grads[1], fx::grad_bb, tol);  // (4, 2): summed over the batch
  }
}

TEST(MatMulGrad, Variables) {
  tf::Variable w(from(fx::b));
  auto a = from(fx::a), g = from(fx::g);
  tf::GradientTape tape;
  auto loss = tf::reduce_sum(g * tf::matmul(a, w));
  tape.stop();
  expect_case(*tape.gradient(loss, w), fx::grad_b);
}

TEST(MatMulGrad, IntegerInputsGetNoGradient) {
  auto a = tf::constant({{1, 2}, {3, 4}});
  tf::GradientTape tape;
  tape.watch(a);
  auto y = tf::matmul(a, a);
  tape.stop();
  EXPECT_FALSE(tape.gradient(y, a).has_value());
}

TEST(TensordotGrad, MatchesFiniteDifferences) {
  auto ta = from(fx::ta), tb = from(fx::tb), tc = from(fx::tc);
  auto w = tf::reverse(from(fx::td_pairs), {0});  // (2, 5)
  expect_first_order(
      [&](const tf::Tensor& t) {
        return tf::reduce_sum(w * tf::tensordot(t, tb, {{1, 2}, {1, 0}}));
      },
      ta);
  expect_first_order(
      [&](const tf::Tensor& t) {
        return tf::reduce_sum(w * tf::tensordot(ta, t, {{1, 2}, {1, 0}}));
      },
      tb);
  auto w2 = from(fx::td_trail) * 0.5;  // (2, 3, 5)
  expect_first_order([&](const tf::Tensor& t) { return tf::reduce_sum(w2 * tf::tensordot(ta, t, {{2}, {1}})); }, tc);
  expect_first_order(
      [&](const tf::Tensor& t) {
        return tf::reduce_sum(tf::square(tf::tensordot(t, t, {{0}, {0}})));
      },
      ta);
}

TEST(MatMulGrad, SecondOrder) {
  auto b = from(fx::b), g = from(fx::g);
  // f(a) = sum(g * (a b)^2): its gradient depends on a.
  Fn f = [&](const tf::Tensor& a) {
    auto y = tf::matmul(a, b);
    return tf::reduce_sum(g * y * y);
  };
  expect_second_order(f, from(fx::a), from(fx::a) * 0.5 + 1.0);
  Fn ft = [&](const tf::Tensor& a) {
    auto y = tf::matmul(a, tf::transpose(b), {.transpose_a = true, .transpose_b = true});
    return tf::reduce_sum(g * y * y);
  };
  expect_second_order(ft, from(fx::a_t), from(fx::a_t));
}

}  // namespace
