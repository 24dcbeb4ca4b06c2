// The op table's row of _FusedElementwise on CPU:0 (tests/support/op_table_fused_elementwise.h)
// and its argument checks.
#include "tests/support/op_table_fused_elementwise.h"

namespace {
namespace ops = tapeflow::ops;
using ops::ElementwiseOp;

TEST(OpTableFamilies, FusedElementwiseMatchesTheUnfusedOpsBitForBit) {
  tapeflow::testing::op_table::check_fused_elementwise_rows();
}

TEST(OpTableFamilies, FusedElementwiseRejectsBadPrograms) {
  const tf::Tensor x = tf::constant({1.0f, 2.0f}), xi = tf::constant({1, 2});
  const tf::Tensor in[1] = {x}, ins[1] = {xi};
  const tf::Tensor two[2] = {x, tf::constant({1.0f, 2.0f, 3.0f})};
  EXPECT_THROW(ops::fused_elementwise(in, {{ElementwiseOp::Exp, 1}}),
               tf::errors::InvalidArgumentError);  // no step 0 yet
  EXPECT_THROW(ops::fused_elementwise(in, {{ElementwiseOp::Add, 0}}), tf::errors::InvalidArgumentError);  // 1 operand
  EXPECT_THROW(ops::fused_elementwise(in, {{ElementwiseOp::Less, 0, 0}}), tf::errors::InvalidArgumentError);  // bool
  EXPECT_THROW(ops::fused_elementwise(ins, {{ElementwiseOp::Neg, 0}}), tf::errors::InvalidArgumentError);     // int32
  EXPECT_THROW(ops::fused_elementwise(two, {{ElementwiseOp::Add, 0, 1}}), tf::errors::InvalidArgumentError);
  EXPECT_THROW(ops::fused_elementwise(in, {}), tf::errors::InvalidArgumentError);
}

}  // namespace
