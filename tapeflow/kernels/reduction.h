// The reductions written once for the CPU and CUDA kernels: the reducers (init, step over a value
// and its index along the reduced axes, combine of two partial results, finish), the accumulator
// types, top_k's ranking (__host__ __device__), and the geometry of a reduction (host code): the
// input as contiguous (outer, reduced) rows, or (reduced, outer) columns when the reduced axes
// lead a contiguous tensor and no copy is needed.
#pragma once
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "tapeflow/core/tensor.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels {

// ---- accumulators -----------------------------------------------------------------------------
// Floats accumulate in double on both devices (a float32 sum of 1e7 terms stays within 1e-7
// relative; reductions are memory-bound, so the wider adds cost nothing measurable), ints in
// 64-bit unsigned arithmetic so that overflow wraps like TF's int32 sums instead of being UB.
template <typename T> using sum_acc_t = std::conditional_t<std::is_integral_v<T>, uint64_t, double>;
/// cumsum/cumprod carry ints in their own type (wrapping under -fwrapv), floats in double.
template <typename T> using scan_acc_t = std::conditional_t<std::is_integral_v<T>, T, double>;

template <typename T> TF_HOST_DEVICE inline sum_acc_t<T> to_sum_acc(T v) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<uint64_t>(static_cast<int64_t>(v));
  else
    return static_cast<double>(static_cast<compute_t<T>>(v));
}
template <typename T> TF_HOST_DEVICE inline T from_sum_acc(sum_acc_t<T> a) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<T>(static_cast<int64_t>(a));
  else
    return T(static_cast<compute_t<T>>(a));
}

// ---- reducers ---------------------------------------------------------------------------------
template <typename T> struct SumR {
  using Acc = sum_acc_t<T>;
  TF_HOST_DEVICE static Acc init() { return Acc(0); }
  TF_HOST_DEVICE static Acc step(Acc a, T v, int64_t) { return a + to_sum_acc(v); }
  TF_HOST_DEVICE static Acc combine(Acc a, Acc b) { return a + b; }
  TF_HOST_DEVICE static T finish(Acc a, int64_t) { return from_sum_acc<T>(a); }
};
/// Integer means truncate toward zero as TF's; the mean of nothing is NaN (0 for ints).
template <typename T> struct MeanR : SumR<T> {
  using Acc = sum_acc_t<T>;
  TF_HOST_DEVICE static T finish(Acc a, int64_t n) {
    if constexpr (std::is_integral_v<T>) {
      return n == 0 ? T(0) : static_cast<T>(static_cast<int64_t>(a) / n);
    } else {
      const double m = n == 0 ? std::numeric_limits<double>::quiet_NaN() : a / static_cast<double>(n);
      return T(static_cast<compute_t<T>>(m));
    }
  }
};
template <typename T> struct ProdR {
  using Acc = sum_acc_t<T>;
  TF_HOST_DEVICE static Acc init() { return Acc(1); }
  TF_HOST_DEVICE static Acc step(Acc a, T v, int64_t) { return a * to_sum_acc(v); }
  TF_HOST_DEVICE static Acc combine(Acc a, Acc b) { return a * b; }
  TF_HOST_DEVICE static T finish(Acc a, int64_t) { return from_sum_acc<T>(a); }
};
/// max/min; a NaN anywhere makes the result NaN (as TF's).
template <typename T, bool kMax> struct ExtremumR {
  using Acc = compute_t<T>;
  TF_HOST_DEVICE static Acc init() {
    if constexpr (std::is_floating_point_v<Acc>)
      return kMax ? -std::numeric_limits<Acc>::infinity() : std::numeric_limits<Acc>::infinity();
    else
      return kMax ? std::numeric_limits<Acc>::lowest() : std::numeric_limits<Acc>::max();
  }
  TF_HOST_DEVICE static Acc combine(Acc a, Acc c) {
    if constexpr (std::is_floating_point_v<Acc>) {
      if (a != a) return a;
      if (c != c) return c;
    }
    return kMax ? (c > a ? c : a) : (c < a ? c : a);
  }
  TF_HOST_DEVICE static Acc step(Acc a, T v, int64_t) { return combine(a, static_cast<Acc>(v)); }
  TF_HOST_DEVICE static T finish(Acc a, int64_t) { return T(a); }
};
template <typename T> using MaxR = ExtremumR<T, true>;
template <typename T> using MinR = ExtremumR<T, false>;
struct AnyR {
  using Acc = bool;
  TF_HOST_DEVICE static Acc init() { return false; }
  TF_HOST_DEVICE static Acc step(Acc a, bool v, int64_t) { return a || v; }
  TF_HOST_DEVICE static Acc combine(Acc a, Acc b) { return a || b; }
  TF_HOST_DEVICE static bool finish(Acc a, int64_t) { return a; }
};
struct AllR {
  using Acc = bool;
  TF_HOST_DEVICE static Acc init() { return true; }
  TF_HOST_DEVICE static Acc step(Acc a, bool v, int64_t) { return a && v; }
  TF_HOST_DEVICE static Acc combine(Acc a, Acc b) { return a && b; }
  TF_HOST_DEVICE static bool finish(Acc a, int64_t) { return a; }
};
/// argmax/argmin: ties and NaNs resolve to the lowest index whatever the combine order (NaN
/// counts as the largest for argmax and the smallest for argmin, as TF's CPU kernels).
template <typename T, bool kMax> struct ArgR {
  using C = compute_t<T>;
  struct Acc {
    C v;
    int64_t i;
  };
  TF_HOST_DEVICE static Acc init() { return {ExtremumR<T, kMax>::init(), std::numeric_limits<int64_t>::max()}; }
  TF_HOST_DEVICE static Acc combine(Acc a, Acc b) {
    if constexpr (std::is_floating_point_v<C>) {
      const bool na = a.v != a.v, nb = b.v != b.v;
      if (na || nb) return (na && nb) ? (a.i < b.i ? a : b) : (na ? a : b);
    }
    if (kMax ? b.v > a.v : b.v < a.v) return b;
    if (a.v == b.v && b.i < a.i) return b;
    return a;
  }
  TF_HOST_DEVICE static Acc step(Acc a, T v, int64_t i) { return combine(a, Acc{static_cast<C>(v), i}); }
  TF_HOST_DEVICE static int64_t finish(Acc a, int64_t) { return a.i == std::numeric_limits<int64_t>::max() ? 0 : a.i; }
};

/// cumsum/cumprod of one line of `len` elements `stride` apart (exclusive: each output leaves its
/// own element out; reverse: from the end).
template <typename T, bool kProd>
TF_HOST_DEVICE inline void scan_line(const T* in, T* out, int64_t len, int64_t stride, bool exclusive, bool reverse) {
  using Acc = scan_acc_t<T>;
  Acc acc = kProd ? Acc(1) : Acc(0);
  for (int64_t s = 0; s < len; ++s) {
    const int64_t i = (reverse ? len - 1 - s : s) * stride;
    const Acc v = static_cast<Acc>(static_cast<compute_t<T>>(in[i]));
    if (exclusive) out[i] = T(static_cast<compute_t<T>>(acc));
    acc = kProd ? Acc(acc * v) : Acc(acc + v);
    if (!exclusive) out[i] = T(static_cast<compute_t<T>>(acc));
  }
}

/// top_k's ranking: a comes before b when its value is larger (NaN counts as the largest) or equal
/// with a lower index. A strict total order on (value, index) pairs.
template <typename C> TF_HOST_DEVICE inline bool ranks_before(C va, int64_t ia, C vb, int64_t ib) {
  const bool na = va != va, nb = vb != vb;
  if (na != nb) return na;
  if (!na && va != vb) return va > vb;
  return ia < ib;
}

// ---- geometry (host) --------------------------------------------------------------------------

struct ReductionPlan {
  Tensor data;        // contiguous
  int64_t outer = 1;  // number of outputs
  int64_t inner = 1;  // number of reduced elements per output
  bool columns = false;
};

/// `axes` are sorted, unique and non-negative.
inline ReductionPlan make_reduction_plan(const Tensor& x, const std::vector<int>& axes) {
  ReductionPlan p;
  const int r = x.ndim();
  std::vector<bool> reduced(static_cast<std::size_t>(r), false);
  for (int a : axes) reduced[static_cast<std::size_t>(a)] = true;
  for (int i = 0; i < r; ++i) (reduced[static_cast<std::size_t>(i)] ? p.inner : p.outer) *= x.shape()[i];
  // Reduced axes leading a contiguous tensor: reduce columns in place.
  bool leading = true;
  for (std::size_t i = 0; i < axes.size(); ++i) leading &= axes[i] == static_cast<int>(i);
  if (x.is_contiguous() && leading && !axes.empty() && static_cast<int>(axes.size()) < r) {
    p.data = x;
    p.columns = true;
    return p;
  }
  // Move reduced axes last; copy when that view is not contiguous.
  DimVector dims, strides;
  for (int pass = 0; pass < 2; ++pass)
    for (int i = 0; i < r; ++i)
      if (reduced[static_cast<std::size_t>(i)] == (pass == 1)) {
        dims.push_back(x.shape()[i]);
        strides.push_back(x.strides()[static_cast<std::size_t>(i)]);
      }
  p.data = detail::make_view(x.storage(), Shape(dims), strides, x.offset(), x.dtype(), x.device()).contiguous();
  return p;
}

}  // namespace tapeflow::kernels
