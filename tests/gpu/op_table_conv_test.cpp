// The op table's rows of Conv2D and its two backprop ops on GPU:0, against the same references as on CPU:0
// (tests/support/op_table_nn.h) — not against the CPU's results.
#include "tests/gpu/gpu_test_util.h"
#include "tests/support/op_table_nn.h"

namespace {
using namespace tapeflow::testing;
namespace ot = tapeflow::testing::op_table;

TEST_F(GpuTest, OpTableConv2DAndItsBackpropOps) {
  tf::DeviceScope on("GPU:0");
  Tf32Guard exact(false);  // the rows' budget is float32's; TF32 (TF's default) keeps 10 bits
  ot::check_conv2d_table();
}

}  // namespace
