// The op table's unary rows on CPU:0 (tests/support/op_table_unary.h): values against exact
// references in ulps of each floating dtype, integer rows exact with TF's wrap-around.
#include "tests/support/op_table_unary.h"

namespace {
namespace ot = tapeflow::testing::op_table;

const std::vector<tf::DType> kFloating = {tf::float64, tf::float32, tf::float16, tf::bfloat16};

TEST(OpTableUnary, FloatingRowsMatchExactReferences) {
  uint32_t seed = 18000;
  for (const ot::UnaryRow& row : ot::unary_rows())
    for (tf::DType dt : kFloating) ot::check_unary_row(row, dt, seed += 2);
}

TEST(OpTableUnary, IntegerRowsWrapAsTF) {
  for (const ot::IntegerRow& row : ot::integer_rows())
    for (tf::DType dt : {tf::int8, tf::uint8, tf::int32, tf::int64})
      if (dt != tf::uint8 || row.unsigned_ok) ot::check_integer_row(row, dt);
}

}  // namespace
