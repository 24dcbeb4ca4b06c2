// The op table's rows of FusedBatchNormV3 and its gradient on CPU:0 (tests/support/op_table_nn.h), against
// long-double references of TF's definitions.
#include "tests/support/op_table_nn.h"

namespace {
namespace ot = tapeflow::testing::op_table;

TEST(OpTableNn, FusedBatchNormAndItsGradient) { ot::check_batch_norm_table(); }

}  // namespace
