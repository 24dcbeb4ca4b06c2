// Strided N-d iteration for CPU kernels: operands are (pointer, shape-aligned strides); the
// loop merges dimensions that are contiguous for every operand and calls an inner kernel on
// rows, so broadcast (stride 0) and transposed views need no copies.
#pragma once
#include <array>
#include <cstdint>

#include "tapeflow/core/tensor.h"
#include "tapeflow/kernels/broadcast.h"
#include "tapeflow/kernels/cpu/parallel.h"

namespace tapeflow::kernels::cpu {

/// A coalesced iteration space over N operands.
template <int N> struct StridedLoop {
  DimVector shape;                   // merged dims, outermost first
  std::array<DimVector, N> strides;  // per operand, in elements
  int64_t rows() const {
    int64_t r = 1;
    for (std::size_t i = 0; i + 1 < shape.size(); ++i) r *= shape[i];
    return r;
  }
  int64_t inner() const { return shape.empty() ? 1 : shape.back(); }
};

/// Builds a StridedLoop: drops size-1 dims and merges adjacent dims that are contiguous for all.
template <int N> StridedLoop<N> make_loop(const Shape& shape, const std::array<DimVector, N>& strides) {
  StridedLoop<N> loop;
  for (int d = 0; d < shape.rank(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !loop.shape.empty();
    if (merge) {
      for (int k = 0; k < N; ++k) {
        if (loop.strides[k].back() != strides[k][static_cast<std::size_t>(d)] * shape[d]) {
          merge = false;
          break;
        }
      }
    }
    if (merge) {
      loop.shape.back() *= shape[d];
      for (int k = 0; k < N; ++k) loop.strides[k].back() = strides[k][static_cast<std::size_t>(d)];
    } else {
      loop.shape.push_back(shape[d]);
      for (int k = 0; k < N; ++k) loop.strides[k].push_back(strides[k][static_cast<std::size_t>(d)]);
    }
  }
  if (loop.shape.empty()) {  // a scalar, or all dims 1
    loop.shape.push_back(1);
    for (int k = 0; k < N; ++k) loop.strides[k].push_back(0);
  }
  return loop;
}

/// Runs row(ptrs, n, inner_strides) over every row of the loop; rows are split across threads
/// when the total work is large. ptrs[k] points to operand k's first element of the row.
template <int N, typename Row>
void run_loop(const StridedLoop<N>& loop, const std::array<char*, N>& base, const std::array<int64_t, N>& elem_size,
              Row&& row) {
  const int nd = static_cast<int>(loop.shape.size());
  const int64_t inner = loop.inner();
  const int64_t rows = loop.rows();
  std::array<int64_t, N> inner_stride;
  for (int k = 0; k < N; ++k) inner_stride[k] = loop.strides[k][static_cast<std::size_t>(nd - 1)];
  if (rows == 1) {
    // One long row: split it into chunks across threads.
    parallel_for(inner, kParallelGrain, [&](int64_t b, int64_t e) {
      std::array<char*, N> p;
      for (int k = 0; k < N; ++k) p[k] = base[k] + b * inner_stride[k] * elem_size[k];
      row(p, e - b, inner_stride);
    });
    return;
  }
  const int64_t grain_rows = inner >= kParallelGrain ? 1 : kParallelGrain / (inner > 0 ? inner : 1);
  parallel_for(rows, grain_rows, [&](int64_t rb, int64_t re) {
    // Decompose the first row index into outer coordinates, then walk like an odometer.
    DimVector idx(static_cast<std::size_t>(nd - 1), 0);
    int64_t r = rb;
    for (int d = nd - 2; d >= 0; --d) {
      idx[static_cast<std::size_t>(d)] = r % loop.shape[static_cast<std::size_t>(d)];
      r /= loop.shape[static_cast<std::size_t>(d)];
    }
    for (int64_t rr = rb; rr < re; ++rr) {
      std::array<char*, N> p;
      for (int k = 0; k < N; ++k) {
        int64_t off = 0;
        for (int d = 0; d < nd - 1; ++d)
          off += idx[static_cast<std::size_t>(d)] * loop.strides[k][static_cast<std::size_t>(d)];
        p[k] = base[k] + off * elem_size[k];
      }
      row(p, inner, inner_stride);
      for (int d = nd - 2; d >= 0; --d) {
        if (++idx[static_cast<std::size_t>(d)] < loop.shape[static_cast<std::size_t>(d)]) break;
        idx[static_cast<std::size_t>(d)] = 0;
      }
    }
  });
}

}  // namespace tapeflow::kernels::cpu

namespace tapeflow::kernels::cpu {
/// Copies src's elements into dst (same shape, any strides; dst may be a view into a larger
/// output). Defined with the copy kernels (kernels/cpu/copy.cpp).
void copy_into(const Tensor& src, const Tensor& dst);
}  // namespace tapeflow::kernels::cpu
