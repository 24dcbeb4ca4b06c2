// The op table's unary rows on GPU:0, against the same exact references as on CPU:0
// (tests/support/op_table_unary.h) — not against the CPU's results.
#include "tests/gpu/gpu_test_util.h"
#include "tests/support/op_table_unary.h"

namespace {
using namespace tapeflow::testing;
namespace ot = tapeflow::testing::op_table;

TEST_F(GpuTest, OpTableUnaryFloatingRows) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 18000;
  for (const ot::UnaryRow& row : ot::unary_rows())
    for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16}) ot::check_unary_row(row, dt, seed += 2);
}

TEST_F(GpuTest, OpTableUnaryIntegerRows) {
  tf::DeviceScope on("GPU:0");
  for (const ot::IntegerRow& row : ot::integer_rows())
    for (tf::DType dt : {tf::int8, tf::uint8, tf::int32, tf::int64})
      if (dt != tf::uint8 || row.unsigned_ok) ot::check_integer_row(row, dt);
}

}  // namespace
