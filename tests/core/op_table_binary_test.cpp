// The op table's binary rows on CPU:0 (tests/support/op_table_binary.h): values against exact
// references in ulps of each floating dtype, integers exact with TF's wrap-around, the bool ops,
// and the integer inputs TF's CPU kernels reject.
#include "tests/support/op_table_binary.h"

namespace {
namespace ot = tapeflow::testing::op_table;

TEST(OpTableBinary, FloatingRowsMatchExactReferences) { ot::check_binary_floating_table(); }
TEST(OpTableBinary, IntegerRowsWrapAsTF) { ot::check_binary_integer_table(); }
TEST(OpTableBinary, BoolRows) { ot::check_bool_table(); }

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
