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

TEST_F(GpuTest, OpTableFusedContractions) {
  tf::DeviceScope on("GPU:0");
  Tf32Guard exact(false);  // cuBLASLt's epilogue and cuDNN within float32's budget, not TF32's
  uint32_t seed = 22300;
  for (tf::DType dt : {tf::float64, tf::float32}) ot::check_fused_contraction_rows(dt, seed += 11);
}

TEST_F(GpuTest, OpTableSoftmaxLogSoftmax) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 22500;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16}) ot::check_softmax_rows(dt, seed += 11);
}

TEST_F(GpuTest, OpTableSoftmaxGradients) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 22600;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16})
    ot::check_softmax_grad_rows(dt, seed += 11);
}

TEST_F(GpuTest, OpTableSoftmaxCrossEntropies) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 22700;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16})
    ot::check_softmax_cross_entropy_rows(dt, seed += 11);
}

TEST_F(GpuTest, OpTableBiasAddAndItsGradient) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 22800;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16, tf::int8, tf::uint8, tf::int32, tf::int64})
    ot::check_bias_add_rows(dt, seed += 11);
}

TEST_F(GpuTest, OpTableFillAndRange) {
  tf::DeviceScope on("GPU:0");
  for (tf::DType dt : kAll) ot::check_creation_rows(dt);
}

TEST_F(GpuTest, OpTableCopyAndStopGradientKeepEveryBit) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 22900;
  for (tf::DType dt : kAll) ot::check_copy_rows(dt, seed += 11);
}

TEST_F(GpuTest, OpTableGraphAndTapeOps) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 23200;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16, tf::int32, tf::int64})
    ot::check_graph_op_rows(dt, seed += 11);
}

TEST_F(GpuTest, OpTablePredicatesAndLogicalNot) {
  tf::DeviceScope on("GPU:0");
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16}) ot::check_predicate_rows(dt);
  ot::check_logical_not_rows(23300);
}

TEST_F(GpuTest, OpTableSelectAndWhere) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 23400;
  for (tf::DType dt : kAll) ot::check_select_where_rows(dt, seed += 11);
}

TEST_F(GpuTest, OpTableTopK) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 23500;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16, tf::int8, tf::uint8, tf::int32, tf::int64})
    ot::check_top_k_rows(dt, seed += 11);
}

TEST_F(GpuTest, OpTableStridedSliceGradient) {
  tf::DeviceScope on("GPU:0");
  uint32_t seed = 23600;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16})
    ot::check_strided_slice_grad_rows(dt, seed += 11);
}

}  // namespace
