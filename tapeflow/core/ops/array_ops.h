// Shape manipulation: reshape, transpose, expand_dims, squeeze, broadcast_to (views where
// possible), concat, stack, unstack, split, tile, pad, reverse, gather, gather_nd, one_hot,
// identity. TF's op names, attributes and error messages.
#pragma once
#include <memory>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/scalar.h"

namespace tapeflow {

/// tf.reshape: at most one -1. A view when x is contiguous, else a copy.
Tensor reshape(const Tensor& x, const Shape& shape);
/// tf.transpose: perm defaults to reversed axes. Always a view.
Tensor transpose(const Tensor& x, std::vector<int> perm = {});
/// Inserts a size-1 axis at `axis` (-rank-1 <= axis <= rank). A view.
Tensor expand_dims(const Tensor& x, int axis);
/// Removes size-1 axes (all of them, or the listed ones; listing an axis whose size is not 1 is an error).
Tensor squeeze(const Tensor& x, std::vector<int> axis = {});
/// A stride-0 view of x broadcast to `shape` (NumPy rules).
Tensor broadcast_to(const Tensor& x, const Shape& shape);
Tensor identity(const Tensor& x);

/// Joins tensors along an existing axis (tf.concat) or a new one (tf.stack).
Tensor concat(const std::vector<Tensor>& values, int axis);
Tensor stack(const std::vector<Tensor>& values, int axis = 0);
/// Splits along `axis` into views (tf.unstack).
std::vector<Tensor> unstack(const Tensor& x, int axis = 0);
/// tf.split: `num_or_size_splits` is a count (the axis must divide evenly) or sizes (one may be -1).
std::vector<Tensor> split(const Tensor& x, std::variant<int, std::vector<int64_t>> num_or_size_splits, int axis = 0);

Tensor tile(const Tensor& x, const std::vector<int64_t>& multiples);
/// tf.pad with mode "CONSTANT" (constant_values), "REFLECT" or "SYMMETRIC".
Tensor pad(const Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& paddings,
           const std::string& mode = "CONSTANT", Scalar constant_values = 0);
Tensor reverse(const Tensor& x, const std::vector<int>& axis);

/// tf.gather: indices (int32/int64) pick slices of params along `axis`; out-of-range is an error.
Tensor gather(const Tensor& params, const Tensor& indices, int axis = 0, int batch_dims = 0);
/// tf.gather_nd: the last axis of indices indexes the leading axes of params.
Tensor gather_nd(const Tensor& params, const Tensor& indices);
/// tf.one_hot: out-of-range indices give all-off rows, as TF.
Tensor one_hot(const Tensor& indices, int64_t depth, Scalar on_value = 1, Scalar off_value = 0, int axis = -1,
               DType dtype = DType::kFloat32);

/// tf.math.unsorted_segment_sum: out[s] = sum of data rows i with segment_ids[i] == s (ids of
/// shape data.shape[:k]; ids outside [0, num_segments) are dropped, as TF).
Tensor unsorted_segment_sum(const Tensor& data, const Tensor& segment_ids, int64_t num_segments);

namespace ops {
/// The gradient of a StridedSlice: `grad` written into zeros of the sliced tensor's shape.
Tensor strided_slice_grad(const Tensor& grad, const Shape& input_shape, const struct StridedSliceAttrs& attrs);
extern OpDef StridedSliceGrad, UnsortedSegmentSum;
extern OpDef Reshape, Transpose, ExpandDims, Squeeze, BroadcastTo, Identity, StridedSlice, ConcatV2, Pack, Tile, PadV2,
    MirrorPad, ReverseV2, GatherV2, GatherNd, OneHot;
struct ShapeAttrs : OpAttrsBase<ShapeAttrs> {
  Shape shape;  // the output shape (Reshape, BroadcastTo, ExpandDims, Squeeze)
};
struct TransposeAttrs : OpAttrsBase<TransposeAttrs> {
  std::vector<int> perm;
};
/// A view of the input: output dims/strides/offset relative to the input's geometry.
struct StridedSliceAttrs : OpAttrsBase<StridedSliceAttrs> {
  struct Dim {
    int input_axis;  // -1 for a new axis
    int64_t begin, step, size;
    // A slice of an unknown (None) dimension of a trace (size < 0): Python's bounds, resolved
    // against the input's size when the kernel runs (resolve_slice).
    std::optional<int64_t> start = std::nullopt, stop = std::nullopt;
  };
  std::vector<Dim> dims;                       // one per output axis
  std::vector<std::pair<int, int64_t>> fixed;  // integer-indexed input axes and their index
};
/// Python's slice start:stop:step of a dimension of size n (omitted bounds, negative indices,
/// clamping) as the view's begin, step and size.
StridedSliceAttrs::Dim resolve_slice(int input_axis, int64_t n, std::optional<int64_t> start,
                                     std::optional<int64_t> stop, int64_t step);
struct SliceGradAttrs : OpAttrsBase<SliceGradAttrs> {
  Shape input_shape;
  std::shared_ptr<const OpAttrs> slice;  // the forward StridedSliceAttrs
};
struct AxisAttrs : OpAttrsBase<AxisAttrs> {
  int axis = 0;
  int batch_dims = 0;
};
struct TileAttrs : OpAttrsBase<TileAttrs> {
  std::vector<int64_t> multiples;
};
struct PadAttrs : OpAttrsBase<PadAttrs> {
  std::vector<std::pair<int64_t, int64_t>> paddings;
  Scalar constant_value = 0;
  int mode = 0;  // 0 CONSTANT, 1 REFLECT, 2 SYMMETRIC
};
struct ReverseAttrs : OpAttrsBase<ReverseAttrs> {
  std::vector<int> axes;
};
struct OneHotAttrs : OpAttrsBase<OneHotAttrs> {
  int64_t depth = 0;
  int axis = -1;
  Scalar on = 1, off = 0;
};
void register_array_ops();
}  // namespace ops

}  // namespace tapeflow
