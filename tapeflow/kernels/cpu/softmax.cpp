// CPU kernels of Softmax, LogSoftmax and the softmax cross-entropies. The input is viewed as
// (outer, n, inner) with the softmax axis in the middle: inner == 1 (the last axis) walks
// contiguous rows; otherwise `inner` lanes are reduced side by side, so no transpose is copied.
// The math is kernels/softmax.h, shared with the CUDA kernels; float32 rows over the last axis
// take a vectorized path (Note [Softmax rows in three passes]).
#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "tapeflow/core/ops/softmax.h"
#include "tapeflow/kernels/cpu/loops.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/cpu/stream_store.h"
#include "tapeflow/kernels/functors.h"
#include "tapeflow/kernels/softmax.h"

namespace tapeflow::kernels::cpu {
namespace {

struct Geometry {
  int64_t outer = 1, n = 1, inner = 1;
};
Geometry geometry(const Shape& s, int axis) {
  Geometry g;
  g.n = s[axis];
  for (int i = 0; i < axis; ++i) g.outer *= s[i];
  for (int i = axis + 1; i < s.rank(); ++i) g.inner *= s[i];
  return g;
}
int64_t rows_grain(int64_t n) { return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, n)); }

/// Stats of one contiguous row: a max pass, then a sum pass that never rescales.
template <typename T, typename C = compute_t<T>> SoftmaxStats<C> row_stats(const T* x, int64_t n) {
  SoftmaxStats<C> s;
  for (int64_t j = 0; j < n; ++j) {
    const C v = static_cast<C>(x[j]);
    if (v > s.max || v != v) s.max = v;
    if (v != v) break;
  }
  if (s.max != s.max) {  // a NaN anywhere makes the whole row NaN, as in TF
    s.sum = s.max;
    return s;
  }
  for (int64_t j = 0; j < n; ++j) s.sum += std::exp(static_cast<C>(x[j]) - s.max);
  return s;
}

// Note [Softmax rows in three passes]
// A float32 row over the last axis is read from memory once and written once: pass 1 finds the
// maximum (lanes, NaN-propagating), pass 2 writes e = exp(x - max) to the output and sums it in
// float lanes, pass 3 scales the output (still in cache) by 1 / sum. log_softmax writes nothing
// in pass 2 and x - log_sum_exp in pass 3; the cross-entropies write e in pass 2 and finish the
// backprop (e / sum - label) and the loss in pass 3. An output of kStreamBytes or more is never
// read back from cache, so there pass 2 keeps e in a per-thread scratch row (L1) and pass 3
// streams the output (Note [Streaming stores for large outputs]): x is read once, the output
// written once, with no write-allocate read (the same values either way). exp is exp8 below, a polynomial on vectors
// of eight floats (libm's expf does not vectorize): within 1 ulp of the exact value on [-104, 89], exact 0
// below, inf above, NaN for NaN; the op table's softmax rows bound it (2 ulps plus 4 eps per
// term). float64 keeps std::exp and the scalar path; float16/bfloat16 keep the scalar path.

// Eight floats as one value (GCC/Clang vector extensions): the compiler emits AVX2 or pairs of
// SSE2 instructions, and compare-and-select stays a blend, which loop vectorization does not
// guarantee. They never cross a non-inlined call here, so the baseline build's ABI note about
// 32-byte vectors without AVX (-Wpsabi) does not apply.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
typedef float f32x8 __attribute__((vector_size(32)));
typedef int32_t i32x8 __attribute__((vector_size(32)));
TF_ALWAYS_INLINE f32x8 splat(float v) { return f32x8{} + v; }
TF_ALWAYS_INLINE f32x8 load8(const float* p) {
  f32x8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
TF_ALWAYS_INLINE void store8(float* p, f32x8 v) { std::memcpy(p, &v, sizeof v); }

/// exp's polynomial part of eight floats c: returns exp(r) (Cephes' expf polynomial, 1 ulp) with
/// c = n ln2 + r, |r| <= ln2 / 2, and n as integers (|c / ln 2| < 2^22).
TF_ALWAYS_INLINE f32x8 exp8_poly(f32x8 c, i32x8& ni) {
  // n = round(c / ln 2) by the 1.5 * 2^23 trick.
  const f32x8 n = (c * 1.44269504088896341f + 12582912.f) - 12582912.f;
  f32x8 r = c - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  f32x8 p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  ni = __builtin_convertvector(n, i32x8);
  return p * (r * r) + r + 1.f;
}

/// exp of eight floats: exp8_poly times 2^n applied in two halves, so that results down to the
/// subnormals round once; 0 below -104, inf above 89, NaN for NaN (the clamps keep a NaN, and the
/// polynomial carries it into the result whatever 2^n its integer conversion makes: no select
/// spent on it).
TF_ALWAYS_INLINE f32x8 exp8(f32x8 x) {
  f32x8 c = x > splat(89.f) ? splat(89.f) : x;
  c = c < splat(-104.f) ? splat(-104.f) : c;
  i32x8 ni;
  const f32x8 p = exp8_poly(c, ni);
  const i32x8 n1 = ni >> 1, n2 = ni - n1;  // each in [-75, 65]: a normal power of two
  return p * __builtin_bit_cast(f32x8, (n1 + 127) << 23) * __builtin_bit_cast(f32x8, (n2 + 127) << 23);
}

/// exp8 of c in [-87, 0]: 2^n (n >= -126) is a normal float, so one multiply rounds p * 2^n once,
/// as exp8's two do (its first is exact): the same bits, no clamps, ~30% fewer instructions.
TF_ALWAYS_INLINE f32x8 exp8_normal(f32x8 c) {
  i32x8 ni;
  const f32x8 p = exp8_poly(c, ni);
  return p * __builtin_bit_cast(f32x8, (ni + 127) << 23);
}

/// lane_extremum<true>(x, n) (the same lanes and tree, so the same bits) and, alongside, the
/// row's minimum (meaningful when the maximum is not NaN).
TF_ALWAYS_INLINE float row_max_min(const float* x, int64_t n, float& min) {
  constexpr int L = 32;
  constexpr float kInf = std::numeric_limits<float>::infinity();
  float mx[L], mn[L];
  for (int k = 0; k < L; ++k) mx[k] = -kInf, mn[k] = kInf;
  auto pick = [](float a, float v) { return (v > a || v != v) ? v : a; };
  auto low = [](float a, float v) { return v < a ? v : a; };
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int k = 0; k < L; ++k) mx[k] = pick(mx[k], x[i + k]), mn[k] = low(mn[k], x[i + k]);
  for (int k = 0; i + k < n; ++k) mx[k] = pick(mx[k], x[i + k]), mn[k] = low(mn[k], x[i + k]);
  for (int w = L / 2; w > 0; w /= 2)
    for (int k = 0; k < w; ++k) mx[k] = pick(mx[k], mx[k + w]), mn[k] = low(mn[k], mn[k + w]);
  min = mn[0];
  return mx[0];
}

/// Pass 2: e[j] = exp(x[j] - m) (stored unless e == nullptr), returns sum(e) in 16 lanes (two
/// vectors, added at the end). kNormal: every x[j] - m lies in [-87, 0] (exp8_normal).
template <bool kNormal = false> TF_ALWAYS_INLINE float exp_sum_pass(const float* x, float m, float* e, int64_t n) {
  f32x8 acc0{}, acc1{};
  const f32x8 mv = splat(m);
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    f32x8 v0, v1;
    if constexpr (kNormal)
      v0 = exp8_normal(load8(x + j) - mv), v1 = exp8_normal(load8(x + j + 8) - mv);
    else
      v0 = exp8(load8(x + j) - mv), v1 = exp8(load8(x + j + 8) - mv);
    if (e) store8(e + j, v0), store8(e + j + 8, v1);
    acc0 += v0;
    acc1 += v1;
  }
  for (; j < n; j += 8) {  // the tail, padded with -inf (exp8 gives 0)
    float t[8];
    const int64_t len = std::min<int64_t>(8, n - j);
    for (int k = 0; k < 8; ++k) t[k] = k < len ? x[j + k] : -std::numeric_limits<float>::infinity();
    const f32x8 v = exp8(load8(t) - mv);
    store8(t, v);
    if (e) std::memcpy(e + j, t, static_cast<std::size_t>(len) * sizeof(float));
    acc0 += v;
  }
  acc0 += acc1;
  float lanes[8];
  store8(lanes, acc0);
  return ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
}

// Rows are taken in blocks of at most kBlockElements elements (a long row is a block of its
// own): x and the row of exp of a block stay in L1 between the passes.
constexpr int64_t kMaxBlockRows = 64, kBlockElements = 2048;
int64_t block_rows(int64_t n) { return std::clamp<int64_t>(kBlockElements / n, 1, kMaxBlockRows); }

/// Pass 2 of one row: sum(exp(x - m)), the exps stored to e (unless null); a NaN maximum is the
/// sum (the whole row is NaN). Rows whose values span less than 87 (all of them, in practice)
/// take exp8_normal: the same bits for less work; -inf, +inf and NaN give a span of inf or NaN.
TF_ALWAYS_INLINE float row_exp_sum(const float* x, float m, float lo, float* e, int64_t n) {
  if (m != m) return m;
  if (m - lo < 87.f) return exp_sum_pass<true>(x, m, e, n);
  return exp_sum_pass(x, m, e, n);
}

/// y[0, n) = f(j) (computed 16 at a time by piece(j, f32x8&, f32x8&), one at a time by one(j)):
/// streamed when kStream (Note [Streaming stores for large outputs]), else stored in place.
template <bool kStream, typename Piece, typename One>
TF_ALWAYS_INLINE void write_row(float* y, int64_t n, Piece&& piece, One&& one) {
  if constexpr (kStream) {
    stream_generate(
        y, n,
        [&](int64_t j, float* buf) {
          f32x8 v0, v1;
          piece(j, v0, v1);
          store8(buf, v0);
          store8(buf + 8, v1);
        },
        one);
  } else {
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) {
      f32x8 v0, v1;
      piece(j, v0, v1);
      store8(y + j, v0);
      store8(y + j + 8, v1);
    }
    for (; j < n; ++j) y[j] = one(j);
  }
}

/// softmax (kLog false) or log_softmax of `rows` float rows of n > 0 elements, pass by pass over
/// blocks of rows (Note [Softmax rows in three passes]): each row's values are those of the row
/// on its own (the same operations in the same order), but the passes of different rows are
/// independent, so the out-of-order core overlaps one row's exp chains and lane reductions with
/// the next row's instead of waiting on each row's sum. Short rows (64 elements: ~200 cycles of
/// dependent latency per row, ~120 of work) gain most. kStream: pass 2 keeps the exps in
/// `scratch` (block_rows(n) * n floats) and pass 3 streams y; else the exps go to y and pass 3
/// scales them in place.
template <bool kLog, bool kStream>
TF_ALWAYS_INLINE void softmax_rows_f32(const float* x, float* y, int64_t n, int64_t rows, float* scratch) {
  const int64_t block = block_rows(n);
  float m[kMaxBlockRows], lo[kMaxBlockRows], sum[kMaxBlockRows];
  for (int64_t r0 = 0; r0 < rows; r0 += block) {
    const int64_t nr = std::min(block, rows - r0);
    const float* xb = x + r0 * n;
    float* yb = y + r0 * n;
    float* eb = kStream ? scratch : yb;
    for (int64_t r = 0; r < nr; ++r) m[r] = row_max_min(xb + r * n, n, lo[r]);
    for (int64_t r = 0; r < nr; ++r) sum[r] = row_exp_sum(xb + r * n, m[r], lo[r], kLog ? nullptr : eb + r * n, n);
    for (int64_t r = 0; r < nr; ++r) {
      const float* xr = xb + r * n;
      const float* er = eb + r * n;
      float* yr = yb + r * n;
      if (m[r] != m[r]) {
        const float v = m[r];
        write_row<kStream>(
            yr, n, [&](int64_t, f32x8& v0, f32x8& v1) { v0 = v1 = splat(v); }, [&](int64_t) { return v; });
      } else if constexpr (kLog) {
        const float lse = m[r] + std::log(sum[r]);
        const f32x8 lv = splat(lse);
        write_row<kStream>(
            yr, n,
            [&](int64_t j, f32x8& v0, f32x8& v1) {
              v0 = load8(xr + j) - lv;
              v1 = load8(xr + j + 8) - lv;
            },
            [&](int64_t j) { return xr[j] - lse; });
      } else {
        const float inv = 1.f / sum[r];
        const f32x8 iv = splat(inv);
        write_row<kStream>(
            yr, n,
            [&](int64_t j, f32x8& v0, f32x8& v1) {
              v0 = load8(er + j) * iv;
              v1 = load8(er + j + 8) * iv;
            },
            [&](int64_t j) { return er[j] * inv; });
      }
    }
  }
  if constexpr (kStream) stream_fence();
}
template <bool kLog, bool kStream>
TF_TARGET_AVX2 void softmax_rows_f32_avx2(const float* x, float* y, int64_t n, int64_t rows, float* scratch) {
  softmax_rows_f32<kLog, kStream>(x, y, n, rows, scratch);
}
template <bool kLog, bool kStream>
void softmax_rows_f32_base(const float* x, float* y, int64_t n, int64_t rows, float* scratch) {
  softmax_rows_f32<kLog, kStream>(x, y, n, rows, scratch);
}
/// softmax_rows_f32 on this CPU's best body; stream: the output is large (kStreamBytes).
template <bool kLog> void softmax_rows_f32_any(const float* x, float* y, int64_t n, int64_t rows, bool stream) {
  if (stream) {
    std::vector<float> scratch(static_cast<std::size_t>(block_rows(n) * n));
    if (cpu_has_avx2())
      softmax_rows_f32_avx2<kLog, true>(x, y, n, rows, scratch.data());
    else
      softmax_rows_f32_base<kLog, true>(x, y, n, rows, scratch.data());
  } else if (cpu_has_avx2()) {
    softmax_rows_f32_avx2<kLog, false>(x, y, n, rows, nullptr);
  } else {
    softmax_rows_f32_base<kLog, false>(x, y, n, rows, nullptr);
  }
}

/// sum over j of XentLossTermFn(x[j], z[j], lse) (labels * (lse - x), 0 where the label is 0) of
/// one float row, in 16 lanes.
TF_ALWAYS_INLINE float xent_loss_row(const float* x, const float* z, float lse, int64_t n) {
  f32x8 acc0{}, acc1{};
  const f32x8 lv = splat(lse), zero{};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const f32x8 z0 = load8(z + j), z1 = load8(z + j + 8);
    const f32x8 t0 = z0 * (lv - load8(x + j)), t1 = z1 * (lv - load8(x + j + 8));
    acc0 += z0 == zero ? zero : t0;
    acc1 += z1 == zero ? zero : t1;
  }
  for (; j < n; j += 8) {  // the tail, padded with labels 0
    float tx[8] = {}, tz[8] = {};
    const auto len = static_cast<std::size_t>(std::min<int64_t>(8, n - j));
    std::memcpy(tx, x + j, len * sizeof(float));
    std::memcpy(tz, z + j, len * sizeof(float));
    const f32x8 z0 = load8(tz), t0 = z0 * (lv - load8(tx));
    acc0 += z0 == zero ? zero : t0;
  }
  acc0 += acc1;
  float lanes[8];
  store8(lanes, acc0);
  return ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
}

/// Cross-entropies of `rows` float rows of n > 0 logits x: dense labels z, or (z == nullptr) the
/// class ids `ids` (checked in range). Writes loss[r] and backprop = softmax - labels, by the
/// passes of softmax_rows_f32 (kStream and scratch as there): pass 3 sums the loss (x and z read
/// once more, now from cache), then writes the backprop. A sparse row's label element is
/// softmax rounded, then 1 subtracted, whichever way the row is written.
template <bool kStream, typename I>
TF_ALWAYS_INLINE void xent_rows_f32(const float* x, const float* z, const I* ids, float* bp, float* loss, int64_t n,
                                    int64_t rows, float* scratch) {
  const int64_t block = block_rows(n);
  float m[kMaxBlockRows], lo[kMaxBlockRows], sum[kMaxBlockRows];
  for (int64_t r0 = 0; r0 < rows; r0 += block) {
    const int64_t nr = std::min(block, rows - r0);
    const float* xb = x + r0 * n;
    float* bb = bp + r0 * n;
    float* eb = kStream ? scratch : bb;
    for (int64_t r = 0; r < nr; ++r) m[r] = row_max_min(xb + r * n, n, lo[r]);
    for (int64_t r = 0; r < nr; ++r) sum[r] = row_exp_sum(xb + r * n, m[r], lo[r], eb + r * n, n);
    for (int64_t r = 0; r < nr; ++r) {
      const float* xr = xb + r * n;
      const float* er = eb + r * n;
      float* br = bb + r * n;
      const float lse = m[r] + std::log(sum[r]), inv = 1.f / sum[r];
      const f32x8 iv = splat(inv);
      const float nan = m[r];  // a NaN row's backprop (pass 2 wrote no exps)
      if (z != nullptr) {
        const float* zr = z + (r0 + r) * n;
        loss[r0 + r] = xent_loss_row(xr, zr, lse, n);
        if (m[r] != m[r])
          write_row<kStream>(
              br, n, [&](int64_t, f32x8& v0, f32x8& v1) { v0 = v1 = splat(nan); }, [&](int64_t) { return nan; });
        else
          write_row<kStream>(
              br, n,
              [&](int64_t j, f32x8& v0, f32x8& v1) {
                v0 = load8(er + j) * iv - load8(zr + j);
                v1 = load8(er + j + 8) * iv - load8(zr + j + 8);
              },
              [&](int64_t j) { return er[j] * inv - zr[j]; });
        continue;
      }
      const auto label = static_cast<int64_t>(ids[r0 + r]);
      loss[r0 + r] = XentLossTermFn{}(xr[label], 1.f, lse);
      if (m[r] != m[r]) {
        write_row<kStream>(
            br, n, [&](int64_t, f32x8& v0, f32x8& v1) { v0 = v1 = splat(nan); }, [&](int64_t) { return nan; });
        continue;
      }
      if constexpr (kStream) {
        stream_generate(
            br, n,
            [&](int64_t j, float* buf) {
              store8(buf, load8(er + j) * iv);
              store8(buf + 8, load8(er + j + 8) * iv);
              if (static_cast<uint64_t>(label - j) < 16) buf[label - j] -= 1.f;
            },
            [&](int64_t j) {
              const float v = er[j] * inv;
              return j == label ? v - 1.f : v;
            });
      } else {
        write_row<false>(
            br, n,
            [&](int64_t j, f32x8& v0, f32x8& v1) {
              v0 = load8(er + j) * iv;
              v1 = load8(er + j + 8) * iv;
            },
            [&](int64_t j) { return er[j] * inv; });
        br[label] -= 1.f;
      }
    }
  }
  if constexpr (kStream) stream_fence();
}
template <bool kStream, typename I>
TF_TARGET_AVX2 void xent_rows_f32_avx2(const float* x, const float* z, const I* ids, float* bp, float* loss,
                                       int64_t n, int64_t rows, float* scratch) {
  xent_rows_f32<kStream, I>(x, z, ids, bp, loss, n, rows, scratch);
}
template <bool kStream, typename I>
void xent_rows_f32_base(const float* x, const float* z, const I* ids, float* bp, float* loss, int64_t n,
                        int64_t rows, float* scratch) {
  xent_rows_f32<kStream, I>(x, z, ids, bp, loss, n, rows, scratch);
}
/// xent_rows_f32 on this CPU's best body; stream: the backprop is large (kStreamBytes).
template <typename I>
void xent_rows_f32_any(const float* x, const float* z, const I* ids, float* bp, float* loss, int64_t n, int64_t rows,
                       bool stream) {
  if (stream) {
    std::vector<float> scratch(static_cast<std::size_t>(block_rows(n) * n));
    if (cpu_has_avx2())
      xent_rows_f32_avx2<true, I>(x, z, ids, bp, loss, n, rows, scratch.data());
    else
      xent_rows_f32_base<true, I>(x, z, ids, bp, loss, n, rows, scratch.data());
  } else if (cpu_has_avx2()) {
    xent_rows_f32_avx2<false, I>(x, z, ids, bp, loss, n, rows, nullptr);
  } else {
    xent_rows_f32_base<false, I>(x, z, ids, bp, loss, n, rows, nullptr);
  }
}

// Note [Softmax gradients in one pass]
// _SoftmaxGrad (dx = (dy - sum(dy * y)) * y) and _LogSoftmaxGrad (dx = dy - exp(y) * sum(dy))
// read a row of y and dy once from memory: pass 1 reduces it (float32 rows over the last axis: 16
// float lanes, two vectors added at the end, as exp_sum_pass), pass 2 writes dx while the row is
// still in cache. The composition of public ops they replace (Mul, Sum, Sub, Mul; Exp, Sum, Mul,
// Sub) made four to five passes and two to three temporaries. Other dtypes and axes take a
// scalar path that sums in double, in order along the axis (per row, or per lane of a middle axis).

/// sum(dy * y) (kLog false) or sum(dy) of one float row, in 16 lanes.
template <bool kLog> TF_ALWAYS_INLINE float grad_row_sum(const float* y, const float* dy, int64_t n) {
  f32x8 acc0{}, acc1{};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    if constexpr (kLog) {
      acc0 += load8(dy + j);
      acc1 += load8(dy + j + 8);
    } else {
      acc0 += load8(dy + j) * load8(y + j);
      acc1 += load8(dy + j + 8) * load8(y + j + 8);
    }
  }
  for (; j < n; j += 8) {  // the tail, padded with zeros
    float ty[8] = {}, td[8] = {};
    const int64_t len = std::min<int64_t>(8, n - j);
    std::memcpy(ty, y + j, static_cast<std::size_t>(len) * sizeof(float));
    std::memcpy(td, dy + j, static_cast<std::size_t>(len) * sizeof(float));
    if constexpr (kLog)
      acc0 += load8(td);
    else
      acc0 += load8(td) * load8(ty);
  }
  acc0 += acc1;
  float lanes[8];
  store8(lanes, acc0);
  return ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
}

/// dx of `rows` contiguous float rows of n > 0 elements (Note [Softmax gradients in one pass]).
template <bool kLog>
TF_ALWAYS_INLINE void softmax_grad_rows_f32(const float* y, const float* dy, float* dx, int64_t n, int64_t rows) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *yr = y + r * n, *dr = dy + r * n;
    float* xr = dx + r * n;
    const float s = grad_row_sum<kLog>(yr, dr, n);
    const f32x8 sv = splat(s);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
      if constexpr (kLog)
        store8(xr + j, load8(dr + j) - exp8(load8(yr + j)) * sv);
      else
        store8(xr + j, (load8(dr + j) - sv) * load8(yr + j));
    }
    if (j < n) {  // the tail, through the same vector arithmetic
      float ty[8] = {}, td[8] = {}, tx[8];
      const auto len = static_cast<std::size_t>(n - j);
      std::memcpy(ty, yr + j, len * sizeof(float));
      std::memcpy(td, dr + j, len * sizeof(float));
      if constexpr (kLog)
        store8(tx, load8(td) - exp8(load8(ty)) * sv);
      else
        store8(tx, (load8(td) - sv) * load8(ty));
      std::memcpy(xr + j, tx, len * sizeof(float));
    }
  }
}
template <bool kLog>
TF_TARGET_AVX2 void softmax_grad_rows_f32_avx2(const float* y, const float* dy, float* dx, int64_t n, int64_t rows) {
  softmax_grad_rows_f32<kLog>(y, dy, dx, n, rows);
}
template <bool kLog>
void softmax_grad_rows_f32_base(const float* y, const float* dy, float* dx, int64_t n, int64_t rows) {
  softmax_grad_rows_f32<kLog>(y, dy, dx, n, rows);
}

template <typename T, bool kLog>
void softmax_grad_impl(const Tensor& y_in, const Tensor& dy_in, int axis, Tensor& out) {
  using C = compute_t<T>;
  using A = double;  // the sums' type
  const Tensor yc = y_in.contiguous(), dc = dy_in.contiguous();
  const T* y = static_cast<const T*>(yc.raw_data());
  const T* dy = static_cast<const T*>(dc.raw_data());
  T* dx = static_cast<T*>(out.raw_data());
  const Geometry g = geometry(y_in.shape(), axis);
  if (g.n == 0 || out.size() == 0) return;
  if constexpr (std::is_same_v<T, float>) {
    if (g.inner == 1) {
      const bool avx2 = cpu_has_avx2();
      parallel_for(g.outer, rows_grain(g.n), [&](int64_t b, int64_t e) {
        const int64_t o = b * g.n;
        if (avx2)
          softmax_grad_rows_f32_avx2<kLog>(y + o, dy + o, dx + o, g.n, e - b);
        else
          softmax_grad_rows_f32_base<kLog>(y + o, dy + o, dx + o, g.n, e - b);
      });
      return;
    }
  }
  // (outer, n, inner): the sums of `inner` lanes side by side, in order along the axis.
  parallel_for(g.outer, rows_grain(g.n * g.inner), [&](int64_t b, int64_t e) {
    std::vector<A> sum(static_cast<std::size_t>(g.inner));
    for (int64_t o = b; o < e; ++o) {
      const int64_t base = o * g.n * g.inner;
      std::fill(sum.begin(), sum.end(), A(0));
      for (int64_t j = 0; j < g.n; ++j)
        for (int64_t k = 0; k < g.inner; ++k) {
          const int64_t i = base + j * g.inner + k;
          const A dv = static_cast<A>(static_cast<C>(dy[i]));
          sum[static_cast<std::size_t>(k)] += kLog ? dv : dv * static_cast<A>(static_cast<C>(y[i]));
        }
      for (int64_t j = 0; j < g.n; ++j)
        for (int64_t k = 0; k < g.inner; ++k) {
          const int64_t i = base + j * g.inner + k;
          const C s = static_cast<C>(sum[static_cast<std::size_t>(k)]);
          const C yv = static_cast<C>(y[i]), dv = static_cast<C>(dy[i]);
          dx[i] = kLog ? T(dv - std::exp(yv) * s) : T((dv - s) * yv);
        }
    }
  });
}

template <bool kLog> void softmax_grad_kernel(KernelContext& ctx) {
  const int axis = ctx.attr<ops::SoftmaxAttrs>().axis;
  visit_floating(ctx.input(0).dtype(), ctx.op.name,
                 [&]<typename T>() { softmax_grad_impl<T, kLog>(ctx.input(0), ctx.input(1), axis, ctx.output(0)); });
}

template <typename T, bool kLog> void softmax_impl(const Tensor& in, int axis, Tensor& out) {
  using C = compute_t<T>;
  const Tensor xc = in.contiguous();
  const T* x = static_cast<const T*>(xc.raw_data());
  T* y = static_cast<T*>(out.raw_data());
  const Geometry g = geometry(in.shape(), axis);
  if constexpr (std::is_same_v<T, float>) {
    if (g.inner == 1 && g.n > 0) {
      const bool stream = stream_output(out.size() * int64_t{sizeof(float)});
      parallel_for(g.outer, rows_grain(g.n), [&](int64_t b, int64_t e) {
        softmax_rows_f32_any<kLog>(x + b * g.n, y + b * g.n, g.n, e - b, stream);
      });
      return;
    }
  }
  if (g.inner == 1) {
    parallel_for(g.outer, rows_grain(g.n), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const T* xr = x + r * g.n;
        T* yr = y + r * g.n;
        const SoftmaxStats<C> s = row_stats(xr, g.n);
        if constexpr (kLog) {
          const C lse = s.log_sum_exp();
          for (int64_t j = 0; j < g.n; ++j) yr[j] = T(LogSoftmaxFn{}(static_cast<C>(xr[j]), lse));
        } else {
          const C inv = C(1) / s.sum;
          for (int64_t j = 0; j < g.n; ++j) yr[j] = T(std::exp(static_cast<C>(xr[j]) - s.max) * inv);
        }
      }
    });
    return;
  }
  // Softmax over a middle axis: lanes k of block o are x[o, :, k]; stats per lane.
  parallel_for(g.outer, rows_grain(g.n * g.inner), [&](int64_t b, int64_t e) {
    std::vector<SoftmaxStats<C>> st(static_cast<std::size_t>(g.inner));
    for (int64_t o = b; o < e; ++o) {
      const T* xo = x + o * g.n * g.inner;
      T* yo = y + o * g.n * g.inner;
      std::fill(st.begin(), st.end(), SoftmaxStats<C>{});
      for (int64_t j = 0; j < g.n; ++j)
        for (int64_t k = 0; k < g.inner; ++k) st[static_cast<std::size_t>(k)].push(static_cast<C>(xo[j * g.inner + k]));
      for (int64_t j = 0; j < g.n; ++j)
        for (int64_t k = 0; k < g.inner; ++k) {
          const auto& s = st[static_cast<std::size_t>(k)];
          const C v = static_cast<C>(xo[j * g.inner + k]);
          yo[j * g.inner + k] = kLog ? T(LogSoftmaxFn{}(v, s.log_sum_exp())) : T(SoftmaxFn{}(v, s));
        }
    }
  });
}

template <bool kLog> void softmax_kernel(KernelContext& ctx) {
  const int axis = ctx.attr<ops::SoftmaxAttrs>().axis;
  visit_floating(ctx.input(0).dtype(), ctx.op.name,
                 [&]<typename T>() { softmax_impl<T, kLog>(ctx.input(0), axis, ctx.output(0)); });
}

// ---- cross-entropies over the last axis: outputs loss (...) and backprop (..., classes) -------
void xent_kernel(KernelContext& ctx) {
  const Tensor logits = ctx.input(0).contiguous(), labels = ctx.input(1).contiguous();
  const int64_t n = logits.shape().dim(-1), rows = n ? logits.size() / n : ctx.output(0).size();
  visit_floating(logits.dtype(), ctx.op.name, [&]<typename T>() {
    using C = compute_t<T>;
    const T* x = static_cast<const T*>(logits.raw_data());
    const T* z = static_cast<const T*>(labels.raw_data());
    T* loss = static_cast<T*>(ctx.output(0).raw_data());
    T* backprop = static_cast<T*>(ctx.output(1).raw_data());
    if constexpr (std::is_same_v<T, float>) {
      if (n > 0) {
        const bool stream = stream_output(rows * n * int64_t{sizeof(float)});
        parallel_for(rows, rows_grain(n), [&](int64_t b, int64_t e) {
          xent_rows_f32_any<int32_t>(x + b * n, z + b * n, nullptr, backprop + b * n, loss + b, n, e - b, stream);
        });
        return;
      }
    }
    parallel_for(rows, rows_grain(n), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const T *xr = x + r * n, *zr = z + r * n;
        const C lse = row_stats(xr, n).log_sum_exp();
        C sum = C(0);
        for (int64_t j = 0; j < n; ++j) {
          const C v = static_cast<C>(xr[j]), label = static_cast<C>(zr[j]);
          sum += XentLossTermFn{}(v, label, lse);
          backprop[r * n + j] = T(XentBackpropFn{}(v, label, lse));
        }
        loss[r] = T(sum);
      }
    });
  });
}

template <typename I> void check_labels(const I* labels, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) {
    if (labels[r] >= 0 && labels[r] < n) continue;
    std::string shown;
    for (int64_t i = 0; i < std::min<int64_t>(rows, 20); ++i) {
      if (i) shown += ' ';
      shown += std::to_string(labels[i]);  // appended: `" " + str` trips GCC 12's false -Wrestrict
    }
    TF_THROW(InvalidArgumentError, "SparseSoftmaxCrossEntropyWithLogits", "Received a label value of ", labels[r],
             " which is outside the valid range of [0, ", n, ").  Label values: ", shown, rows > 20 ? " ..." : "");
  }
}

void sparse_xent_kernel(KernelContext& ctx) {
  const Tensor logits = ctx.input(0).contiguous(), labels = ctx.input(1).contiguous();
  const int64_t n = logits.shape().dim(-1), rows = labels.size();
  auto run = [&]<typename I>(const I* z) {
    check_labels(z, rows, n);
    visit_floating(logits.dtype(), ctx.op.name, [&]<typename T>() {
      using C = compute_t<T>;
      const T* x = static_cast<const T*>(logits.raw_data());
      T* loss = static_cast<T*>(ctx.output(0).raw_data());
      T* backprop = static_cast<T*>(ctx.output(1).raw_data());
      if constexpr (std::is_same_v<T, float>) {
        if (n > 0) {
          const bool stream = stream_output(rows * n * int64_t{sizeof(float)});
          parallel_for(rows, rows_grain(n), [&](int64_t b, int64_t e) {
            xent_rows_f32_any<I>(x + b * n, nullptr, z + b, backprop + b * n, loss + b, n, e - b, stream);
          });
          return;
        }
      }
      parallel_for(rows, rows_grain(n), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          const T* xr = x + r * n;
          const C lse = row_stats(xr, n).log_sum_exp();
          const int64_t label = static_cast<int64_t>(z[r]);
          loss[r] = T(XentLossTermFn{}(static_cast<C>(xr[label]), C(1), lse));
          for (int64_t j = 0; j < n; ++j)
            backprop[r * n + j] = T(XentBackpropFn{}(static_cast<C>(xr[j]), j == label ? C(1) : C(0), lse));
        }
      });
    });
  };
  if (labels.dtype() == DType::kInt64)
    run(static_cast<const int64_t*>(labels.raw_data()));
  else
    run(static_cast<const int32_t*>(labels.raw_data()));
}

}  // namespace

void register_softmax_kernels() {
  const DeviceType cpu = DeviceType::kCPU;
  register_kernel(ops::Softmax, cpu, softmax_kernel<false>);
  register_kernel(ops::LogSoftmax, cpu, softmax_kernel<true>);
  register_kernel(ops::SoftmaxGrad, cpu, softmax_grad_kernel<false>);
  register_kernel(ops::LogSoftmaxGrad, cpu, softmax_grad_kernel<true>);
  register_kernel(ops::SoftmaxCrossEntropyWithLogits, cpu, xent_kernel);
  register_kernel(ops::SparseSoftmaxCrossEntropyWithLogits, cpu, sparse_xent_kernel);
}

}  // namespace tapeflow::kernels::cpu
