// Shared pieces of the CUDA kernels: launch geometry, the strided N-d indexer that lets one
// kernel read broadcast (stride 0), transposed and sliced views without copies, and 16-byte
// vector access. Every launch is followed by TF_CUDA_LAUNCH_CHECK naming the kernel.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/cuda/cuda_check.h"
#include "tapeflow/cuda/cuda_context.h"
#include "tapeflow/kernels/broadcast.h"

namespace tapeflow::kernels::cuda {

/// 256 threads: enough warps per block to hide memory latency, small enough that short
/// tensors still spread over many SMs.
inline constexpr int kThreads = 256;
/// Rank limit after merging dims (a bigger rank is an UnimplementedError, never wrong results).
inline constexpr int kMaxDims = 12;

inline cudaStream_t stream_of(const KernelContext& ctx) {
  ::tapeflow::cuda::set_device(ctx.device.index());
  return static_cast<cudaStream_t>(ctx.stream);
}

/// Blocks for a grid-stride loop over n items: enough to fill the GPU several times over,
/// capped so huge tensors loop instead of launching millions of blocks.
inline unsigned blocks_for(int64_t n, int per_thread = 1) {
  int64_t per_block = static_cast<int64_t>(kThreads) * per_thread;
  int64_t b = (n + per_block - 1) / per_block;
  return static_cast<unsigned>(std::clamp<int64_t>(b, 1, 65536));
}

/// Offsets (in elements) of N operands at a linear index of a shape, for any strides.
template <int N> struct StridedIndexer {
  int ndim = 0;
  int64_t sizes[kMaxDims];
  int64_t strides[N][kMaxDims];

  __device__ __forceinline__ void offsets(int64_t linear, int64_t (&off)[N]) const {
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      int64_t i = linear % sizes[d];
      linear /= sizes[d];
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] += i * strides[k][d];
    }
  }
};

/// Builds an indexer over `shape` for operands with the given (shape-aligned) strides: drops
/// size-1 dims and merges dims that are contiguous for every operand, as the CPU loops do.
template <int N>
StridedIndexer<N> make_indexer(const Shape& shape, const std::array<DimVector, N>& strides, const char* op) {
  StridedIndexer<N> ix;
  for (int d = 0; d < shape.rank(); ++d) {
    if (shape[d] == 1) continue;
    const auto sd = static_cast<std::size_t>(d);
    bool merge = ix.ndim > 0;
    for (int k = 0; k < N && merge; ++k) merge = ix.strides[k][ix.ndim - 1] == strides[k][sd] * shape[d];
    if (merge) {
      ix.sizes[ix.ndim - 1] *= shape[d];
      for (int k = 0; k < N; ++k) ix.strides[k][ix.ndim - 1] = strides[k][sd];
      continue;
    }
    TF_CHECK_TYPED(ix.ndim < kMaxDims, UnimplementedError, op, op, " on GPU supports at most ", kMaxDims,
                   " non-mergeable dimensions, got shape ", shape.to_string());
    ix.sizes[ix.ndim] = shape[d];
    for (int k = 0; k < N; ++k) ix.strides[k][ix.ndim] = strides[k][sd];
    ++ix.ndim;
  }
  return ix;
}

inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

}  // namespace tapeflow::kernels::cuda
