// tf::stop_gradient: no gradient flows through it (TF's guide's case).
#include <gtest/gtest.h>

#include "tests/core/test_util.h"

namespace {
using tf::testing::expect_values;

// ---- tf::stop_gradient ----------------------------------------------------------------------
TEST(GradientTape, StopGradient) {
  tf::Variable x(3.0f);
  tf::GradientTape tape;
  auto y = x * tf::stop_gradient(x);
  auto z = tf::stop_gradient(x * x);
  tape.stop();
  EXPECT_FLOAT_EQ(y.item<float>(), 9.0f);
  EXPECT_FLOAT_EQ(tape.gradient({y, z}, x)->item<float>(), 3.0f);  // only the unstopped factor
}

}  // namespace
