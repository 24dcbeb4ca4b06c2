// CPU kernels of the reductions. The input is viewed as slabs (outer, reduced, inner) without a
// copy when the reduced axes are adjacent in a contiguous tensor: inner == 1 reduces contiguous
// rows, otherwise each reduced row of a slab is folded into `inner` side-by-side accumulators
// (vertical, vectorizable). Other layouts move the reduced axes last (a copy). Float rows run
// in vector lanes (Note [Deterministic blocked summation]), threads split rows, blocks or columns.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>

#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/kernels/cpu/loops.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/functors.h"
#include "tapeflow/kernels/reduction.h"

namespace tapeflow::kernels::cpu {
namespace {

// Note [Deterministic blocked summation]
// A contiguous row is cut into blocks of kBlock elements, fixed by position (never by the number
// of threads). Within a block, element i goes to lane i % kLanes of kLanes accumulators (double
// for float sums and products, as the scalar reducers; kernels/reduction.h), and the lanes are
// added pairwise at the end of the block. Block results are combined pairwise (a balanced tree
// over the block index). Threads only decide who computes which block, so a result is the same
// bit for bit on 1 or 64 threads and on every ISA. Accuracy: each lane holds about n / 16 terms in
// double, so the error bound (n / 16 + log2 n) eps_double |x|_1 is below the sequential double
// sum's n eps_double |x|_1. Products keep the sequential order within a block (overflow and
// underflow depend on it). Vertical reductions (reduced axis not last) add row after row, each
// output on its own: the same order as the scalar loop; float sums and means over more than
// kRowBlock rows do so within row blocks of kRowBlock rows fixed by position, whose partial sums
// are then added pairwise (a tree over the block index): threads take (row block, column tile)
// tasks, so a tall matrix's column sums use every thread and each thread streams whole blocks,
// and the result still depends on positions only, never on the number of threads.
constexpr int64_t kBlock = int64_t{1} << 14;  // 64 KB of float: one block stays in L2 per thread
constexpr int kLanes = 16;                    // 4 AVX2 double vectors: hides the add latency
constexpr int64_t kColTile = 2048;            // outputs per vertical task: their accumulators stay in L1
/// Reduced rows per vertical block of float sums: 512 rows x 2048 columns of float32 is 4 MB per
/// task, long enough that the partials (1/512 of the input in double) cost nothing, short enough
/// that an (8192, 4096) column sum is 32 tasks (measured, one thread: 512 x 2048 and 256 x 2048
/// tasks equal, 64 x 4096 20% slower).
constexpr int64_t kRowBlock = 512;

// Note [Prefetch distance of streaming reductions]
// The lane loops of whole-row sums and extrema prefetch the bytes kPrefetchAhead ahead of their
// loads (prefetch_ahead, loops.h), one prefetch per 64-byte line. The hardware's stream
// prefetcher stops at every 4 KiB page boundary and ramps up again only after misses; a software
// prefetch half a page ahead keeps the stream going across it. Measured on the 2-core VM (load
// ~12), one thread, CPU time over a 128 MB float32 array in 64 KB blocks, best of 15: the lane
// sum on 4 KiB pages 16.0 ms without, 9.5-10.7 ms at 2 KiB ahead, 10.2-11.1 at 4 KiB, 12.7 at
// 8 KiB; on 2 MiB pages (Note [Huge pages for large host buffers]) 8.1 ms without, 6.3-6.5 at
// 2 KiB, 5.9-6.0 at 4 KiB; the lane max (compiled as here, -O3) on 2 MiB pages 15.4 ms without,
// 7.7-8.1 at 2 KiB, 9.0-10.0 at 4 KiB. One prefetch per 128 bytes was slower than none. 2 KiB
// serves both loops and both page sizes. Prefetches only read ahead: the results, and the blocks
// and lanes that fix them (Note [Deterministic blocked summation]), do not change.
constexpr int kPrefetchAhead = 2048;

/// The input as `outer` slabs of (reduced, inner) elements, row-major, contiguous.
struct Slabs {
  Tensor data;
  int64_t outer = 1, reduced = 1, inner = 1;
};

Slabs make_slabs(const Tensor& x, const std::vector<int>& axes) {
  Slabs s;
  if (x.is_contiguous()) {
    // Reduced dims (size-1 dims skipped) must be one run: kept dims before it form outer, after inner.
    std::vector<bool> red(static_cast<std::size_t>(x.ndim()), false);
    for (int a : axes) red[static_cast<std::size_t>(a)] = true;
    int phase = 0;  // 0: before the run, 1: in it, 2: after it
    bool ok = true;
    for (int d = 0; d < x.ndim(); ++d) {
      const int64_t n = x.shape()[d];
      const bool r = red[static_cast<std::size_t>(d)];
      if (r) s.reduced *= n;
      if (n == 1) continue;
      if (r && phase == 2) ok = false;
      if (r && phase == 0) phase = 1;
      if (!r && phase == 1) phase = 2;
      if (!r) (phase == 0 ? s.outer : s.inner) *= n;
    }
    if (ok) {
      s.data = x;
      return s;
    }
  }
  s = Slabs{};  // the contiguous attempt may have counted some dims
  ReductionPlan p = make_reduction_plan(x, axes);
  s.data = p.data;
  s.reduced = p.inner;
  (p.columns ? s.inner : s.outer) = p.outer;
  s.outer = p.columns ? 1 : p.outer;
  return s;
}

// ---- row bodies: one contiguous run of at most kBlock elements -----------------------------------

template <typename T> constexpr bool kLaneFloat = std::is_same_v<T, float> || std::is_same_v<T, double>;

/// Sum (or product) of x[0, n) in kLanes double lanes, the lanes added (multiplied) pairwise.
/// Products stay sequential (reduce_block): their overflow and underflow depend on the order, and
/// the op table's special-value rows pin the sequential one.
template <bool kProd, typename T> TF_ALWAYS_INLINE double lane_fold(const T* x, int64_t n) {
  double acc[kLanes];
  for (int k = 0; k < kLanes; ++k) acc[k] = kProd ? 1.0 : 0.0;
  constexpr int kStepBytes = kLanes * static_cast<int>(sizeof(T));
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    prefetch_ahead<kPrefetchAhead, kStepBytes>(x + i);
    for (int k = 0; k < kLanes; ++k) {
      const double v = static_cast<double>(x[i + k]);
      acc[k] = kProd ? acc[k] * v : acc[k] + v;
    }
  }
  for (int k = 0; i + k < n; ++k) {
    const double v = static_cast<double>(x[i + k]);
    acc[k] = kProd ? acc[k] * v : acc[k] + v;
  }
  for (int w = kLanes / 2; w > 0; w /= 2)
    for (int k = 0; k < w; ++k) acc[k] = kProd ? acc[k] * acc[k + w] : acc[k] + acc[k + w];
  return acc[0];
}

/// or (kAny) / and of bytes that are 0 or 1.
template <bool kAny> TF_ALWAYS_INLINE bool lane_bool(const bool* xb, int64_t n) {
  const auto* x = reinterpret_cast<const unsigned char*>(xb);
  unsigned char a = kAny ? 0 : 1;
  for (int64_t i = 0; i < n; ++i)
    a = kAny ? static_cast<unsigned char>(a | x[i]) : static_cast<unsigned char>(a & x[i]);
  return a != 0;
}

template <bool kProd, typename T> TF_TARGET_AVX2 double lane_fold_avx2(const T* x, int64_t n) {
  return lane_fold<kProd>(x, n);
}
template <bool kProd, typename T> double lane_fold_base(const T* x, int64_t n) { return lane_fold<kProd>(x, n); }
template <bool kMax, typename T> TF_TARGET_AVX2 T lane_extremum_avx2(const T* x, int64_t n) {
  return lane_extremum<kMax, T, kPrefetchAhead>(x, n);
}
template <bool kMax, typename T> T lane_extremum_base(const T* x, int64_t n) {
  return lane_extremum<kMax, T, kPrefetchAhead>(x, n);
}
template <bool kAny> TF_TARGET_AVX2 bool lane_bool_avx2(const bool* x, int64_t n) { return lane_bool<kAny>(x, n); }
template <bool kAny> bool lane_bool_base(const bool* x, int64_t n) { return lane_bool<kAny>(x, n); }

/// The index of the first element of x[0, n) equal to m (the first NaN when m is NaN); x holds
/// one (m is its extremum). 64 bytes per step compared as four 16-byte vectors (GCC vector
/// extensions: SSE2 in the baseline body, VEX-encoded in the AVX2 one), then the step that hit
/// element by element. The comparisons are IEEE equality, as the scalar scan they replace
/// (-0 == +0), so the same index comes out; an (8192, 4096) argmax spent most of its time in that
/// scalar scan.
template <typename T> TF_ALWAYS_INLINE int64_t first_match(const T* x, int64_t n, T m) {
  using I = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  typedef T V __attribute__((vector_size(16)));
  typedef I M __attribute__((vector_size(16)));
  typedef int64_t Q __attribute__((vector_size(16)));
  constexpr int64_t kStep = 64 / static_cast<int64_t>(sizeof(T));
  const bool nan = m != m;
  const V mv = V{} + m;
  int64_t i = 0;
  for (; i + kStep <= n; i += kStep) {
    V v0, v1, v2, v3;  // one memcpy each: loaded straight into registers
    std::memcpy(&v0, x + i, sizeof v0);
    std::memcpy(&v1, x + i + kStep / 4, sizeof v1);
    std::memcpy(&v2, x + i + kStep / 2, sizeof v2);
    std::memcpy(&v3, x + i + 3 * kStep / 4, sizeof v3);
    const M hit = nan ? M((v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3))
                      : M((v0 == mv) | (v1 == mv) | (v2 == mv) | (v3 == mv));
    const Q q = __builtin_bit_cast(Q, hit);
    if ((q[0] | q[1]) != 0) break;
  }
  if (nan)
    while (x[i] == x[i]) ++i;
  else
    while (x[i] != m) ++i;
  return i;
}
template <typename T> TF_TARGET_AVX2 int64_t first_match_avx2(const T* x, int64_t n, T m) {
  return first_match(x, n, m);
}
template <typename T> int64_t first_match_base(const T* x, int64_t n, T m) { return first_match(x, n, m); }

template <typename R> struct IsArg : std::false_type {};
template <typename T, bool kMax> struct IsArg<ArgR<T, kMax>> : std::true_type {
  using Value = T;
  static constexpr bool max = kMax;
};
template <typename R> struct IsExtremum : std::false_type {};
template <typename T, bool kMax> struct IsExtremum<ExtremumR<T, kMax>> : std::true_type {
  static constexpr bool max = kMax;
};

/// R's accumulator over x[0, n) (n <= kBlock); i0 is x[0]'s index along the reduced axes.
template <typename R, typename T> typename R::Acc reduce_block(const T* x, int64_t n, int64_t i0) {
  using Acc = typename R::Acc;
  const bool avx2 = cpu_has_avx2();
  if constexpr (kLaneFloat<T> && (std::is_same_v<R, SumR<T>> || std::is_same_v<R, MeanR<T>>)) {
    return avx2 ? lane_fold_avx2<false>(x, n) : lane_fold_base<false>(x, n);
  } else if constexpr (kLaneFloat<T> && IsExtremum<R>::value) {
    constexpr bool kMax = IsExtremum<R>::max;
    return avx2 ? lane_extremum_avx2<kMax>(x, n) : lane_extremum_base<kMax>(x, n);
  } else if constexpr (std::is_same_v<R, AnyR> || std::is_same_v<R, AllR>) {
    constexpr bool kAny = std::is_same_v<R, AnyR>;
    return avx2 ? lane_bool_avx2<kAny>(x, n) : lane_bool_base<kAny>(x, n);
  } else if constexpr (kLaneFloat<T> && IsArg<R>::value) {
    // The extremum in lanes, then its first position (the first NaN when there is one): ties and
    // NaNs resolve to the lowest index as ArgR's combine does.
    constexpr bool kMax = IsArg<R>::max;
    if (n == 0) return R::init();
    const T m = avx2 ? lane_extremum_avx2<kMax>(x, n) : lane_extremum_base<kMax>(x, n);
    return Acc{m, i0 + (avx2 ? first_match_avx2(x, n, m) : first_match_base(x, n, m))};
  } else {
    Acc a = R::init();
    for (int64_t i = 0; i < n; ++i) a = R::step(a, x[i], i0 + i);
    return a;
  }
}

/// Combines part[lo, hi) as a balanced tree (Note [Deterministic blocked summation]).
template <typename R> typename R::Acc combine_tree(const typename R::Acc* part, int64_t lo, int64_t hi) {
  if (hi - lo == 1) return part[lo];
  const int64_t mid = lo + (hi - lo) / 2;
  return R::combine(combine_tree<R>(part, lo, mid), combine_tree<R>(part, mid, hi));
}

/// R's accumulator over a contiguous row of any length: blocks, combined as a tree; the blocks
/// are spread over threads when `parallel`.
template <typename R, typename T> typename R::Acc reduce_row(const T* x, int64_t n, bool parallel) {
  if (n <= kBlock) return n == 0 ? R::init() : reduce_block<R>(x, n, 0);
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  // unique_ptr, not vector: a vector<bool> (any/all) has no addressable elements.
  std::unique_ptr<typename R::Acc[]> part(new typename R::Acc[static_cast<std::size_t>(blocks)]);
  auto run = [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k)
      part[k] = reduce_block<R>(x + k * kBlock, std::min(kBlock, n - k * kBlock), k * kBlock);
  };
  if (parallel)
    parallel_for(blocks, std::max<int64_t>(1, kParallelGrain / kBlock), run);
  else
    run(0, blocks);
  return combine_tree<R>(part.get(), 0, blocks);
}

// ---- vertical bodies: one reduced row folded into m side-by-side accumulators -------------------

template <typename R, typename T>
TF_ALWAYS_INLINE void fold_row(typename R::Acc* acc, const T* x, int64_t m, int64_t i) {
  if constexpr (kLaneFloat<T> && IsExtremum<R>::value) {
    // Fixed groups of 16: GCC vectorizes the compare-and-select as straight-line code (not as a loop).
    constexpr bool kMax = IsExtremum<R>::max;
    auto pick = [](T a, T v) { return ((kMax ? v > a : v < a) || v != v) ? v : a; };
    int64_t j = 0;
    for (; j + 16 <= m; j += 16)
      for (int k = 0; k < 16; ++k) acc[j + k] = pick(acc[j + k], x[j + k]);
    for (; j < m; ++j) acc[j] = pick(acc[j], x[j]);
  } else if constexpr (std::is_same_v<R, AnyR> || std::is_same_v<R, AllR>) {
    const auto* xb = reinterpret_cast<const unsigned char*>(x);
    auto* ab = reinterpret_cast<unsigned char*>(acc);
    static_assert(sizeof(bool) == 1);
    for (int64_t j = 0; j < m; ++j)
      ab[j] = std::is_same_v<R, AnyR> ? static_cast<unsigned char>(ab[j] | xb[j])
                                      : static_cast<unsigned char>(ab[j] & xb[j]);
  } else {
    for (int64_t j = 0; j < m; ++j) acc[j] = R::step(acc[j], x[j], i);
  }
}
/// Eight reduced rows (`stride` apart) folded at once by the generic step, each output in the
/// same order as eight fold_row calls: an eighth of the accumulator loads and stores (measured on
/// an (8192, 4096) float32 column sum: 1.4x faster than four rows, sixteen rows slower again).
template <typename R, typename T>
TF_ALWAYS_INLINE void fold_rows8(typename R::Acc* acc, const T* x, int64_t stride, int64_t m, int64_t i) {
  const T *x0 = x, *x1 = x + stride, *x2 = x + 2 * stride, *x3 = x + 3 * stride;
  const T *x4 = x + 4 * stride, *x5 = x + 5 * stride, *x6 = x + 6 * stride, *x7 = x + 7 * stride;
  for (int64_t j = 0; j < m; ++j) {
    typename R::Acc a = R::step(acc[j], x0[j], i);
    a = R::step(a, x1[j], i + 1);
    a = R::step(a, x2[j], i + 2);
    a = R::step(a, x3[j], i + 3);
    a = R::step(a, x4[j], i + 4);
    a = R::step(a, x5[j], i + 5);
    a = R::step(a, x6[j], i + 6);
    acc[j] = R::step(a, x7[j], i + 7);
  }
}
template <typename R>
constexpr bool kFold8 =
    !IsExtremum<R>::value && !IsArg<R>::value && !std::is_same_v<R, AnyR> && !std::is_same_v<R, AllR>;
/// Vertical reductions split into row blocks (Note [Deterministic blocked summation]): float sums
/// and means. Products, extrema, arg and boolean reductions keep one sequential pass per output.
template <typename R, typename T>
constexpr bool kRowBlocked = kLaneFloat<T> && (std::is_same_v<R, SumR<T>> || std::is_same_v<R, MeanR<T>>);
template <typename R, typename T>
TF_TARGET_AVX2 void fold_rows8_avx2(typename R::Acc* acc, const T* x, int64_t stride, int64_t m, int64_t i) {
  fold_rows8<R>(acc, x, stride, m, i);
}
template <typename R, typename T>
void fold_rows8_base(typename R::Acc* acc, const T* x, int64_t stride, int64_t m, int64_t i) {
  fold_rows8<R>(acc, x, stride, m, i);
}
template <typename R, typename T>
TF_TARGET_AVX2 void fold_row_avx2(typename R::Acc* acc, const T* x, int64_t m, int64_t i) {
  fold_row<R>(acc, x, m, i);
}
template <typename R, typename T> void fold_row_base(typename R::Acc* acc, const T* x, int64_t m, int64_t i) {
  fold_row<R>(acc, x, m, i);
}

template <typename R, typename T, typename Out = T>
void run_reduce(const Tensor& x, const std::vector<int>& axes, Tensor& out) {
  using Acc = typename R::Acc;
  const Slabs s = make_slabs(x, axes);
  Out* o = static_cast<Out*>(out.raw_data());
  if (s.outer == 0 || s.inner == 0) return;
  const T* in = static_cast<const T*>(s.data.raw_data());
  if (s.inner == 1) {
    if (s.outer == 1) {
      o[0] = static_cast<Out>(R::finish(reduce_row<R>(in, s.reduced, true), s.reduced));
      return;
    }
    parallel_for(s.outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, s.reduced)),
                 [&](int64_t b, int64_t e) {
                   for (int64_t j = b; j < e; ++j)
                     o[j] = static_cast<Out>(R::finish(reduce_row<R>(in + j * s.reduced, s.reduced, false), s.reduced));
                 });
    return;
  }
  // Vertical: tasks are (slab, row block, tile of kColTile outputs); each folds its block's
  // reduced rows in order into its accumulators: the outputs themselves (one block), or the
  // block's partials, added pairwise once every block is done.
  const int64_t blocks = kRowBlocked<R, T> && s.reduced > kRowBlock ? (s.reduced + kRowBlock - 1) / kRowBlock : 1;
  const int64_t block_rows = blocks > 1 ? kRowBlock : s.reduced;
  const int64_t tiles = (s.inner + kColTile - 1) / kColTile, tasks = s.outer * blocks * tiles;
  const int64_t work = std::max<int64_t>(1, block_rows * std::min(s.inner, kColTile));
  std::unique_ptr<Acc[]> partials(blocks > 1 ? new Acc[static_cast<std::size_t>(s.outer * blocks * s.inner)] : nullptr);
  const bool avx2 = cpu_has_avx2();
  parallel_for(tasks, std::max<int64_t>(1, kParallelGrain / work), [&](int64_t b, int64_t e) {
    std::unique_ptr<Acc[]> own(blocks > 1 ? nullptr : new Acc[static_cast<std::size_t>(std::min(s.inner, kColTile))]);
    for (int64_t t = b; t < e; ++t) {
      const int64_t slab = t / (blocks * tiles), block = t / tiles % blocks;
      const int64_t j0 = (t % tiles) * kColTile, m = std::min(kColTile, s.inner - j0);
      const int64_t i0 = block * block_rows, i1 = std::min(s.reduced, i0 + block_rows);
      Acc* acc = blocks > 1 ? partials.get() + (slab * blocks + block) * s.inner + j0 : own.get();
      std::fill(acc, acc + m, R::init());
      const T* base = in + slab * s.reduced * s.inner + j0;
      int64_t i = i0;
      if constexpr (kFold8<R>)
        for (; i + 8 <= i1; i += 8) {
          if (avx2)
            fold_rows8_avx2<R>(acc, base + i * s.inner, s.inner, m, i);
          else
            fold_rows8_base<R>(acc, base + i * s.inner, s.inner, m, i);
        }
      for (; i < i1; ++i) {
        if (avx2)
          fold_row_avx2<R>(acc, base + i * s.inner, m, i);
        else
          fold_row_base<R>(acc, base + i * s.inner, m, i);
      }
      if (blocks == 1) {
        Out* ot = o + slab * s.inner + j0;
        for (int64_t j = 0; j < m; ++j) ot[j] = static_cast<Out>(R::finish(acc[j], s.reduced));
      }
    }
  });
  if (blocks == 1) return;
  // Partials of block k + w are added into block k, w = 1, 2, 4, ...: a fixed tree per output.
  parallel_for(s.outer * s.inner, std::max<int64_t>(1, kParallelGrain / blocks), [&](int64_t b, int64_t e) {
    for (int64_t slab = b / s.inner; slab * s.inner < e; ++slab) {
      const int64_t j0 = std::max(b, slab * s.inner) - slab * s.inner,
                    j1 = std::min(e, (slab + 1) * s.inner) - slab * s.inner;
      Acc* p = partials.get() + slab * blocks * s.inner;
      for (int64_t w = 1; w < blocks; w *= 2)
        for (int64_t k = 0; k + w < blocks; k += 2 * w)
          for (int64_t j = j0; j < j1; ++j)
            p[k * s.inner + j] = R::combine(p[k * s.inner + j], p[(k + w) * s.inner + j]);
      for (int64_t j = j0; j < j1; ++j) o[slab * s.inner + j] = static_cast<Out>(R::finish(p[j], s.reduced));
    }
  });
}

template <template <typename> class R> void numeric_reduce_kernel(KernelContext& ctx) {
  const auto& attrs = ctx.attr<ops::ReduceAttrs>();
  visit_numeric(ctx.input(0).dtype(), ctx.op.name,
                [&]<typename T>() { run_reduce<R<T>, T>(ctx.input(0), attrs.axes, ctx.output(0)); });
}
template <typename R> void bool_reduce_kernel(KernelContext& ctx) {
  run_reduce<R, bool>(ctx.input(0), ctx.attr<ops::ReduceAttrs>().axes, ctx.output(0));
}

// ---- argmax / argmin ----------------------------------------------------------------------
template <bool kMax> void arg_kernel(KernelContext& ctx) {
  const int axis = ctx.attr<ops::ArgReduceAttrs>().axis;
  Tensor& out = ctx.output(0);
  visit_numeric(ctx.input(0).dtype(), ctx.op.name, [&]<typename T>() {
    if (out.dtype() == DType::kInt64)
      run_reduce<ArgR<T, kMax>, T, int64_t>(ctx.input(0), {axis}, out);
    else
      run_reduce<ArgR<T, kMax>, T, int32_t>(ctx.input(0), {axis}, out);
  });
}

// ---- cumsum / cumprod ---------------------------------------------------------------------
template <bool kProd> void scan_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto& a = ctx.attr<ops::ScanAttrs>();
  Tensor& out = ctx.output(0);
  if (x.size() == 0) return;
  Tensor c = x.contiguous();
  int64_t len = x.shape()[a.axis], inner = 1, outer = 1;
  for (int i = a.axis + 1; i < x.ndim(); ++i) inner *= x.shape()[i];
  for (int i = 0; i < a.axis; ++i) outer *= x.shape()[i];
  visit_numeric(x.dtype(), ctx.op.name, [&]<typename T>() {
    const T* in = c.data<T>();
    T* o = out.data<T>();
    for (int64_t b = 0; b < outer; ++b)
      for (int64_t k = 0; k < inner; ++k)
        scan_line<T, kProd>(in + b * len * inner + k, o + b * len * inner + k, len, inner, a.exclusive, a.reverse);
  });
}

// ---- top_k --------------------------------------------------------------------------------
void topk_kernel(KernelContext& ctx) {
  const Tensor x = ctx.input(0).contiguous();
  const auto& a = ctx.attr<ops::TopKAttrs>();
  int64_t n = x.ndim() ? x.shape().dim(-1) : 1, rows = n ? x.size() / n : 0;
  visit_numeric(x.dtype(), ctx.op.name, [&]<typename T>() {
    using C = compute_t<T>;
    const T* in = x.data<T>();
    T* ov = ctx.output(0).data<T>();
    int32_t* oi = ctx.output(1).data<int32_t>();
    std::vector<int32_t> idx(static_cast<std::size_t>(n));
    for (int64_t r = 0; r < rows; ++r) {
      const T* row = in + r * n;
      std::iota(idx.begin(), idx.end(), 0);
      std::partial_sort(idx.begin(), idx.begin() + a.k, idx.end(), [&](int32_t i, int32_t j) {
        return ranks_before(static_cast<C>(row[i]), i, static_cast<C>(row[j]), j);
      });
      for (int k = 0; k < a.k; ++k) {
        ov[r * a.k + k] = row[idx[static_cast<std::size_t>(k)]];
        oi[r * a.k + k] = idx[static_cast<std::size_t>(k)];
      }
    }
  });
}

}  // namespace

void register_reduction_kernels() {
  const DeviceType cpu = DeviceType::kCPU;
  register_kernel(ops::Sum, cpu, numeric_reduce_kernel<SumR>);
  register_kernel(ops::Mean, cpu, numeric_reduce_kernel<MeanR>);
  register_kernel(ops::Prod, cpu, numeric_reduce_kernel<ProdR>);
  register_kernel(ops::Max, cpu, numeric_reduce_kernel<MaxR>);
  register_kernel(ops::Min, cpu, numeric_reduce_kernel<MinR>);
  register_kernel(ops::Any, cpu, bool_reduce_kernel<AnyR>);
  register_kernel(ops::All, cpu, bool_reduce_kernel<AllR>);
  register_kernel(ops::ArgMax, cpu, arg_kernel<true>);
  register_kernel(ops::ArgMin, cpu, arg_kernel<false>);
  register_kernel(ops::Cumsum, cpu, scan_kernel<false>);
  register_kernel(ops::Cumprod, cpu, scan_kernel<true>);
  register_kernel(ops::TopKV2, cpu, topk_kernel);
}

}  // namespace tapeflow::kernels::cpu
