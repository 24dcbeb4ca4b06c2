// Gradients of the softmax family and the cross-entropies: float64 central differences (axes,
// strided inputs, second order) and analytic NumPy references.
#include <functional>
#include <gtest/gtest.h>

#include "tests/autograd/gradient_check.h"
#include "tests/core/fixtures/linalg_fixtures.h"

namespace {
using tf::testing::check_gradients;
using tf::testing::uniform;
using Xs = std::vector<tf::Tensor>;

GRADIENT_CHECK_TEST(Softmax, Axes) {
  check_gradients([](const Xs& x) { return tf::nn::softmax(x[0]); }, {uniform({2, 4}, -2, 2, 1)});
  check_gradients([](const Xs& x) { return tf::nn::softmax(x[0], 0); }, {uniform({3, 2}, -2, 2, 2)},
                  {.non_contiguous = true});
  check_gradients([](const Xs& x) { return tf::nn::softmax(x[0]); }, {uniform({2, 3}, -2, 2, 3)},
                  {.atol = 1e-6, .rtol = 1e-5, .order = 2});
}

GRADIENT_CHECK_TEST(LogSoftmax, Axes) {
  check_gradients([](const Xs& x) { return tf::nn::log_softmax(x[0]); }, {uniform({2, 4}, -2, 2, 1)});
  check_gradients([](const Xs& x) { return tf::nn::log_softmax(x[0], 1); }, {uniform({2, 3, 2}, -2, 2, 2)},
                  {.non_contiguous = true});
  check_gradients([](const Xs& x) { return tf::nn::log_softmax(x[0]); }, {uniform({2, 3}, -2, 2, 3)},
                  {.atol = 1e-6, .rtol = 1e-5, .order = 2});
}

// The fused gradients themselves (their rules serve second derivatives), in both inputs: y need
// not be a softmax output for the formulas to hold.
const tf::testing::CoversOp covers_softmax_grad("_SoftmaxGrad"), covers_log_softmax_grad("_LogSoftmaxGrad");
TEST(GradientCheck_SoftmaxGrad, BothInputs) {
  check_gradients([](const Xs& x) { return tf::ops::softmax_grad(x[0], x[1], -1); },
                  {uniform({2, 4}, 0.05, 0.6, 11), uniform({2, 4}, -2, 2, 12)});
  check_gradients([](const Xs& x) { return tf::ops::softmax_grad(x[0], x[1], 0); },
                  {uniform({3, 2}, 0.05, 0.6, 13), uniform({3, 2}, -2, 2, 14)}, {.non_contiguous = true});
}
TEST(GradientCheck_LogSoftmaxGrad, BothInputs) {
  check_gradients([](const Xs& x) { return tf::ops::log_softmax_grad(x[0], x[1], -1); },
                  {uniform({2, 4}, -3, -0.1, 15), uniform({2, 4}, -2, 2, 16)});
  check_gradients([](const Xs& x) { return tf::ops::log_softmax_grad(x[0], x[1], 1); },
                  {uniform({2, 3, 2}, -3, -0.1, 17), uniform({2, 3, 2}, -2, 2, 18)}, {.non_contiguous = true});
}

GRADIENT_CHECK_TEST(SoftmaxCrossEntropyWithLogits, LabelsAndLogits) {
  // TF's logits gradient (softmax - labels) assumes each row of labels is a distribution, so the
  // check normalizes raw positive values into one; both inputs are checked through it.
  auto f = [](const Xs& x) {
    tf::Tensor labels = x[0] / tf::reduce_sum(x[0], -1, true);
    return tf::nn::softmax_cross_entropy_with_logits(labels, x[1]);
  };
  check_gradients(f, {uniform({3, 4}, 0.2, 1, 1), uniform({3, 4}, -2, 2, 2)});
  check_gradients(f, {uniform({2, 3}, 0.2, 1, 3), uniform({2, 3}, -2, 2, 4)}, {.non_contiguous = true});
  // Second order with respect to the logits only (labels fixed).
  tf::Tensor labels = tf::nn::softmax(uniform({2, 3}, -1, 1, 5));
  check_gradients([labels](const Xs& x) { return tf::nn::softmax_cross_entropy_with_logits(labels, x[0]); },
                  {uniform({2, 3}, -2, 2, 6)}, {.atol = 1e-6, .rtol = 1e-5, .order = 2});
}

// Second order with respect to both inputs: d(d loss/d logits)/d labels runs through the backprop
// output (softmax - labels). TF 2.21's rule drops that path and returns zeros there; ours matches
// central differences (the deviation is deliberate).
GRADIENT_CHECK_TEST(SoftmaxCrossEntropyWithLogits, SecondOrderLabels) {
  auto f = [](const Xs& x) {
    tf::Tensor labels = x[0] / tf::reduce_sum(x[0], -1, true);
    return tf::nn::softmax_cross_entropy_with_logits(labels, x[1]);
  };
  check_gradients(f, {uniform({2, 3}, 0.2, 1, 7), uniform({2, 3}, -2, 2, 8)}, {.atol = 1e-6, .rtol = 1e-5, .order = 2});
  check_gradients(f, {uniform({3, 4}, 0.2, 1, 9), uniform({3, 4}, -2, 2, 10)},
                  {.atol = 1e-6, .rtol = 1e-5, .non_contiguous = true, .order = 2});
}

GRADIENT_CHECK_TEST(SparseSoftmaxCrossEntropyWithLogits, Logits) {
  tf::Tensor labels = tf::constant({2, 0, 1});
  check_gradients([labels](const Xs& x) { return tf::nn::sparse_softmax_cross_entropy_with_logits(labels, x[0]); },
                  {uniform({3, 4}, -2, 2, 1)});
  check_gradients([labels](const Xs& x) { return tf::nn::sparse_softmax_cross_entropy_with_logits(labels, x[0]); },
                  {uniform({3, 3}, -2, 2, 2)}, {.atol = 1e-6, .rtol = 1e-5, .order = 2});
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

TEST(SoftmaxGrad, MatchesAnalytic) {
  auto x = from(fx::logits), gs = from(fx::gs);
  expect_case(tape_gradient([&](const tf::Tensor& t) { return tf::reduce_sum(gs * tf::nn::softmax(t)); }, x),
              fx::softmax_grad);
  expect_case(tape_gradient([&](const tf::Tensor& t) { return tf::reduce_sum(gs * tf::nn::log_softmax(t)); }, x),
              fx::log_softmax_grad);
  // Over axis 0 of the transpose: the same numbers, transposed.
  auto xt = tf::transpose(x), gst = tf::transpose(gs);
  auto want = tf::transpose(from(fx::softmax_grad));
  expect_tensor(tape_gradient([&](const tf::Tensor& t) { return tf::reduce_sum(gst * tf::nn::softmax(t, 0)); }, xt),
                want);
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
  expect_case(tape_gradient(
                  [&](const tf::Tensor& t) {
                    return tf::reduce_sum(gl * tf::nn::sparse_softmax_cross_entropy_with_logits(sparse, t));
                  },
                  logits),
              fx::sparse_xent_grad);
  // float32 follows.
  auto g32 = tape_gradient(
      [&](const tf::Tensor& t) {
        return tf::reduce_sum(tf::cast(gl, tf::float32) * tf::nn::sparse_softmax_cross_entropy_with_logits(sparse, t));
      },
      tf::cast(logits, tf::float32));
  expect_case(g32, fx::sparse_xent_grad, 1e-4);
}

TEST(CrossEntropyGrad, OtherAxisAndSecondOrder) {
  auto logits = from(fx::logits), labels = from(fx::labels);
  // The class axis first: gradient flows back through the transpose views.
  auto gx = tape_gradient(
      [&](const tf::Tensor& t) {
        return tf::reduce_sum(tf::nn::softmax_cross_entropy_with_logits(tf::transpose(labels), t, 0));
      },
      tf::transpose(logits));
  auto want = tf::transpose(tf::nn::softmax(logits) - labels);
  expect_tensor(gx, want);
  // Gradients of gradients (moderate logits: rows 0 and 3 of the fixture are not shifted).
  auto x = from(fx::l3)[0];                   // (3, 4)
  auto z = tf::nn::softmax(from(fx::l3)[1]);  // a distribution per row
  auto w = from(fx::l3)[1] - 0.5;
  auto gl = tf::constant({0.5, -1.0, 2.0}, tf::float64);
  expect_second_order(
      [&](const tf::Tensor& t) { return tf::reduce_sum(gl * tf::nn::softmax_cross_entropy_with_logits(z, t)); }, x, w);
  auto idx = tf::constant({3, 0, 2});
  expect_second_order(
      [&](const tf::Tensor& t) {
        return tf::reduce_sum(gl * tf::nn::sparse_softmax_cross_entropy_with_logits(idx, t));
      },
      x, w);
}

}  // namespace
