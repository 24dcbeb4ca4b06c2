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

}  // namespace
