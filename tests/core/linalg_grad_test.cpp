// Gradients of matmul and the softmax family through tf::GradientTape, against analytic NumPy
// float64 references (tests/fixtures/gen_linalg.py) and, for gradients of gradients, against
// central differences of the first gradient.
#include <gtest/gtest.h>

#include <functional>

#include "tests/core/fixtures/linalg_fixtures.h"
#include "tests/core/test_util.h"

namespace {
namespace fx = ::fixtures::linalg;
using tf::testing::expect_values;
using Fn = std::function<tf::Tensor(const tf::Tensor&)>;

tf::Tensor from(const fx::Case& c, tf::DType dt = tf::float64) { return tf::constant(c.values, tf::Shape(c.shape), dt); }
void expect_case(const tf::Tensor& got, const fx::Case& want, double tol = 1e-10) {
  expect_values(got, tf::Shape(want.shape), want.values, tol);
}
void expect_tensor(const tf::Tensor& got, const tf::Tensor& want, double tol = 1e-10) {
  expect_values(got, want.shape(), tf::testing::values_as_double(want), tol);
}

/// d/dx of f(x) (a scalar).
tf::Tensor grad(const Fn& f, const tf::Tensor& x) {
  tf::GradientTape tape;
  tape.watch(x);
  auto y = f(x);
  tape.stop();
  return *tape.gradient(y, x);
}

/// Central differences of a scalar f at x.
std::vector<double> numeric_grad(const Fn& f, const tf::Tensor& x, double h = 1e-5) {
  std::vector<double> xv = x.to_vector<double>(), out;
  for (std::size_t i = 0; i < xv.size(); ++i) {
    auto at = [&](double d) {
      std::vector<double> p = xv;
      p[i] += d;
      return f(tf::constant(p, x.shape(), tf::float64)).item<double>();
    };
    out.push_back((at(h) - at(-h)) / (2 * h));
  }
  return out;
}

/// The tape's gradient of f at x against central differences.
void expect_first_order(const Fn& f, const tf::Tensor& x) {
  expect_values(grad(f, x), x.shape(), numeric_grad(f, x), 1e-7);
}

/// d/dx sum(w * grad(f)(x)) with nested tapes, and the same by central differences.
void expect_second_order(const Fn& f, const tf::Tensor& x, const tf::Tensor& w) {
  tf::GradientTape outer;
  outer.watch(x);
  tf::Tensor s;
  {
    tf::GradientTape inner;
    inner.watch(x);
    auto y = f(x);
    inner.stop();
    s = tf::reduce_sum(w * *inner.gradient(y, x));
  }
  outer.stop();
  auto got = outer.gradient(s, x);
  ASSERT_TRUE(got.has_value());
  auto want = numeric_grad([&](const tf::Tensor& t) { return tf::reduce_sum(w * grad(f, t)); }, x);
  expect_values(*got, x.shape(), want, 1e-6);
}

TEST(MatMulGrad, EveryTransposeCombination) {
  auto a = from(fx::a), b = from(fx::b), at = from(fx::a_t), bt = from(fx::b_t), g = from(fx::g);
  auto ga_t = tf::transpose(from(fx::grad_a)), gb_t = tf::transpose(from(fx::grad_b));
  struct Combo { bool ta, tb; };
  for (Combo c : {Combo{false, false}, Combo{false, true}, Combo{true, false}, Combo{true, true}}) {
    SCOPED_TRACE(::testing::Message() << "transpose_a=" << c.ta << " transpose_b=" << c.tb);
    tf::Tensor x = c.ta ? at : a, y = c.tb ? bt : b;
    tf::GradientTape tape;
    tape.watch(x);
    tape.watch(y);
    auto loss = tf::reduce_sum(g * tf::matmul(x, y, {.transpose_a = c.ta, .transpose_b = c.tb}));
    tape.stop();
    auto grads = tape.gradient(loss, std::vector<tf::Tensor>{x, y});
    if (c.ta) expect_tensor(*grads[0], ga_t); else expect_case(*grads[0], fx::grad_a);
    if (c.tb) expect_tensor(*grads[1], gb_t); else expect_case(*grads[1], fx::grad_b);
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
  expect_first_order([&](const tf::Tensor& t) { return tf::reduce_sum(w * tf::tensordot(t, tb, {{1, 2}, {1, 0}})); }, ta);
  expect_first_order([&](const tf::Tensor& t) { return tf::reduce_sum(w * tf::tensordot(ta, t, {{1, 2}, {1, 0}})); }, tb);
  auto w2 = from(fx::td_trail) * 0.5;  // (2, 3, 5)
  expect_first_order([&](const tf::Tensor& t) { return tf::reduce_sum(w2 * tf::tensordot(ta, t, {{2}, {1}})); }, tc);
  expect_first_order([&](const tf::Tensor& t) { return tf::reduce_sum(tf::square(tf::tensordot(t, t, {{0}, {0}}))); }, ta);
}

TEST(MatMulGrad, SecondOrder) {
  auto b = from(fx::b), g = from(fx::g);
  // f(a) = sum(g * (a b)^2): its gradient depends on a.
  Fn f = [&](const tf::Tensor& a) { auto y = tf::matmul(a, b); return tf::reduce_sum(g * y * y); };
  expect_second_order(f, from(fx::a), from(fx::a) * 0.5 + 1.0);
  Fn ft = [&](const tf::Tensor& a) {
    auto y = tf::matmul(a, tf::transpose(b), {.transpose_a = true, .transpose_b = true});
    return tf::reduce_sum(g * y * y);
  };
  expect_second_order(ft, from(fx::a_t), from(fx::a_t));
}

TEST(SoftmaxGrad, MatchesAnalytic) {
  auto x = from(fx::logits), gs = from(fx::gs);
  expect_case(grad([&](const tf::Tensor& t) { return tf::reduce_sum(gs * tf::nn::softmax(t)); }, x), fx::softmax_grad);
  expect_case(grad([&](const tf::Tensor& t) { return tf::reduce_sum(gs * tf::nn::log_softmax(t)); }, x),
              fx::log_softmax_grad);
  // Over axis 0 of the transpose: the same numbers, transposed.
  auto xt = tf::transpose(x), gst = tf::transpose(gs);
  auto want = tf::transpose(from(fx::softmax_grad));
  expect_tensor(grad([&](const tf::Tensor& t) { return tf::reduce_sum(gst * tf::nn::softmax(t, 0)); }, xt), want);
}

TEST(SoftmaxGrad, SecondOrder) {
  auto x = from(fx::l3), w = from(fx::l3) * 0.3;
  auto g = tf::reverse(from(fx::l3), {2});
  expect_second_order([&](const tf::Tensor& t) { return tf::reduce_sum(g * tf::nn::softmax(t, 1)); }, x, w);
  expect_second_order([&](const tf::Tensor& t) { return tf::reduce_sum(g * tf::nn::log_softmax(t)); }, x, w);
}

TEST(CrossEntropyGrad, MatchesAnalytic) {
  auto logits = from(fx::logits), labels = from(fx::labels), gl = from(fx::gl);
  tf::GradientTape tape;
  tape.watch(logits);
  tape.watch(labels);
  auto loss = tf::reduce_sum(gl * tf::nn::softmax_cross_entropy_with_logits(labels, logits));
  tape.stop();
  auto grads = tape.gradient(loss, std::vector<tf::Tensor>{logits, labels});
  expect_case(*grads[0], fx::xent_grad_logits);
  expect_case(*grads[1], fx::xent_grad_labels);

  std::vector<int64_t> idx(fx::sparse_labels.values.begin(), fx::sparse_labels.values.end());
  auto sparse = tf::constant(idx);
  expect_case(grad([&](const tf::Tensor& t) {
                return tf::reduce_sum(gl * tf::nn::sparse_softmax_cross_entropy_with_logits(sparse, t));
              }, logits),
              fx::sparse_xent_grad);
  // float32 follows.
  auto g32 = grad([&](const tf::Tensor& t) {
    return tf::reduce_sum(tf::cast(gl, tf::float32) * tf::nn::sparse_softmax_cross_entropy_with_logits(sparse, t));
  }, tf::cast(logits, tf::float32));
  expect_case(g32, fx::sparse_xent_grad, 1e-4);
}

TEST(CrossEntropyGrad, OtherAxisAndSecondOrder) {
  auto logits = from(fx::logits), labels = from(fx::labels);
  // The class axis first: gradient flows back through the transpose views.
  auto gx = grad([&](const tf::Tensor& t) {
    return tf::reduce_sum(tf::nn::softmax_cross_entropy_with_logits(tf::transpose(labels), t, 0));
  }, tf::transpose(logits));
  auto want = tf::transpose(tf::nn::softmax(logits) - labels);
  expect_tensor(gx, want);
  // Gradients of gradients (moderate logits: rows 0 and 3 of the fixture are not shifted).
  auto x = from(fx::l3)[0];                              // (3, 4)
  auto z = tf::nn::softmax(from(fx::l3)[1]);             // a distribution per row
  auto w = from(fx::l3)[1] - 0.5;
  auto gl = tf::constant({0.5, -1.0, 2.0}, tf::float64);
  expect_second_order([&](const tf::Tensor& t) {
    return tf::reduce_sum(gl * tf::nn::softmax_cross_entropy_with_logits(z, t));
  }, x, w);
  auto idx = tf::constant({3, 0, 2});
  expect_second_order([&](const tf::Tensor& t) {
    return tf::reduce_sum(gl * tf::nn::sparse_softmax_cross_entropy_with_logits(idx, t));
  }, x, w);
}

}  // namespace
