// The op table's rows of MaxPool, AvgPool and their gradients on CPU:0 (tests/support/op_table_nn.h), against
// long-double references of TF's definitions.
#include "tests/support/op_table_nn.h"

namespace {
namespace ot = tapeflow::testing::op_table;

TEST(OpTableNn, MaxPoolAvgPoolAndTheirGradients) { ot::check_pooling_table(); }

}  // namespace
