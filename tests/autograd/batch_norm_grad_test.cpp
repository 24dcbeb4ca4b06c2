// Gradient checks (float64 central differences) of FusedBatchNormV3 and, for second order,
// FusedBatchNormGradV3.
#include "tests/autograd/gradient_check.h"

namespace {
using tf::testing::check_gradients;
using tf::testing::uniform;
using Xs = std::vector<tf::Tensor>;

GRADIENT_CHECK_TEST(FusedBatchNormV3, TrainingAndInference) {
  check_gradients([](const Xs& x) { return tf::nn::fused_batch_norm(x[0], x[1], x[2]).y; },
                  {uniform({3, 2, 2, 3}, -1, 1, 1), uniform({3}, 0.5, 1.5, 2), uniform({3}, -1, 1, 3)},
                  {.atol = 1e-6, .rtol = 1e-5});
  tf::Tensor mean = uniform({3}, -0.5, 0.5, 4), var = uniform({3}, 0.5, 1.5, 5);
  check_gradients(
      [=](const Xs& x) {
        return tf::nn::fused_batch_norm(x[0], x[1], x[2], {.mean = mean, .variance = var, .is_training = false}).y;
      },
      {uniform({2, 2, 2, 3}, -1, 1, 6), uniform({3}, 0.5, 1.5, 7), uniform({3}, -1, 1, 8)});
}

// Second order through batch norm runs through FusedBatchNormGradV3's gradient (TF's
// _FusedBatchNormGradGrad): the op itself with y_backprop, x and scale as inputs, then whole
// second-order checks of fused_batch_norm in training and inference.
GRADIENT_CHECK_TEST(FusedBatchNormGradV3, SecondOrder) {
  const tf::ops::FusedBatchNormAttrs training;
  // The op alone. In training it reads the batch statistics from its reserve-space inputs, which
  // the rule (like TF's) treats as x's own: so feed it exactly those, computed from x.
  check_gradients(
      [=](const Xs& v) {
        tf::Tensor m = tf::reduce_mean(v[1], std::vector<int>{0, 1});
        tf::Tensor s = tf::reduce_mean(tf::square(v[1] - m), std::vector<int>{0, 1});
        auto g = tf::ops::fused_batch_norm_grad(v[0], v[1], v[2], tf::stop_gradient(m), tf::stop_gradient(s),
                                                tf::zeros({0}, tf::float64), training);
        return tf::concat({tf::reshape(g[0], {-1}), g[1], g[2]}, 0);
      },
      {uniform({3, 2, 3}, -1, 1, 2), uniform({3, 2, 3}, -1, 1, 1), uniform({3}, 0.5, 1.5, 3)},
      {.atol = 1e-6, .rtol = 1e-5});
  auto train = [](const Xs& v) { return tf::nn::fused_batch_norm(v[0], v[1], v[2]).y; };
  check_gradients(train, {uniform({4, 3}, -1, 1, 4), uniform({3}, 0.5, 1.5, 5), uniform({3}, -1, 1, 6)},
                  {.atol = 1e-6, .rtol = 1e-5, .order = 2});
  check_gradients([](const Xs& v) { return tf::square(tf::nn::fused_batch_norm(v[0], v[1], v[2]).y) * v[0]; },
                  {uniform({2, 2, 2, 2}, -1, 1, 7), uniform({2}, 0.5, 1.5, 8), uniform({2}, -1, 1, 9)},
                  {.atol = 1e-6, .rtol = 1e-5, .order = 2});
  const tf::Tensor mean = uniform({3}, -0.5, 0.5, 13), var = uniform({3}, 0.5, 1.5, 14);
  check_gradients(
      [=](const Xs& v) {
        return tf::square(
            tf::nn::fused_batch_norm(v[0], v[1], v[2], {.mean = mean, .variance = var, .is_training = false}).y);
      },
      {uniform({3, 2, 3}, -1, 1, 10), uniform({3}, 0.5, 1.5, 11), uniform({3}, -1, 1, 12)},
      {.atol = 1e-6, .rtol = 1e-5, .order = 2});
}
}  // namespace
