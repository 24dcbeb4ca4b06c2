// The op table's array-op rows on CPU:0 (tests/support/op_table_array_ops.h): the movers bit for
// bit in every dtype against index maps of TF's definitions, OneHot, and UnsortedSegmentSum.
#include "tests/support/op_table_array_ops.h"

namespace {
namespace ot = tapeflow::testing::op_table;

TEST(OpTableArrayOps, MoversKeepEveryValueBitForBit) { ot::check_movers_table(); }
TEST(OpTableArrayOps, OneHot) { ot::check_one_hot_table(); }
TEST(OpTableArrayOps, UnsortedSegmentSum) { ot::check_segment_sum_table(); }

}  // namespace
