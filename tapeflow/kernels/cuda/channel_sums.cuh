// Per-channel sums over the rows of a (rows, channels) matrix on the GPU: the reduction of
// BiasAddGrad and of batch norm's gradient over NHWC data, the mirror of kernels/cpu/channel_sums.h.
// Blocks of 32 channels x kSumLanes row lanes sum fixed row ranges into partial sums, then one
// thread per channel adds the partials in order, so results depend on the shape only (not on
// the GPU or on timing): no atomics.
#pragma once
#include <algorithm>

#include "tapeflow/kernels/cuda/launch.cuh"

namespace tapeflow::kernels::cuda {

/// Channels per block: a warp reads 32 consecutive channels of a row (coalesced for C >= 32).
inline constexpr int kSumChannels = 32;
/// Rows a block reads at once (its blockDim.y).
inline constexpr int kSumLanes = 8;
/// At most this many row blocks (why: enough blocks to fill an H100's 132 SMs for narrow C,
/// few enough that the final pass over the partials stays short).
inline constexpr int64_t kMaxRowBlocks = 128;

/// term(r, ch, acc) adds row r's NS terms of channel ch into acc. partial: (row_blocks, NS, c).
template <typename A, int NS, typename Term>
__global__ void channel_partial_sums_kernel(int64_t rows, int64_t c, int64_t rows_per_block, Term term,
                                            A* __restrict__ partial) {
  const int64_t ch = int64_t(blockIdx.x) * kSumChannels + threadIdx.x;
  const int64_t r0 = int64_t(blockIdx.y) * rows_per_block;
  const int64_t r1 = min(rows, r0 + rows_per_block);
  A acc[NS];
#pragma unroll
  for (int k = 0; k < NS; ++k) acc[k] = A(0);
  if (ch < c)
    for (int64_t r = r0 + threadIdx.y; r < r1; r += kSumLanes) term(r, ch, acc);
  __shared__ A lanes[NS][kSumLanes][kSumChannels];
#pragma unroll
  for (int k = 0; k < NS; ++k) lanes[k][threadIdx.y][threadIdx.x] = acc[k];
  __syncthreads();
  if (threadIdx.y != 0 || ch >= c) return;
#pragma unroll
  for (int k = 0; k < NS; ++k) {
    A s = A(0);
    for (int y = 0; y < kSumLanes; ++y) s += lanes[k][y][threadIdx.x];
    partial[(int64_t(blockIdx.y) * NS + k) * c + ch] = s;
  }
}

/// finish(ch, sums) receives channel ch's NS totals.
template <typename A, int NS, typename Finish>
__global__ void channel_final_sums_kernel(const A* __restrict__ partial, int64_t row_blocks, int64_t c, Finish finish) {
  for (int64_t ch = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; ch < c; ch += int64_t(gridDim.x) * blockDim.x) {
    A s[NS];
#pragma unroll
    for (int k = 0; k < NS; ++k) {
      s[k] = A(0);
      for (int64_t b = 0; b < row_blocks; ++b) s[k] += partial[(b * NS + k) * c + ch];
    }
    finish(ch, s);
  }
}

/// Queues the sums of term over rows for every channel, handing each channel's totals to finish.
/// A is double or uint64_t (8 bytes: the scratch buffer is allocated as int64).
template <typename A, int NS, typename Term, typename Finish>
void channel_sums(int64_t rows, int64_t c, Term term, Finish finish, Device device, cudaStream_t stream) {
  static_assert(sizeof(A) == 8, "accumulators are 8 bytes");
  if (c == 0) return;
  const int64_t blocks_wanted = std::max<int64_t>(1, (rows + 63) / 64);  // >= 64 rows per block
  const int64_t row_blocks = std::min(kMaxRowBlocks, blocks_wanted);
  const int64_t rows_per_block = std::max<int64_t>(1, (rows + row_blocks - 1) / row_blocks);
  const Tensor scratch = Tensor::empty(Shape{row_blocks * NS * c}, DType::kInt64, device);
  A* partial = static_cast<A*>(scratch.raw_data());
  const dim3 grid(static_cast<unsigned>((c + kSumChannels - 1) / kSumChannels), static_cast<unsigned>(row_blocks));
  channel_partial_sums_kernel<A, NS>
      <<<grid, dim3(kSumChannels, kSumLanes), 0, stream>>>(rows, c, rows_per_block, term, partial);
  TF_CUDA_LAUNCH_CHECK("channel_partial_sums_kernel");
  channel_final_sums_kernel<A, NS><<<blocks_for(c), kThreads, 0, stream>>>(partial, row_blocks, c, finish);
  TF_CUDA_LAUNCH_CHECK("channel_final_sums_kernel");
  // `scratch` goes back to the allocator here; its next user is queued after these kernels.
}

}  // namespace tapeflow::kernels::cuda
