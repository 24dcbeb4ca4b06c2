// CPU kernels of Softmax, LogSoftmax and the softmax cross-entropies. The input is viewed as
// (outer, n, inner) with the softmax axis in the middle: inner == 1 (the last axis) walks
// contiguous rows; otherwise `inner` lanes are reduced side by side, so no transpose is copied.
// The math is kernels/softmax.h, shared with the CUDA kernels.
#include <string>
#include <vector>

#include "tapeflow/core/ops/softmax.h"
#include "tapeflow/kernels/cpu/parallel.h"
#include "tapeflow/kernels/cpu/registration.h"
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

template <typename T, bool kLog> void softmax_impl(const Tensor& in, int axis, Tensor& out) {
  using C = compute_t<T>;
  const Tensor xc = in.contiguous();
  const T* x = static_cast<const T*>(xc.raw_data());
  T* y = static_cast<T*>(out.raw_data());
  const Geometry g = geometry(in.shape(), axis);
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
  register_kernel(ops::SoftmaxCrossEntropyWithLogits, cpu, xent_kernel);
  register_kernel(ops::SparseSoftmaxCrossEntropyWithLogits, cpu, sparse_xent_kernel);
}

}  // namespace tapeflow::kernels::cpu
