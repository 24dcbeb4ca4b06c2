// The op table's unary rows on CPU:0 (tests/support/op_table_unary.h): values against exact
// references in ulps of each floating dtype, integer rows exact with TF's wrap-around.
#include "tests/support/op_table_unary.h"

namespace {
namespace ot = tapeflow::testing::op_table;

TEST(OpTableUnary, FloatingRowsMatchExactReferences) { ot::check_unary_floating_table(); }
TEST(OpTableUnary, IntegerRowsWrapAsTF) { ot::check_unary_integer_table(); }

}  // namespace
