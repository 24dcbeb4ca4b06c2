// The op table's rows of MaxPool, AvgPool and their gradients on CPU:0 (tests/support/op_table_nn.h), against
// long-double references of TF's definitions.
#include "tests/support/op_table_nn.h"

namespace {
namespace ot = tapeflow::testing::op_table;

TEST(OpTableNn, MaxPoolAvgPoolAndTheirGradients) {
  uint32_t seed = 23500;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16}) ot::check_pooling_rows(dt, seed += 101);
}

}  // namespace
