// Gradient checks (float64 central differences) of MaxPool, AvgPool and their gradient ops.
#include "tests/autograd/gradient_check.h"

namespace {
using tf::testing::check_gradients;
using tf::testing::uniform;
using Xs = std::vector<tf::Tensor>;

GRADIENT_CHECK_TEST(MaxPool, Windows) {
  check_gradients([](const Xs& x) { return tf::nn::max_pool2d(x[0], 2, 2, "VALID"); },
                  {uniform({1, 4, 4, 2}, -1, 1, 1)});
  check_gradients([](const Xs& x) { return tf::nn::max_pool2d(x[0], 3, 2, "SAME"); }, {uniform({2, 5, 5, 1}, -1, 1, 2)},
                  {.non_contiguous = true});
}

GRADIENT_CHECK_TEST(MaxPoolGrad, WithRespectToGrad) {
  tf::Tensor in = uniform({1, 4, 4, 1}, -1, 1, 1);
  tf::ops::PoolAttrs attrs;
  attrs.ksize[0] = attrs.ksize[1] = attrs.strides[0] = attrs.strides[1] = 2;
  tf::Tensor out = tf::ops::max_pool(in, attrs);
  check_gradients([=](const Xs& x) { return tf::ops::max_pool_grad(in, out, x[0], attrs); },
                  {uniform({1, 2, 2, 1}, -1, 1, 2)});
}

GRADIENT_CHECK_TEST(MaxPoolGradGrad, WithRespectToGrad) {
  tf::Tensor in = uniform({1, 4, 4, 1}, -1, 1, 1);
  tf::ops::PoolAttrs attrs;
  attrs.ksize[0] = attrs.ksize[1] = attrs.strides[0] = attrs.strides[1] = 2;
  tf::Tensor out = tf::ops::max_pool(in, attrs);
  check_gradients([=](const Xs& x) { return tf::ops::max_pool_grad_grad(in, out, x[0], attrs); },
                  {uniform({1, 4, 4, 1}, -1, 1, 2)});
}

GRADIENT_CHECK_TEST(AvgPool, Windows) {
  check_gradients([](const Xs& x) { return tf::nn::avg_pool2d(x[0], 2, 2, "VALID"); },
                  {uniform({1, 4, 4, 2}, -1, 1, 1)});
  check_gradients([](const Xs& x) { return tf::nn::avg_pool2d(x[0], 3, 2, "SAME"); }, {uniform({2, 5, 5, 1}, -1, 1, 2)},
                  {.order = 2});
}

GRADIENT_CHECK_TEST(AvgPoolGrad, WithRespectToGrad) {
  tf::ops::PoolAttrs attrs;
  attrs.ksize[0] = attrs.ksize[1] = 3;
  attrs.strides[0] = attrs.strides[1] = 2;
  attrs.padding = tf::ops::Padding::kSame;
  check_gradients(
      [=](const Xs& x) {
        return tf::ops::avg_pool_grad({1, 5, 5, 2}, x[0], attrs);
      },
      {uniform({1, 3, 3, 2}, -1, 1, 1)});
}
}  // namespace
