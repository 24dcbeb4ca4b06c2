// The op table's convolution, pooling and batch-normalization rows on CPU:0
// (tests/support/op_table_nn.h), against long-double references of TF's definitions.
#include "tests/support/op_table_nn.h"

namespace {
namespace ot = tapeflow::testing::op_table;

const std::vector<tf::DType> kFloating = {tf::float64, tf::float32, tf::float16, tf::bfloat16};

TEST(OpTableNn, Conv2DAndItsBackpropOps) {
  uint32_t seed = 23000;
  for (tf::DType dt : kFloating) ot::check_conv2d_rows(dt, seed += 101);
}

TEST(OpTableNn, MaxPoolAvgPoolAndTheirGradients) {
  uint32_t seed = 23500;
  for (tf::DType dt : kFloating) ot::check_pooling_rows(dt, seed += 101);
}

TEST(OpTableNn, FusedBatchNormAndItsGradient) {
  uint32_t seed = 24000;
  for (tf::DType dt : kFloating) ot::check_batch_norm_rows(dt, seed += 101);
}

}  // namespace
