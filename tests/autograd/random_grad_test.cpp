// Gradient of dropout: its mask.
#include "tests/autograd/gradient_check.h"

namespace {
using tf::testing::check_gradients;
using tf::testing::uniform;
using Xs = std::vector<tf::Tensor>;

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
