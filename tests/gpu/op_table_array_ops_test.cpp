// The op table's array-op rows on GPU:0, against the same references as on CPU:0
// (tests/support/op_table_array_ops.h) — not against the CPU's results.
#include "tests/gpu/gpu_test_util.h"
#include "tests/support/op_table_array_ops.h"

namespace {
using namespace tapeflow::testing;
namespace ot = tapeflow::testing::op_table;

TEST_F(GpuTest, OpTableArrayOpsMovers) {
  tf::DeviceScope on("GPU:0");
  ot::check_movers_table();
}

TEST_F(GpuTest, OpTableOneHot) {
  tf::DeviceScope on("GPU:0");
  ot::check_one_hot_table();
}

TEST_F(GpuTest, OpTableUnsortedSegmentSum) {
  tf::DeviceScope on("GPU:0");
  ot::check_segment_sum_table();
}

}  // namespace
