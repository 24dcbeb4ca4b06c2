// The op table's rows of Conv2D and its two backprop ops on CPU:0 (tests/support/op_table_nn.h), against
// long-double references of TF's definitions.
#include "tests/support/op_table_nn.h"

namespace {
namespace ot = tapeflow::testing::op_table;

TEST(OpTableNn, Conv2DAndItsBackpropOps) { ot::check_conv2d_table(); }

}  // namespace
