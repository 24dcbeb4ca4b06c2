// The op table's reduction rows on GPU:0, against the same references as on CPU:0
// (tests/support/op_table_reduction.h) — not against the CPU's results.
#include "tests/gpu/gpu_test_util.h"
#include "tests/support/op_table_reduction.h"

namespace {
using namespace tapeflow::testing;
namespace ot = tapeflow::testing::op_table;

const std::vector<tf::DType> kNumeric = {tf::float64, tf::float32, tf::float16, tf::bfloat16,
                                         tf::int8,    tf::uint8,   tf::int32,   tf::int64};

TEST_F(GpuTest, OpTableReductionRows) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 19000;
  for (const ot::ReductionRow& row : ot::reduction_rows())
    for (tf::DType dt : kNumeric) ot::check_reduction_row(row, dt, seed += 7);
}

TEST_F(GpuTest, OpTableArgMaxArgMin) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 19500;
  for (tf::DType dt : kNumeric) ot::check_arg_rows(dt, seed += 7);
}

TEST_F(GpuTest, OpTableCumsumCumprod) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 19700;
  for (tf::DType dt : kNumeric) ot::check_scan_rows(dt, seed += 7);
}

TEST_F(GpuTest, OpTableAnyAll) {
  tf::DeviceScope on("GPU:0");
  ot::check_bool_reductions(19900);
}

}  // namespace
