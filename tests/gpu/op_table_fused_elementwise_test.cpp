// The op table's row of _FusedElementwise on GPU:0: the CUDA kernel's programs give the bits of
// the unfused CUDA kernels (tests/support/op_table_fused_elementwise.h).
#include "tests/gpu/gpu_test_util.h"
#include "tests/support/op_table_fused_elementwise.h"

namespace {
using namespace tapeflow::testing;

TEST_F(GpuTest, OpTableFusedElementwise) {
  tf::DeviceScope on("GPU:0");
  tapeflow::testing::op_table::check_fused_elementwise_rows();
}

}  // namespace
