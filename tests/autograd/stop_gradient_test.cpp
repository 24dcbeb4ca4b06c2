// tf::stop_gradient: no gradient flows through it (TF's guide's case).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tapeflow/core/logging.h"
#include "tests/core/test_util.h"

namespace {
using tf::testing::expect_values;

std::vector<std::string>& captured_warnings() {
  static std::vector<std::string> w;
  return w;
}
void capture(const std::string& level, const std::string& message) {
  if (level == "warning") captured_warnings().push_back(message);
}
struct CaptureWarnings {
  CaptureWarnings() {
    captured_warnings().clear();
    tf::logging::set_sink(capture);
  }
  ~CaptureWarnings() { tf::logging::set_sink(nullptr); }
  bool saw(const std::string& words) const {
    for (const auto& m : captured_warnings())
      if (m.find(words) != std::string::npos) return true;
    return false;
  }
};

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
