// The op table's reduction rows on GPU:0, against the same references as on CPU:0
// (tests/support/op_table_reduction.h) — not against the CPU's results.
#include "tests/gpu/gpu_test_util.h"
#include "tests/support/op_table_reduction.h"

namespace {
using namespace tapeflow::testing;
namespace ot = tapeflow::testing::op_table;

TEST_F(GpuTest, OpTableReductionRows) {
  tf::DeviceScope on("GPU:0");
  ot::check_reduction_table();
}

TEST_F(GpuTest, OpTableArgMaxArgMin) {
  tf::DeviceScope on("GPU:0");
  ot::check_arg_table();
}

TEST_F(GpuTest, OpTableCumsumCumprod) {
  tf::DeviceScope on("GPU:0");
  ot::check_scan_table();
}

TEST_F(GpuTest, OpTableAnyAll) {
  tf::DeviceScope on("GPU:0");
  ot::check_bool_reduction_table();
}

}  // namespace
