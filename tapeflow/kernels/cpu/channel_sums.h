// Per-channel sums over the rows of a (rows, channels) matrix, the reduction of batch norm and
// BiasAddGrad over NHWC data: rows are cut into fixed blocks summed in parallel, then the
// blocks' partial sums are added in order, so results do not depend on the thread count.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "tapeflow/kernels/cpu/parallel.h"

namespace tapeflow::kernels::cpu {

/// NS sums at once: add_row(r, acc) adds row r's terms into acc[k][0, channels) for k < NS.
template <typename A, int NS, typename F>
std::array<std::vector<A>, NS> channel_sums(int64_t rows, int64_t channels, F&& add_row) {
  // One block for small inputs; else 64 (parallel_for hands threads multiples of 16 items).
  const int64_t blocks = rows * channels >= 2 * kParallelGrain ? std::min<int64_t>(rows, 64) : 1;
  const int64_t per_block = (rows + blocks - 1) / blocks;
  const auto c = static_cast<std::size_t>(channels);
  std::vector<std::array<std::vector<A>, NS>> partial(static_cast<std::size_t>(blocks));
  parallel_for(blocks, 1, [&](int64_t b, int64_t e) {
    for (int64_t blk = b; blk < e; ++blk) {
      auto& acc = partial[static_cast<std::size_t>(blk)];
      std::array<A*, NS> ptr;
      for (int k = 0; k < NS; ++k) {
        acc[static_cast<std::size_t>(k)].assign(c, A(0));
        ptr[static_cast<std::size_t>(k)] = acc[static_cast<std::size_t>(k)].data();
      }
      const int64_t r1 = std::min(rows, (blk + 1) * per_block);
      for (int64_t r = blk * per_block; r < r1; ++r) add_row(r, ptr);
    }
  });
  std::array<std::vector<A>, NS> total = partial[0];
  for (std::size_t blk = 1; blk < partial.size(); ++blk)
    for (int k = 0; k < NS; ++k)
      for (std::size_t ch = 0; ch < c; ++ch)
        total[static_cast<std::size_t>(k)][ch] += partial[blk][static_cast<std::size_t>(k)][ch];
  return total;
}

}  // namespace tapeflow::kernels::cpu
