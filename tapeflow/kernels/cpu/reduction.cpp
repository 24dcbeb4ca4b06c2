// CPU kernels of the reductions. The input is viewed as (outer, reduced) by moving the reduced
// axes last (a copy only when that view is not contiguous), or as (reduced, outer) when the
// reduced axes lead a contiguous tensor (column sums: no copy, vectorizable rows).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/kernels/cpu/loops.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/functors.h"
#include "tapeflow/kernels/reduction.h"

namespace tapeflow::kernels::cpu {
namespace {

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
        for (int64_t j = b; j < e; ++j)
          acc[static_cast<std::size_t>(j - b)] = R::step(acc[static_cast<std::size_t>(j - b)], row[j], i);
      }
      for (int64_t j = b; j < e; ++j) o[j] = static_cast<Out>(R::finish(acc[static_cast<std::size_t>(j - b)], p.inner));
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
        for (int64_t i = c * chunk; i < std::min(p.inner, (c + 1) * chunk); ++i) a = R::step(a, in[i], i);
        partial[static_cast<std::size_t>(c)] = a;
      }
    });
    Acc a = R::init();
    for (Acc v : partial) a = R::combine(a, v);
    o[0] = static_cast<Out>(R::finish(a, p.inner));
    return;
  }
  parallel_for(p.outer, kParallelGrain / std::max<int64_t>(1, p.inner), [&](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      Acc a = R::init();
      const T* row = in + j * p.inner;
      for (int64_t i = 0; i < p.inner; ++i) a = R::step(a, row[i], i);
      o[j] = static_cast<Out>(R::finish(a, p.inner));
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
