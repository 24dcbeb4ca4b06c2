// The op table's reduction rows on CPU:0 (tests/support/op_table_reduction.h): reductions,
// argmax/argmin, cumsum/cumprod and any/all against long-double or exact integer references.
#include "tests/support/op_table_reduction.h"

namespace {
namespace ot = tapeflow::testing::op_table;

TEST(OpTableReduction, ReductionRows) { ot::check_reduction_table(); }
TEST(OpTableReduction, ArgMaxArgMin) { ot::check_arg_table(); }
TEST(OpTableReduction, CumsumCumprod) { ot::check_scan_table(); }
TEST(OpTableReduction, AnyAll) { ot::check_bool_reduction_table(); }

}  // namespace
