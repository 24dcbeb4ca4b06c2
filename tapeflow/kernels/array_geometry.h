// Geometry of the array ops, written once for the CPU and CUDA kernels: which input element a
// padded output reads (__host__ __device__), and the strided views that turn concat and tile
// into plain strided copies (host code; each backend supplies its copy).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "tapeflow/core/tensor.h"
#include "tapeflow/util/half.h"

namespace tapeflow::kernels {

/// PadV2/MirrorPad along one axis of length `n` padded by `before`: the input index output index
/// `o` reads, or -1 for the constant. mode 0 CONSTANT, 1 REFLECT (excludes the edge), 2
/// SYMMETRIC (repeats it).
TF_HOST_DEVICE inline int64_t pad_source(int64_t o, int64_t n, int64_t before, int mode) {
  int64_t i = o - before;
  if (i >= 0 && i < n) return i;
  if (mode == 0) return -1;
  const int64_t shift = mode == 1 ? 0 : 1;
  if (i < 0) i = -i - shift;
  if (i >= n) i = 2 * n - 2 - i + shift;
  return i;
}

/// The view of `out` that covers [start, start + len) along `axis`.
inline Tensor narrow(const Tensor& out, int axis, int64_t start, int64_t len) {
  Shape s = out.shape();
  s[axis] = len;
  return detail::make_view(out.storage(), s, out.strides(),
                           out.offset() + start * out.strides()[static_cast<std::size_t>(axis)], out.dtype(),
                           out.device());
}

/// ConcatV2: calls copy(input, slot) for each non-empty input and the view of `out` it fills.
template <typename Copy> void concat_slots(std::span<const Tensor> inputs, const Tensor& out, int axis, Copy&& copy) {
  int64_t start = 0;
  for (const Tensor& in : inputs) {
    const int64_t len = in.shape()[axis];
    if (len > 0) copy(in, narrow(out, axis, start, len));
    start += len;
  }
}

/// Tile: (source, destination) views such that copying source into destination tiles x into
/// out. out is viewed as (m0, d0, m1, d1, ...) and x as (1, d0, 1, d1, ...) broadcast over the
/// m axes (stride 0).
inline std::pair<Tensor, Tensor> tile_views(const Tensor& x, const Tensor& out, const std::vector<int64_t>& multiples) {
  Shape s;
  DimVector xs, os;
  const DimVector& ocs = out.strides();
  for (int i = 0; i < x.ndim(); ++i) {
    const auto si = static_cast<std::size_t>(i);
    s.push_back(multiples[si]);
    s.push_back(x.shape()[i]);
    xs.push_back(0);
    xs.push_back(x.strides()[si]);
    os.push_back(ocs[si] * x.shape()[i]);
    os.push_back(ocs[si]);
  }
  return {detail::make_view(x.storage(), s, xs, x.offset(), x.dtype(), x.device()),
          detail::make_view(out.storage(), s, os, out.offset(), out.dtype(), out.device())};
}

}  // namespace tapeflow::kernels
