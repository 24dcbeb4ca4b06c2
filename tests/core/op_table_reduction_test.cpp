// The op table's reduction rows on CPU:0 (tests/support/op_table_reduction.h): reductions,
// argmax/argmin, cumsum/cumprod and any/all against long-double or exact integer references.
#include "tests/support/op_table_reduction.h"

namespace {
namespace ot = tapeflow::testing::op_table;

const std::vector<tf::DType> kNumeric = {tf::float64, tf::float32, tf::float16, tf::bfloat16,
                                         tf::int8,    tf::uint8,   tf::int32,   tf::int64};

TEST(OpTableReduction, ReductionRows) {
  uint32_t seed = 19000;
  for (const ot::ReductionRow& row : ot::reduction_rows())
    for (tf::DType dt : kNumeric) ot::check_reduction_row(row, dt, seed += 7);
}

TEST(OpTableReduction, ArgMaxArgMin) {
  uint32_t seed = 19500;
  for (tf::DType dt : kNumeric) ot::check_arg_rows(dt, seed += 7);
}

TEST(OpTableReduction, CumsumCumprod) {
  uint32_t seed = 19700;
  for (tf::DType dt : kNumeric) ot::check_scan_rows(dt, seed += 7);
}

TEST(OpTableReduction, AnyAll) { ot::check_bool_reductions(19900); }

}  // namespace
