// The op table's unary rows on GPU:0, against the same exact references as on CPU:0
// (tests/support/op_table_unary.h) — not against the CPU's results.
#include "tests/gpu/gpu_test_util.h"
#include "tests/support/op_table_unary.h"

namespace {
using namespace tapeflow::testing;
namespace ot = tapeflow::testing::op_table;

TEST_F(GpuTest, OpTableUnaryFloatingRows) {
  tf::DeviceScope on("GPU:0");
  ot::check_unary_floating_table();
}

TEST_F(GpuTest, OpTableUnaryIntegerRows) {
  tf::DeviceScope on("GPU:0");
  ot::check_unary_integer_table();
}

}  // namespace
