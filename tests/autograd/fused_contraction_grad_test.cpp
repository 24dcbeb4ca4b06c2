// Gradient checks (float64 central differences) of _FusedMatMul and _FusedConv2D.
#include "tapeflow/core/ops/fused_contraction.h"
#include "tests/autograd/gradient_check.h"

namespace {
using tf::testing::check_gradients;
using tf::testing::uniform;
using Xs = std::vector<tf::Tensor>;

// The op names start with '_', which GRADIENT_CHECK_TEST cannot paste into an identifier.
const tf::testing::CoversOp covers_fused_matmul("_FusedMatMul");
const tf::testing::CoversOp covers_fused_conv2d("_FusedConv2D");

TEST(GradientCheck_FusedMatMul, BiasAndRelu) {
  for (bool relu : {false, true}) {
    for (bool tb : {false, true}) {
      tf::ops::MatMulAttrs attrs;
      attrs.transpose_b = tb;
      check_gradients([&](const Xs& x) { return tf::ops::fused_matmul(x[0], x[1], x[2], attrs, relu); },
                      {uniform({3, 4}, -1, 1, 1), uniform(tb ? tf::Shape{5, 4} : tf::Shape{4, 5}, -1, 1, 2),
                       uniform({5}, -1, 1, 3)},
                      {.order = 2});
    }
  }
}

TEST(GradientCheck_FusedConv2D, BiasAndRelu) {
  tf::ops::Conv2DAttrs attrs;
  attrs.padding = tf::ops::Padding::kSame;
  for (bool relu : {false, true}) {
    check_gradients([&](const Xs& x) { return tf::ops::fused_conv2d(x[0], x[1], x[2], attrs, relu); },
                    {uniform({1, 4, 3, 2}, -1, 1, 4), uniform({2, 2, 2, 3}, -1, 1, 5), uniform({3}, -1, 1, 6)});
  }
}
}  // namespace
