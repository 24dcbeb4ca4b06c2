// Gradient checks (float64 central differences) of matmul, the softmax family, the
// cross-entropies and dropout, with batch broadcasting, transposes, strided inputs and second order.
#include "tests/autograd/gradient_check.h"

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

// Dropout draws a fresh mask on every call, so central differences do not apply; its gradient is
// the mask itself: dy/dx = y/x (kept elements scaled by 1/(1-rate), dropped ones 0).
GRADIENT_CHECK_TEST(Dropout, GradientIsTheMask) {
  tf::Tensor x = uniform({64}, 0.5, 1.5, 1);
  tf::GradientTape tape;
  tape.watch(x);
  tf::Tensor y = tf::nn::dropout(x, 0.25, {.seed = 7});
  tape.stop();
  auto g = tape.gradient(y, x);
  ASSERT_TRUE(g.has_value());
  auto yv = y.to_vector<double>(), xv = x.to_vector<double>(), gv = g->to_vector<double>();
  int dropped = 0;
  for (std::size_t i = 0; i < xv.size(); ++i) {
    EXPECT_NEAR(gv[i], yv[i] / xv[i], 1e-12) << i;
    EXPECT_TRUE(gv[i] == 0.0 || std::abs(gv[i] - 1.0 / 0.75) < 1e-12) << i;
    dropped += gv[i] == 0.0;
  }
  EXPECT_GT(dropped, 0);
  EXPECT_LT(dropped, 64);
}
}  // namespace
