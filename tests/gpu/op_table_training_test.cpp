// The fused training ops on GPU:0 against the same update formulas as on CPU:0
// (tests/support/op_table_training.h) — not against the CPU's results.
#include "tests/gpu/gpu_test_util.h"
#include "tests/support/op_table_training.h"

namespace {
using namespace tapeflow::testing;
namespace ot = tapeflow::testing::op_table;

TEST_F(GpuTest, OpTableFusedAdam) {
  tf::DeviceScope on("GPU:0");
  ot::check_fused_adam_rows();
}

TEST_F(GpuTest, OpTableFusedSGDVariants) {
  tf::DeviceScope on("GPU:0");
  ot::check_fused_sgd_rows();
}

TEST_F(GpuTest, OpTableFusedAdagradAndRMSprop) {
  tf::DeviceScope on("GPU:0");
  ot::check_fused_adagrad_rmsprop_rows();
}

}  // namespace
