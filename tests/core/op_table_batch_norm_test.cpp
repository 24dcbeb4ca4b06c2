// The op table's rows of FusedBatchNormV3 and its gradient on CPU:0 (tests/support/op_table_nn.h), against
// long-double references of TF's definitions.
#include "tests/support/op_table_nn.h"

namespace {
namespace ot = tapeflow::testing::op_table;

TEST(OpTableNn, FusedBatchNormAndItsGradient) {
  uint32_t seed = 24000;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16}) ot::check_batch_norm_rows(dt, seed += 101);
}

}  // namespace
