// parallel_for over [0, n) on the intra-op thread pool (core/threading.h), serial below a grain
// size where waking threads costs more than the work.
#pragma once
#include <cstdint>
#include <type_traits>

#include "tapeflow/core/threading.h"

namespace tapeflow::kernels::cpu {

/// Elements below which elementwise loops stay on one thread: at ~1 ns/element a 32K loop is
/// ~30 µs, about where handing chunks to the pool's threads (a few µs) stops mattering.
inline constexpr int64_t kParallelGrain = 32768;

/// Calls f(begin, end) on contiguous chunks covering [0, n): on the calling thread alone when
/// n <= grain (no thread is touched), else split over the intra-op pool's threads in chunks of
/// at least ~grain elements whose starts are multiples of 16. f may run concurrently on
/// disjoint chunks; an exception it throws reaches the caller after every chunk has ended.
template <typename F> void parallel_for(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  if (n > grain) {
    using Fn = std::remove_reference_t<F>;
    auto chunk = [](void* ctx, int64_t begin, int64_t end) { (*static_cast<Fn*>(ctx))(begin, end); };
    if (threading::detail::parallel_run(n, grain, chunk, const_cast<void*>(static_cast<const void*>(&f)))) return;
  }
  f(int64_t{0}, n);
}

}  // namespace tapeflow::kernels::cpu
