// Gradient rules of the shape ops (mirrors kernels/cpu/array_ops.cpp and the view kernels):
// views route the gradient back through the inverse view; gathers scatter-add it.
#include <numeric>

#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::autograd {
namespace {
InputGrads reshape_like_input(const GradContext& c) { return {reshape(c.grad(), c.input(0).shape())}; }
InputGrads transpose_grad(const GradContext& c) {
  const auto& perm = c.attr<ops::TransposeAttrs>().perm;
  std::vector<int> inv(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) inv[static_cast<std::size_t>(perm[i])] = static_cast<int>(i);
  return {transpose(c.grad(), inv)};
}
InputGrads broadcast_to_grad(const GradContext& c) { return {unbroadcast(c.grad(), c.input(0).shape())}; }
InputGrads identity_grad(const GradContext& c) { return {c.grad()}; }
InputGrads reverse_grad(const GradContext& c) { return {reverse(c.grad(), c.attr<ops::ReverseAttrs>().axes)}; }
InputGrads strided_slice_grad(const GradContext& c) {
  return {ops::strided_slice_grad(c.grad(), c.input(0).shape(), c.attr<ops::StridedSliceAttrs>())};
}
InputGrads concat_grad(const GradContext& c) {
  int axis = c.attr<ops::AxisAttrs>().axis;
  std::vector<int64_t> sizes;
  for (const Tensor& in : c.inputs) sizes.push_back(in.shape()[axis]);
  std::vector<Tensor> parts = split(c.grad(), sizes, axis);
  return InputGrads(parts.begin(), parts.end());
}
InputGrads tile_grad(const GradContext& c) {
  // g viewed as (m0, d0, m1, d1, ...): sum over the m axes.
  const Tensor& x = c.input(0);
  const auto& m = c.attr<ops::TileAttrs>().multiples;
  Shape split_shape;
  std::vector<int> m_axes;
  for (int i = 0; i < x.ndim(); ++i) {
    m_axes.push_back(2 * i);
    split_shape.push_back(m[static_cast<std::size_t>(i)]);
    split_shape.push_back(x.shape()[i]);
  }
  return {reduce_sum(reshape(c.grad(), split_shape), m_axes)};
}
InputGrads pad_grad(const GradContext& c) {
  const auto& p = c.attr<ops::PadAttrs>().paddings;
  std::vector<Index> idx;
  for (int i = 0; i < c.input(0).ndim(); ++i)
    idx.emplace_back(
        slice(p[static_cast<std::size_t>(i)].first, p[static_cast<std::size_t>(i)].first + c.input(0).shape()[i]));
  return {c.grad()[idx]};
}
// MirrorPad's gradient, one axis at a time: the mirrored borders are reversed and added back onto
// the input positions they copy (REFLECT skips the edge element, SYMMETRIC repeats it).
InputGrads mirror_pad_grad(const GradContext& c) {
  const auto& a = c.attr<ops::PadAttrs>();
  const bool reflect = a.mode == 1;
  Tensor g = c.grad();
  for (int ax = 0; ax < g.ndim(); ++ax) {
    const auto [before, after] = a.paddings[static_cast<std::size_t>(ax)];
    const int64_t n = c.input(0).shape()[ax];
    auto along = [&](int64_t start, int64_t stop) {
      std::vector<Index> idx(static_cast<std::size_t>(ax), Index(all));
      idx.emplace_back(slice(start, stop));
      return g[idx];
    };
    auto pad_axis = [&](const Tensor& t, int64_t lo, int64_t hi) {
      std::vector<std::pair<int64_t, int64_t>> p(static_cast<std::size_t>(t.ndim()), {0, 0});
      p[static_cast<std::size_t>(ax)] = {lo, hi};
      return pad(t, p);
    };
    Tensor acc = along(before, before + n);
    const int64_t edge = reflect ? 1 : 0;
    if (before > 0) acc = acc + pad_axis(reverse(along(0, before), {ax}), edge, n - before - edge);
    if (after > 0) acc = acc + pad_axis(reverse(along(before + n, before + n + after), {ax}), n - after - edge, edge);
    g = acc;
  }
  return {g};
}
// The gradient of the slice gradient is the slice itself (second-order gradients of indexing).
InputGrads strided_slice_grad_grad(const GradContext& c) {
  const auto& a = c.attr<ops::SliceGradAttrs>();
  const auto& fwd = static_cast<const ops::StridedSliceAttrs&>(*a.slice);
  const Tensor& g = c.grad();
  return {dispatch1(ops::StridedSlice, std::span<const Tensor>(&g, 1), &fwd, {c.input(0).shape(), g.dtype()})};
}
// GatherNd scatters back: the index tuples are linearized over params' leading axes and
// segment-summed (repeated indices accumulate).
InputGrads gather_nd_grad(const GradContext& c) {
  const Tensor &params = c.input(0), &indices = c.input(1);
  const int k = static_cast<int>(indices.shape().dim(-1));
  std::vector<int64_t> strides(static_cast<std::size_t>(k), 1);
  int64_t slots = 1;
  for (int i = k - 1; i >= 0; --i) {
    strides[static_cast<std::size_t>(i)] = slots;
    slots *= params.shape()[i];
  }
  const int64_t picks = k == 0 ? indices.size() : indices.size() / k;
  Tensor linear = reduce_sum(indices * constant(strides, Shape{k}, indices.dtype()), -1);
  Shape data_shape{picks};
  for (int i = k; i < params.ndim(); ++i) data_shape.push_back(params.shape()[i]);
  Tensor summed = unsorted_segment_sum(reshape(c.grad(), data_shape), reshape(linear, Shape{picks}), slots);
  return {reshape(summed, params.shape()), std::nullopt};
}
// GatherV2 scatters back (TF's _GatherV2Grad with _BatchGatherGrad). g is laid out as
// (batch, params[batch_dims:axis], indices[batch_dims:], params[axis+1:]): bring the index axes
// next to the batch axes, flatten both, offset each batch's indices into its own block of
// params.shape[axis] segments, segment-sum, and lay the result out as params.
InputGrads gather_grad(const GradContext& c) {
  const Tensor &params = c.input(0), &indices = c.input(1);
  const auto& a = c.attr<ops::AxisAttrs>();
  const int ax = a.axis, bd = a.batch_dims, ri = indices.ndim(), rp = params.ndim();
  const int n_idx = ri - bd, n_pre = ax - bd;
  std::vector<int> perm;
  for (int i = 0; i < bd; ++i) perm.push_back(i);
  for (int i = 0; i < n_idx; ++i) perm.push_back(ax + i);
  for (int i = bd; i < ax; ++i) perm.push_back(i);
  for (int i = ax + n_idx; i < c.grad().ndim(); ++i) perm.push_back(i);
  Tensor g = transpose(c.grad(), perm);  // (batch, indices, pre, post)
  int64_t batch = 1;
  for (int i = 0; i < bd; ++i) batch *= params.shape()[i];
  const int64_t gathered = params.shape()[ax];
  Shape flat{indices.size()};
  for (int i = bd + n_idx; i < g.ndim(); ++i) flat.push_back(g.shape()[i]);
  Tensor ids = indices;
  if (bd > 0) {
    Shape offset_shape;  // (batch..., 1, ..., 1): each batch's first segment
    for (int i = 0; i < ri; ++i) offset_shape.push_back(i < bd ? indices.shape()[i] : 1);
    ids = ids + reshape(range(0, batch * gathered, gathered, indices.dtype()), offset_shape);
  }
  Tensor summed = unsorted_segment_sum(reshape(g, flat), reshape(ids, Shape{indices.size()}), batch * gathered);
  // summed: (batch * P_ax, pre, post) -> (batch..., P_ax, pre, post) -> params layout.
  Shape unflat;
  for (int i = 0; i < bd; ++i) unflat.push_back(params.shape()[i]);
  unflat.push_back(gathered);
  for (int i = bd; i < rp; ++i)
    if (i != ax) unflat.push_back(params.shape()[i]);
  std::vector<int> back;
  for (int i = 0; i < bd; ++i) back.push_back(i);
  for (int i = 0; i < n_pre; ++i) back.push_back(bd + 1 + i);
  back.push_back(bd);
  for (int i = ax + 1; i < rp; ++i) back.push_back(i);
  return {transpose(reshape(summed, unflat), back), std::nullopt};
}
InputGrads segment_sum_grad(const GradContext& c) {
  // out[s] = sum_i data[i] [ids[i] == s]  =>  d data[i] = g[ids[i]] (0 for dropped ids).
  const Tensor& ids = c.input(1);
  Tensor g = c.grad();
  int64_t n = g.shape()[0];
  Tensor safe =
      where(logical_and(greater_equal(ids, scalar_tensor(0, ids.dtype())), less(ids, scalar_tensor(n, ids.dtype()))),
            ids, zeros_like(ids));
  Tensor picked = gather(g, safe);
  Tensor valid = cast(equal(safe, ids), g.dtype());
  Shape vs = valid.shape();
  for (int i = ids.ndim(); i < picked.ndim(); ++i) vs.push_back(1);
  return {picked * reshape(valid, vs), std::nullopt};
}
}  // namespace

void register_array_gradients() {
  register_gradient(ops::Reshape, reshape_like_input, kReadsNothing);
  register_gradient(ops::ExpandDims, reshape_like_input, kReadsNothing);
  register_gradient(ops::Squeeze, reshape_like_input, kReadsNothing);
  register_gradient(ops::Transpose, transpose_grad, kReadsNothing);
  register_gradient(ops::BroadcastTo, broadcast_to_grad, kReadsNothing);
  register_gradient(ops::Identity, identity_grad, kReadsNothing);
  register_gradient(ops::ReverseV2, reverse_grad, kReadsNothing);
  register_gradient(ops::StridedSlice, strided_slice_grad, kReadsNothing);
  register_gradient(ops::ConcatV2, concat_grad, kReadsNothing);
  register_gradient(ops::Tile, tile_grad, kReadsNothing);
  register_gradient(ops::PadV2, pad_grad, kReadsNothing);
  register_gradient(ops::MirrorPad, mirror_pad_grad);
  register_gradient(ops::StridedSliceGrad, strided_slice_grad_grad);
  register_gradient(ops::GatherNd, gather_nd_grad);
  register_gradient(ops::GatherV2, gather_grad);
  register_gradient(ops::UnsortedSegmentSum, segment_sum_grad);
  for (OpDef* op : {&ops::OneHot}) register_not_differentiable(*op);
}

}  // namespace tapeflow::autograd
