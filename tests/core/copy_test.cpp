// The Copy kernel's tiled path (Note [Tiled transpose], kernels/cpu/copy.cpp): transposes and
// permutations made contiguous, bit for bit in every dtype against index maps, on shapes that
// cover whole register blocks, tile edges, several tiles split over threads, outer dims, sliced
// sources and strided destinations (concat writes into a slot of its output).
#include "tests/support/op_table_array_ops.h"

namespace {
namespace ot = tapeflow::testing::op_table;
using tf::all;
using tf::slice;

TEST(CopyKernel, TransposesEveryDTypeBitForBit) {
  uint32_t seed = 41000;
  for (tf::DType dt : ot::kArrayDTypes) {
    SCOPED_TRACE(std::string(tf::dtype_name(dt)));
    // One 8x8 register block, tile edges (67 x 45: neither a multiple of 8), and 130 x 300: 15
    // tiles of 64 x 64 over more elements than one thread's grain.
    ot::check_transpose(ot::distinct_tensor(dt, tf::Shape{8, 8}, seed++), {1, 0}, "8x8");
    ot::check_transpose(ot::distinct_tensor(dt, tf::Shape{67, 45}, seed++), {1, 0}, "67x45");
    ot::check_transpose(ot::distinct_tensor(dt, tf::Shape{130, 300}, seed++), {1, 0}, "130x300");
    ot::check_transpose(ot::distinct_tensor(dt, tf::Shape{3, 1}, seed++), {1, 0}, "3x1");
  }
}

TEST(CopyKernel, PermutationsWithOuterDimsBitForBit) {
  uint32_t seed = 42000;
  for (tf::DType dt : {tf::float32, tf::float64, tf::bfloat16, tf::int8}) {
    SCOPED_TRACE(std::string(tf::dtype_name(dt)));
    const tf::Tensor x = ot::distinct_tensor(dt, tf::Shape{3, 20, 17, 9}, seed++);
    for (const std::vector<int>& perm :
         std::vector<std::vector<int>>{{0, 3, 1, 2}, {3, 2, 1, 0}, {2, 0, 3, 1}, {0, 2, 1, 3}, {1, 0, 3, 2}})
      ot::check_transpose(x, perm, "(3, 20, 17, 9)");
    // NHWC -> NCHW of a batch: the (H*W, C) transpose under an outer batch dim.
    ot::check_transpose(ot::distinct_tensor(dt, tf::Shape{4, 28, 28, 32}, seed++), {0, 3, 1, 2}, "NHWC to NCHW");
  }
}

TEST(CopyKernel, SlicedSourcesAndStridedDestinations) {
  uint32_t seed = 43000;
  for (tf::DType dt : {tf::float32, tf::float64, tf::uint8}) {
    SCOPED_TRACE(std::string(tf::dtype_name(dt)));
    const tf::Tensor wide = ot::distinct_tensor(dt, tf::Shape{67, 90}, seed++);
    // Rows 90 apart but contiguous within: the tiled path with a source row stride of 90.
    const tf::Tensor cols = wide[{all, slice(3, 48)}];
    ASSERT_FALSE(cols.is_contiguous());
    ot::check_transpose(cols, {1, 0}, "columns 3:48 of 67x90");
    // No source dim of stride 1: the row walk.
    ot::check_transpose(wide[{all, slice(std::nullopt, std::nullopt, 2)}], {1, 0}, "columns ::2 of 67x90");
    // concat copies each (transposed) part into a slot of its output: destination rows are the
    // output's, longer than the part's.
    const tf::Tensor a = tf::transpose(ot::distinct_tensor(dt, tf::Shape{70, 40}, seed++));
    const tf::Tensor b = tf::transpose(ot::distinct_tensor(dt, tf::Shape{33, 40}, seed++));
    ot::check_concat_stack({a, b}, 1, "transposed parts");
  }
}

}  // namespace
