// The op table's binary rows on GPU:0, against the same exact references as on CPU:0
// (tests/support/op_table_binary.h) — not against the CPU's results.
#include "tests/gpu/gpu_test_util.h"
#include "tests/support/op_table_binary.h"

namespace {
using namespace tapeflow::testing;
namespace ot = tapeflow::testing::op_table;

TEST_F(GpuTest, OpTableBinaryFloatingRows) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 18100;
  for (const ot::BinaryRow& row : ot::binary_rows())
    for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16})
      ot::check_binary_row(row, dt, seed += 13);
}

TEST_F(GpuTest, OpTableBinaryIntegerRows) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 18500;
  for (const ot::BinaryRow& row : ot::binary_rows())
    for (tf::DType dt : {tf::int8, tf::uint8, tf::int32, tf::int64}) ot::check_binary_row(row, dt, seed += 13);
}

TEST_F(GpuTest, OpTableBinaryBoolRows) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 18900;
  for (const ot::BoolRow& row : ot::bool_rows()) ot::check_bool_row(row, seed += 13);
}

}  // namespace
