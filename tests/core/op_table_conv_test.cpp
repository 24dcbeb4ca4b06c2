// The op table's rows of Conv2D and its two backprop ops on CPU:0 (tests/support/op_table_nn.h), against
// long-double references of TF's definitions.
#include "tests/support/op_table_nn.h"

namespace {
namespace ot = tapeflow::testing::op_table;

TEST(OpTableNn, Conv2DAndItsBackpropOps) {
  uint32_t seed = 23000;
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16}) ot::check_conv2d_rows(dt, seed += 101);
}

}  // namespace
