// CPU kernels of _FusedMatMul and _FusedConv2D: the contraction's own kernel writes the output,
// then one pass adds the bias and applies Relu in place (the functors of AddV2/BiasAdd and Relu,
// so fused and unfused graphs give the same bits) instead of two more ops and buffers.
#include "tapeflow/core/ops/fused_contraction.h"
#include "tapeflow/kernels/cpu/parallel.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cpu {
namespace {

template <typename T, bool kRelu> void add_bias(T* y, const T* bias, int64_t rows, int64_t c) {
  parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, c)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      T* row = y + r * c;
      for (int64_t ch = 0; ch < c; ++ch) {
        const T v = AddFn{}(row[ch], bias[ch]);
        row[ch] = kRelu ? ReluFn{}(v) : v;
      }
    }
  });
}

/// Runs `contraction`'s CPU kernel on the first two inputs into ctx's output, then the epilogue.
void run_fused(KernelContext& ctx, const OpDef& contraction, const OpAttrs& attrs, bool relu) {
  KernelFn kernel = contraction.kernels[static_cast<int>(DeviceType::kCPU)];
  KernelContext inner{contraction, ctx.inputs.first(2), &attrs, ctx.specs, ctx.outputs, ctx.device, ctx.stream};
  kernel(inner);
  Tensor& y = ctx.output(0);
  const Tensor bias = ctx.input(2).contiguous();
  const int64_t c = y.shape().dim(-1), rows = c ? y.size() / c : 0;
  auto go = [&]<typename T>() {
    T* yp = static_cast<T*>(y.raw_data());
    const T* bp = static_cast<const T*>(bias.raw_data());
    if (relu)
      add_bias<T, true>(yp, bp, rows, c);
    else
      add_bias<T, false>(yp, bp, rows, c);
  };
  if (y.dtype() == DType::kFloat64)
    go.template operator()<double>();
  else
    go.template operator()<float>();
}

void fused_matmul_kernel(KernelContext& ctx) {
  const auto& a = ctx.attr<ops::FusedMatMulAttrs>();
  run_fused(ctx, ops::MatMul, a.matmul, a.relu);
}

void fused_conv2d_kernel(KernelContext& ctx) {
  const auto& a = ctx.attr<ops::FusedConv2DAttrs>();
  run_fused(ctx, ops::Conv2D, a.conv, a.relu);
}

}  // namespace

void register_fused_contraction_kernels() {
  register_kernel(ops::FusedMatMul, DeviceType::kCPU, fused_matmul_kernel);
  register_kernel(ops::FusedConv2D, DeviceType::kCPU, fused_conv2d_kernel);
}

}  // namespace tapeflow::kernels::cpu
