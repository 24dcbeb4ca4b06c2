// CPU kernels of the reductions. The input is viewed as (outer, reduced) by moving the reduced
// axes last (a copy only when that view is not contiguous), or as (reduced, outer) when the
// reduced axes lead a contiguous tensor (column sums: no copy, vectorizable rows).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "tapeflow/kernels/reduction_plan.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/kernels/cpu/loops.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cpu {
namespace {

// Accumulators: floats in double (a float32 sum of 1e7 terms stays within 1e-7 relative), ints
// in 64-bit unsigned arithmetic so overflow wraps like TF's int32 sums instead of being UB.
template <typename T>
using sum_acc_t = std::conditional_t<std::is_integral_v<T>, uint64_t, double>;

template <typename T>
struct SumR {
  using Acc = sum_acc_t<T>;
  static Acc init() { return Acc(0); }
  static Acc step(Acc a, T v) {
    if constexpr (std::is_integral_v<T>) return a + static_cast<Acc>(static_cast<int64_t>(v));
    else return a + static_cast<double>(v);
  }
  static Acc combine(Acc a, Acc b) { return a + b; }
  static T finish(Acc a, int64_t) {
    if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<int64_t>(a));
    else return T(static_cast<std::conditional_t<std::is_same_v<T, double>, double, float>>(a));
  }
};
template <typename T>
struct MeanR : SumR<T> {
  using Acc = typename SumR<T>::Acc;
  static T finish(Acc a, int64_t n) {
    if constexpr (std::is_integral_v<T>) {
      if (n == 0) return T(0);
      return static_cast<T>(static_cast<int64_t>(a) / n);
    } else {
      double m = n == 0 ? std::numeric_limits<double>::quiet_NaN() : a / static_cast<double>(n);
      return T(static_cast<std::conditional_t<std::is_same_v<T, double>, double, float>>(m));
    }
  }
};
template <typename T>
struct ProdR {
  using Acc = sum_acc_t<T>;
  static Acc init() { return Acc(1); }
  static Acc step(Acc a, T v) {
    if constexpr (std::is_integral_v<T>) return a * static_cast<Acc>(static_cast<int64_t>(v));
    else return a * static_cast<double>(v);
  }
  static Acc combine(Acc a, Acc b) { return a * b; }
  static T finish(Acc a, int64_t n) { return SumR<T>::finish(a, n); }
};
template <typename T, bool kMax>
struct ExtremumR {
  using C = compute_t<T>;
  using Acc = C;
  static Acc init() {
    if constexpr (std::is_floating_point_v<C>)
      return kMax ? -std::numeric_limits<C>::infinity() : std::numeric_limits<C>::infinity();
    else return kMax ? std::numeric_limits<C>::lowest() : std::numeric_limits<C>::max();
  }
  static Acc step(Acc a, T v) {
    C c = static_cast<C>(v);
    if constexpr (std::is_floating_point_v<C>) { if (a != a) return a; if (c != c) return c; }  // NaN propagates
    return kMax ? (c > a ? c : a) : (c < a ? c : a);
  }
  static Acc combine(Acc a, Acc b) { return step(a, T(b)); }
  static T finish(Acc a, int64_t) { return T(a); }
};
struct AnyR {
  using Acc = bool;
  static Acc init() { return false; }
  static Acc step(Acc a, bool v) { return a || v; }
  static Acc combine(Acc a, Acc b) { return a || b; }
  static bool finish(Acc a, int64_t) { return a; }
};
struct AllR {
  using Acc = bool;
  static Acc init() { return true; }
  static Acc step(Acc a, bool v) { return a && v; }
  static Acc combine(Acc a, Acc b) { return a && b; }
  static bool finish(Acc a, int64_t) { return a; }
};

using Plan = ReductionPlan;

template <typename R, typename T, typename Out = T>
void run_reduce(const Tensor& x, const std::vector<int>& axes, Tensor& out) {
  using Acc = typename R::Acc;
  Plan p = make_reduction_plan(x, axes);
  Out* o = static_cast<Out*>(out.raw_data());
  if (p.outer == 0) return;
  const T* in = static_cast<const T*>(p.data.raw_data());
  if (p.columns) {
    // in is (inner, outer): accumulate row by row into per-output accumulators.
    parallel_for(p.outer, kParallelGrain / std::max<int64_t>(1, p.inner), [&](int64_t b, int64_t e) {
      std::vector<Acc> acc(static_cast<std::size_t>(e - b), R::init());
      for (int64_t i = 0; i < p.inner; ++i) {
        const T* row = in + i * p.outer;
        for (int64_t j = b; j < e; ++j) acc[static_cast<std::size_t>(j - b)] = R::step(acc[static_cast<std::size_t>(j - b)], row[j]);
      }
      for (int64_t j = b; j < e; ++j) o[j] = R::finish(acc[static_cast<std::size_t>(j - b)], p.inner);
    });
    return;
  }
  if (p.outer == 1 && p.inner > kParallelGrain) {
    // One long reduction: partial accumulators per thread, combined in a fixed order.
    int64_t chunks = 64;
    std::vector<Acc> partial(static_cast<std::size_t>(chunks), R::init());
    int64_t chunk = (p.inner + chunks - 1) / chunks;
    parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        Acc a = R::init();
        for (int64_t i = c * chunk; i < std::min(p.inner, (c + 1) * chunk); ++i) a = R::step(a, in[i]);
        partial[static_cast<std::size_t>(c)] = a;
      }
    });
    Acc a = R::init();
    for (Acc v : partial) a = R::combine(a, v);
    o[0] = R::finish(a, p.inner);
    return;
  }
  parallel_for(p.outer, kParallelGrain / std::max<int64_t>(1, p.inner), [&](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      Acc a = R::init();
      const T* row = in + j * p.inner;
      for (int64_t i = 0; i < p.inner; ++i) a = R::step(a, row[i]);
      o[j] = R::finish(a, p.inner);
    }
  });
}

template <template <typename> class R>
void numeric_reduce_kernel(KernelContext& ctx) {
  const auto& attrs = ctx.attr<ops::ReduceAttrs>();
  visit_numeric(ctx.input(0).dtype(), ctx.op.name,
                [&]<typename T>() { run_reduce<R<T>, T>(ctx.input(0), attrs.axes, ctx.output(0)); });
}
template <typename T> using MaxR = ExtremumR<T, true>;
template <typename T> using MinR = ExtremumR<T, false>;

template <typename R>
void bool_reduce_kernel(KernelContext& ctx) {
  run_reduce<R, bool>(ctx.input(0), ctx.attr<ops::ReduceAttrs>().axes, ctx.output(0));
}

// ---- argmax / argmin ----------------------------------------------------------------------
template <bool kMax>
void arg_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  int axis = ctx.attr<ops::ArgReduceAttrs>().axis;
  Plan p = make_reduction_plan(x, {axis});
  Tensor& out = ctx.output(0);
  visit_numeric(x.dtype(), ctx.op.name, [&]<typename T>() {
    using C = compute_t<T>;
    const T* in = static_cast<const T*>(p.data.raw_data());
    auto index_of = [&](int64_t j, auto at) {
      int64_t best = 0;
      C bv = static_cast<C>(at(0));
      for (int64_t i = 1; i < p.inner; ++i) {
        C v = static_cast<C>(at(i));
        if constexpr (std::is_floating_point_v<C>) {
          if (bv != bv) break;                    // NaN already wins
          if (v != v) { best = i; bv = v; break; }
        }
        if (kMax ? v > bv : v < bv) { best = i; bv = v; }
      }
      (void)j;
      return best;
    };
    for (int64_t j = 0; j < p.outer; ++j) {
      int64_t best = p.columns ? index_of(j, [&](int64_t i) { return in[i * p.outer + j]; })
                               : index_of(j, [&](int64_t i) { return in[j * p.inner + i]; });
      if (out.dtype() == DType::kInt64) out.data<int64_t>()[j] = best;
      else out.data<int32_t>()[j] = static_cast<int32_t>(best);
    }
  });
}

// ---- cumsum / cumprod ---------------------------------------------------------------------
template <bool kProd>
void scan_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto& a = ctx.attr<ops::ScanAttrs>();
  Tensor& out = ctx.output(0);
  if (x.size() == 0) return;
  Tensor c = x.contiguous();
  int64_t len = x.shape()[a.axis], inner = 1, outer = 1;
  for (int i = a.axis + 1; i < x.ndim(); ++i) inner *= x.shape()[i];
  for (int i = 0; i < a.axis; ++i) outer *= x.shape()[i];
  visit_numeric(x.dtype(), ctx.op.name, [&]<typename T>() {
    using Acc = std::conditional_t<std::is_integral_v<T>, T, double>;
    const T* in = c.data<T>();
    T* o = out.data<T>();
    for (int64_t b = 0; b < outer; ++b)
      for (int64_t k = 0; k < inner; ++k) {
        Acc acc = kProd ? Acc(1) : Acc(0);
        for (int64_t s = 0; s < len; ++s) {
          int64_t i = a.reverse ? len - 1 - s : s;
          int64_t idx = (b * len + i) * inner + k;
          Acc v = static_cast<Acc>(static_cast<compute_t<T>>(in[idx]));
          if (a.exclusive) { o[idx] = T(static_cast<compute_t<T>>(acc)); acc = kProd ? Acc(acc * v) : Acc(acc + v); }
          else { acc = kProd ? Acc(acc * v) : Acc(acc + v); o[idx] = T(static_cast<compute_t<T>>(acc)); }
        }
      }
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
      // Larger first; NaN counts as largest; ties keep the lower index first.
      auto greater = [&](int32_t i, int32_t j) {
        C vi = static_cast<C>(row[i]), vj = static_cast<C>(row[j]);
        bool ni = vi != vi, nj = vj != vj;
        if (ni || nj) return ni && !nj;
        return vi > vj;
      };
      std::partial_sort(idx.begin(), idx.begin() + a.k, idx.end(), [&](int32_t i, int32_t j) {
        return greater(i, j) || (!greater(j, i) && i < j);
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
