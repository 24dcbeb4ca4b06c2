// Strided N-d iteration for CPU kernels: operands are (pointer, shape-aligned strides); the
// loop merges dimensions that are contiguous for every operand and calls an inner kernel on
// rows, so broadcast (stride 0) and transposed views need no copies.
#pragma once
#include <array>
#include <cstdint>
#include <limits>

#include "tapeflow/core/tensor.h"
#include "tapeflow/kernels/broadcast.h"
#include "tapeflow/kernels/cpu/parallel.h"

// Note [CPU kernels per instruction set]
// The library is built for the baseline x86-64 ISA. A hot loop that gains from wider vectors is
// written once as an always-inline body and instantiated twice: under TF_TARGET_AVX2 (AVX2 +
// FMA; GCC inlines the body into the wider target and vectorizes it there) and for the baseline;
// the caller picks one with cpu_has_avx2(), tested once per process. The bodies fix their own
// evaluation order (lanes), so no reassociation is left to the compiler; what differs is FMA:
// GCC contracts a * b + c into one fused multiply-add, rounded once, in the AVX2 body only (the
// baseline ISA has none). The reductions, pooling and copies are compiled with -ffp-contract=off
// (tapeflow/CMakeLists.txt) and give the same bits on both paths. The softmax family keeps the
// contraction (its exp polynomial and scalings: 26-69% faster on AVX2, bench/RESULTS.md), so its
// two paths may differ in the last bits; each meets the op table's tolerances on its own.
// `CpuIsa.*` checks both claims (tests/core/cpu_isa_test.cpp). AVX-512 is not used: on the
// machines we measured, the reductions and softmax are bound by memory bandwidth at AVX2 width,
// and 512-bit code lowers the clock of other work.
// (GCC will not turn a compare-and-select inside a loop into vector blends while FP exceptions
// are observable, its default: such loops are written with vector types, see softmax.cpp, or as
// fixed-size lane arrays, which it vectorizes as straight-line code.)
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define TF_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define TF_ALWAYS_INLINE [[gnu::always_inline]] inline
#else
#define TF_TARGET_AVX2
#define TF_ALWAYS_INLINE inline
#endif

namespace tapeflow::kernels::cpu {

/// Routes the kernels of Note [CPU kernels per instruction set] to their baseline bodies (false)
/// or back to the AVX2 ones where the CPU has them (true, the default), process-wide; for tests
/// that compare the two paths bit for bit. TAPEFLOW_CPU_BASELINE=1 in the environment starts the
/// process on the baseline bodies (kernels/cpu/isa.cpp).
void set_avx2_kernels_enabled(bool enabled) noexcept;
bool avx2_kernels_enabled() noexcept;

/// True when the CPU runs AVX2 and FMA code and set_avx2_kernels_enabled has not turned it off
/// (Note [CPU kernels per instruction set]).
inline bool cpu_has_avx2() {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has && avx2_kernels_enabled();
#else
  return false;
#endif
}

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

/// Software prefetch of the cache lines of [p + kAhead, p + kAhead + kBytes) into all cache levels
/// (a hint: never faults, also past the end of a buffer). Streaming loops over memory-bound data
/// call it once per step of kBytes (Note [Prefetch distance of streaming reductions], reduction.cpp).
template <int kAhead, int kBytes> TF_ALWAYS_INLINE void prefetch_ahead(const void* p) {
  if constexpr (kAhead > 0)
    for (int b = 0; b < kBytes; b += 64) __builtin_prefetch(static_cast<const char*>(p) + kAhead + b, 0, 3);
}

/// max (kMax) or min of the floats x[0, n) in lanes, NaN-propagating (a NaN anywhere gives NaN,
/// as TF); -inf (max) or +inf (min) when n == 0. kPrefetch > 0: loads are prefetched that many
/// bytes ahead (prefetch_ahead; no effect on the result). An always-inline body
/// (Note [CPU kernels per instruction set]).
template <bool kMax, typename T, int kPrefetch = 0> TF_ALWAYS_INLINE T lane_extremum(const T* x, int64_t n) {
  constexpr int L = 32;
  T acc[L];
  for (int k = 0; k < L; ++k) acc[k] = kMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
  // `v wins or v is NaN`: once a lane holds NaN, no number replaces it (NaN compares false).
  auto pick = [](T a, T v) { return ((kMax ? v > a : v < a) || v != v) ? v : a; };
  constexpr int kStepBytes = L * static_cast<int>(sizeof(T));
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    prefetch_ahead<kPrefetch, kStepBytes>(x + i);
    for (int k = 0; k < L; ++k) acc[k] = pick(acc[k], x[i + k]);
  }
  for (int k = 0; i + k < n; ++k) acc[k] = pick(acc[k], x[i + k]);
  for (int w = L / 2; w > 0; w /= 2)  // a tree, not a chain: short rows pay little for it
    for (int k = 0; k < w; ++k) acc[k] = pick(acc[k], acc[k + w]);
  return acc[0];
}

}  // namespace tapeflow::kernels::cpu

namespace tapeflow::kernels::cpu {
/// Copies src's elements into dst (same shape, any strides; dst may be a view into a larger
/// output). Defined with the copy kernels (kernels/cpu/copy.cpp).
void copy_into(const Tensor& src, const Tensor& dst);
}  // namespace tapeflow::kernels::cpu
