// The op table's array-op rows on CPU:0 (tests/support/op_table_array_ops.h): the movers bit for
// bit in every dtype against index maps of TF's definitions, OneHot, and UnsortedSegmentSum.
#include "tests/support/op_table_array_ops.h"

namespace {
namespace ot = tapeflow::testing::op_table;

TEST(OpTableArrayOps, MoversKeepEveryValueBitForBit) {
  uint32_t seed = 25000;
  for (tf::DType dt : ot::kArrayDTypes) ot::check_movers(dt, seed += 101);
}

TEST(OpTableArrayOps, OneHot) {
  uint32_t seed = 25500;
  for (tf::DType dt : ot::kArrayDTypes) ot::check_one_hot(dt, seed += 101);
}

TEST(OpTableArrayOps, UnsortedSegmentSum) {
  uint32_t seed = 26000;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16, tf::int8, tf::uint8, tf::int32, tf::int64})
    ot::check_segment_sum_rows(dt, seed += 101);
}

}  // namespace
