// CPU kernels of BiasAdd (value (..., C) + bias (C,)) and BiasAddGrad (the sum of a gradient
// over all but its last axis). Floating sums accumulate in double; integer sums wrap, as TF's.
#include <cstdint>
#include <type_traits>

#include "tapeflow/core/ops/bias_add.h"
#include "tapeflow/kernels/cpu/channel_sums.h"
#include "tapeflow/kernels/cpu/parallel.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cpu {
namespace {

void bias_add_kernel(KernelContext& ctx) {
  const Tensor x = ctx.input(0).contiguous(), bias = ctx.input(1).contiguous();
  const int64_t c = x.shape().dim(-1), rows = c ? x.size() / c : 0;
  visit_numeric(x.dtype(), ctx.op.name, [&]<typename T>() {
    using C = compute_t<T>;
    const T *xp = static_cast<const T*>(x.raw_data()), *bp = static_cast<const T*>(bias.raw_data());
    T* y = static_cast<T*>(ctx.output(0).raw_data());
    parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, c)), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r)
        for (int64_t ch = 0; ch < c; ++ch)
          y[r * c + ch] = static_cast<T>(static_cast<C>(xp[r * c + ch]) + static_cast<C>(bp[ch]));
    });
  });
}

void bias_add_grad_kernel(KernelContext& ctx) {
  const Tensor g = ctx.input(0).contiguous();
  const int64_t c = g.shape().dim(-1), rows = c ? g.size() / c : 0;
  visit_numeric(g.dtype(), ctx.op.name, [&]<typename T>() {
    // Integers sum modulo 2^64, then truncate: the same bits as a wrapping sum in T.
    using A = std::conditional_t<std::is_integral_v<T>, uint64_t, double>;
    const T* gp = static_cast<const T*>(g.raw_data());
    const auto sums = channel_sums<A, 1>(rows, c, [&](int64_t r, const std::array<A*, 1>& acc) {
      for (int64_t ch = 0; ch < c; ++ch) acc[0][ch] += static_cast<A>(gp[r * c + ch]);
    });
    T* out = static_cast<T*>(ctx.output(0).raw_data());
    for (int64_t ch = 0; ch < c; ++ch) {
      if constexpr (std::is_integral_v<T>)
        out[ch] = static_cast<T>(sums[0][static_cast<std::size_t>(ch)]);
      else
        out[ch] = T(static_cast<compute_t<T>>(sums[0][static_cast<std::size_t>(ch)]));
    }
  });
}

}  // namespace

void register_bias_add_kernels() {
  register_kernel(ops::BiasAdd, DeviceType::kCPU, bias_add_kernel);
  register_kernel(ops::BiasAddGrad, DeviceType::kCPU, bias_add_grad_kernel);
}

}  // namespace tapeflow::kernels::cpu
