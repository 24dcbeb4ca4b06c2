// The op table's rows of MaxPool, AvgPool and their gradients on GPU:0, against the same references as on CPU:0
// (tests/support/op_table_nn.h) — not against the CPU's results.
#include "tests/gpu/gpu_test_util.h"
#include "tests/support/op_table_nn.h"

namespace {
using namespace tapeflow::testing;
namespace ot = tapeflow::testing::op_table;

TEST_F(GpuTest, OpTableMaxPoolAvgPoolAndTheirGradients) {
  tf::DeviceScope on("GPU:0");
  ot::check_pooling_table();
}

}  // namespace
