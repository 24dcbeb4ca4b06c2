// The op table's array-op rows on GPU:0, against the same references as on CPU:0
// (tests/support/op_table_array_ops.h) — not against the CPU's results.
#include "tests/gpu/gpu_test_util.h"
#include "tests/support/op_table_array_ops.h"

namespace {
using namespace tapeflow::testing;
namespace ot = tapeflow::testing::op_table;

TEST_F(GpuTest, OpTableArrayOpsMovers) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 25000;
  for (tf::DType dt : ot::kArrayDTypes) ot::check_movers(dt, seed += 101);
}

TEST_F(GpuTest, OpTableOneHot) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 25500;
  for (tf::DType dt : ot::kArrayDTypes) ot::check_one_hot(dt, seed += 101);
}

TEST_F(GpuTest, OpTableUnsortedSegmentSum) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 26000;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16, tf::int8, tf::uint8, tf::int32, tf::int64})
    ot::check_segment_sum_rows(dt, seed += 101);
}

}  // namespace
