// The op table's binary rows on GPU:0, against the same exact references as on CPU:0
// (tests/support/op_table_binary.h) — not against the CPU's results.
#include "tests/gpu/gpu_test_util.h"
#include "tests/support/op_table_binary.h"

namespace {
using namespace tapeflow::testing;
namespace ot = tapeflow::testing::op_table;

TEST_F(GpuTest, OpTableBinaryFloatingRows) {
  tf::DeviceScope on("GPU:0");
  ot::check_binary_floating_table();
}

TEST_F(GpuTest, OpTableBinaryIntegerRows) {
  tf::DeviceScope on("GPU:0");
  ot::check_binary_integer_table();
}

TEST_F(GpuTest, OpTableBinaryBoolRows) {
  tf::DeviceScope on("GPU:0");
  ot::check_bool_table();
}

}  // namespace
