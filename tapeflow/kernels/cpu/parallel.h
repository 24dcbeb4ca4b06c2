// parallel_for over [0, n) on the host's cores (OpenMP), serial below a grain size where
// waking threads costs more than the work.
#pragma once
#include <algorithm>
#include <cstdint>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace tapeflow::kernels::cpu {

/// Elements below which elementwise loops stay on one thread: at ~1 ns/element a 32K loop is
/// ~30 µs, about where an OpenMP fork/join (a few µs) stops mattering.
inline constexpr int64_t kParallelGrain = 32768;

/// Calls f(begin, end) on contiguous chunks covering [0, n).
template <typename F> void parallel_for(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
#if defined(_OPENMP)
  if (n > grain && omp_get_max_threads() > 1 && !omp_in_parallel()) {
#pragma omp parallel
    {
      int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
      int64_t chunk = (n + nt - 1) / nt;
      // Keep chunk starts on a 16-element boundary so threads do not share cache lines.
      chunk = (chunk + 15) / 16 * 16;
      int64_t b = std::min(n, t * chunk), e = std::min(n, b + chunk);
      if (b < e) f(b, e);
    }
    return;
  }
#endif
  (void)grain;
  f(int64_t{0}, n);
}

}  // namespace tapeflow::kernels::cpu
