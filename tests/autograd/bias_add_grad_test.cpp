// Gradient checks (float64 central differences) of BiasAdd and BiasAddGrad.
#include "tests/autograd/gradient_check.h"

namespace {
using tf::testing::check_gradients;
using tf::testing::uniform;
using Xs = std::vector<tf::Tensor>;

GRADIENT_CHECK_TEST(BiasAdd, ValueAndBias) {
  check_gradients([](const Xs& x) { return tf::nn::bias_add(x[0], x[1]); },
                  {uniform({2, 3, 4}, -1, 1, 1), uniform({4}, -1, 1, 2)}, {.non_contiguous = true});
}

GRADIENT_CHECK_TEST(BiasAddGrad, OutBackprop) {
  check_gradients([](const Xs& x) { return tf::ops::bias_add_grad(x[0]); }, {uniform({2, 3, 4}, -1, 1, 1)});
}
}  // namespace
