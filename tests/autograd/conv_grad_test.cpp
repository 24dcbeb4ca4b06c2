// Gradient checks (float64 central differences) of Conv2D and its backprop ops (each is the
// other's gradient, which gives gradients of any order).
#include "tests/autograd/gradient_check.h"

namespace {
using tf::testing::check_gradients;
using tf::testing::uniform;
using Xs = std::vector<tf::Tensor>;

GRADIENT_CHECK_TEST(Conv2D, SameValidStridesDilations) {
  check_gradients([](const Xs& x) { return tf::nn::conv2d(x[0], x[1], 1, "SAME"); },
                  {uniform({2, 4, 4, 2}, -1, 1, 1), uniform({3, 3, 2, 3}, -1, 1, 2)});
  check_gradients([](const Xs& x) { return tf::nn::conv2d(x[0], x[1], 2, "VALID"); },
                  {uniform({1, 5, 5, 1}, -1, 1, 3), uniform({2, 2, 1, 2}, -1, 1, 4)});
  check_gradients([](const Xs& x) { return tf::nn::conv2d(x[0], x[1], 1, "SAME", 2); },
                  {uniform({1, 5, 4, 2}, -1, 1, 5), uniform({2, 2, 2, 1}, -1, 1, 6)}, {.non_contiguous = true});
}

GRADIENT_CHECK_TEST(Conv2DBackpropInput, FiltersAndOutBackprop) {
  check_gradients(
      [](const Xs& x) {
        return tf::nn::conv2d_backprop_input({1, 4, 4, 2}, x[0], x[1], 1, "SAME");
      },
      {uniform({3, 3, 2, 2}, -1, 1, 1), uniform({1, 4, 4, 2}, -1, 1, 2)});
}

GRADIENT_CHECK_TEST(Conv2DBackpropFilter, InputAndOutBackprop) {
  check_gradients(
      [](const Xs& x) {
        return tf::nn::conv2d_backprop_filter(x[0], {2, 2, 1, 2}, x[1], 1, "VALID");
      },
      {uniform({1, 4, 3, 1}, -1, 1, 1), uniform({1, 3, 2, 2}, -1, 1, 2)});
}
}  // namespace
