// The op table's other families on CPU:0 (tests/support/op_table_families.h): cast between every
// pair of dtypes, matmul, softmax and log_softmax, against references independent of the code
// under test.
#include "tests/support/op_table_families.h"

namespace {
namespace ot = tapeflow::testing::op_table;

const std::vector<tf::DType> kAll = {tf::float64, tf::float32, tf::float16, tf::bfloat16, tf::int8,
                                     tf::uint8,   tf::int32,   tf::int64,   tf::bool_};

TEST(OpTableFamilies, CastBetweenEveryPairOfDtypes) {
  for (tf::DType src : kAll)
    for (tf::DType dst : kAll) ot::check_cast(src, dst);
}

TEST(OpTableFamilies, MatMul) {
  uint32_t seed = 22000;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16, tf::int32, tf::int64})
    ot::check_matmul_rows(dt, seed += 11);
}

TEST(OpTableFamilies, SoftmaxLogSoftmax) {
  uint32_t seed = 22500;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16}) ot::check_softmax_rows(dt, seed += 11);
}

TEST(OpTableFamilies, SoftmaxGradients) {
  uint32_t seed = 22600;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16})
    ot::check_softmax_grad_rows(dt, seed += 11);
}

TEST(OpTableFamilies, SoftmaxCrossEntropies) {
  uint32_t seed = 22700;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16})
    ot::check_softmax_cross_entropy_rows(dt, seed += 11);
}

TEST(OpTableFamilies, BiasAddAndItsGradient) {
  uint32_t seed = 22800;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16, tf::int8, tf::uint8, tf::int32, tf::int64})
    ot::check_bias_add_rows(dt, seed += 11);
}

TEST(OpTableFamilies, FillAndRange) {
  for (tf::DType dt : kAll) ot::check_creation_rows(dt);
}

TEST(OpTableFamilies, CopyAndStopGradientKeepEveryBit) {
  uint32_t seed = 22900;
  for (tf::DType dt : kAll) ot::check_copy_rows(dt, seed += 11);
}

TEST(OpTableFamilies, FusedContractions) {
  uint32_t seed = 23100;
  for (tf::DType dt : {tf::float64, tf::float32}) ot::check_fused_contraction_rows(dt, seed += 11);
}

TEST(OpTableFamilies, GraphAndTapeOps) {
  uint32_t seed = 23200;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16, tf::int32, tf::int64})
    ot::check_graph_op_rows(dt, seed += 11);
}

TEST(OpTableFamilies, PredicatesAndLogicalNot) {
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16}) ot::check_predicate_rows(dt);
  ot::check_logical_not_rows(23300);
}

TEST(OpTableFamilies, SelectAndWhere) {
  uint32_t seed = 23400;
  for (tf::DType dt : kAll) ot::check_select_where_rows(dt, seed += 11);
}

TEST(OpTableFamilies, TopK) {
  uint32_t seed = 23500;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16, tf::int8, tf::uint8, tf::int32, tf::int64})
    ot::check_top_k_rows(dt, seed += 11);
}

TEST(OpTableFamilies, StridedSliceGradient) {
  uint32_t seed = 23600;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16})
    ot::check_strided_slice_grad_rows(dt, seed += 11);
}

}  // namespace
