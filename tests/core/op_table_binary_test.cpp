// The op table's binary rows on CPU:0 (tests/support/op_table_binary.h): values against exact
// references in ulps of each floating dtype, integers exact with TF's wrap-around, the bool ops,
// and the integer inputs TF's CPU kernels reject.
#include "tests/support/op_table_binary.h"

namespace {
namespace ot = tapeflow::testing::op_table;

const std::vector<tf::DType> kFloating = {tf::float64, tf::float32, tf::float16, tf::bfloat16};
const std::vector<tf::DType> kIntegers = {tf::int8, tf::uint8, tf::int32, tf::int64};

TEST(OpTableBinary, FloatingRowsMatchExactReferences) {
  uint32_t seed = 18100;
  for (const ot::BinaryRow& row : ot::binary_rows())
    for (tf::DType dt : kFloating) ot::check_binary_row(row, dt, seed += 13);
}

TEST(OpTableBinary, IntegerRowsWrapAsTF) {
  uint32_t seed = 18500;
  for (const ot::BinaryRow& row : ot::binary_rows())
    for (tf::DType dt : kIntegers) ot::check_binary_row(row, dt, seed += 13);
}

TEST(OpTableBinary, BoolRows) {
  uint32_t seed = 18900;
  for (const ot::BoolRow& row : ot::bool_rows()) ot::check_bool_row(row, seed += 13);
}

// TF's CPU kernels reject integer division by zero and integers to negative integer powers.
TEST(OpTableBinary, IntegerEdgeCasesAreErrors) {
  for (tf::DType dt : {tf::int8, tf::uint8, tf::int32, tf::int64}) {
    SCOPED_TRACE(tf::dtype_name(dt));
    const tf::Tensor a = tf::cast(tf::constant({7, 8, 9}), dt), zero = tf::cast(tf::constant({1, 0, 1}), dt);
    EXPECT_THROW(tf::floordiv(a, zero), tf::errors::InvalidArgumentError);
    EXPECT_THROW(tf::floormod(a, zero), tf::errors::InvalidArgumentError);
    EXPECT_THROW(tf::mod(a, tf::cast(tf::constant(0), dt)), tf::errors::InvalidArgumentError);
    if (dt != tf::uint8)
      EXPECT_THROW(tf::pow(a, tf::cast(tf::constant({2, -1, 0}), dt)), tf::errors::InvalidArgumentError);
  }
}

}  // namespace
