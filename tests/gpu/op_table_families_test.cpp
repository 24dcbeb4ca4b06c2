// The op table's other families on GPU:0, against the same references as on CPU:0
// (tests/support/op_table_families.h) — not against the CPU's results.
#include "tests/gpu/gpu_test_util.h"
#include "tests/support/op_table_families.h"

namespace {
using namespace tapeflow::testing;
namespace ot = tapeflow::testing::op_table;

const std::vector<tf::DType> kAll = {tf::float64, tf::float32, tf::float16, tf::bfloat16, tf::int8,
                                     tf::uint8,   tf::int32,   tf::int64,   tf::bool_};

TEST_F(GpuTest, OpTableCastBetweenEveryPairOfDtypes) {
  tf::DeviceScope on("GPU:0");
  for (tf::DType src : kAll)
    for (tf::DType dst : kAll) ot::check_cast(src, dst);
}

TEST_F(GpuTest, OpTableMatMul) {
  tf::DeviceScope on("GPU:0");
  Tf32Guard exact(false);  // the rows' budget is float32's; TF32 (TF's default) keeps 10 bits
  uint32_t seed = 22000;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16, tf::int32, tf::int64})
    ot::check_matmul_rows(dt, seed += 11);
}

TEST_F(GpuTest, OpTableSoftmaxLogSoftmax) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 22500;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16}) ot::check_softmax_rows(dt, seed += 11);
}

}  // namespace
