// CUDA kernels of the binary elementwise ops, mirroring kernels/cpu/binary.cpp: the same
// functors, NumPy broadcasting, bool outputs for comparisons. Integer division by zero and
// negative integer powers give 0 and 1 here (as TF's GPU kernels do) instead of the CPU's error.
#include "tapeflow/core/ops/math.h"
#include "tapeflow/kernels/cuda/elementwise.cuh"
#include "tapeflow/kernels/cuda/registration.h"

namespace tapeflow::kernels::cuda {
namespace {

template <typename Fn, bool kBoolOut>
void numeric_kernel(KernelContext& ctx) {
  cudaStream_t stream = stream_of(ctx);
  visit_numeric(ctx.input(0).dtype(), ctx.op.name, [&]<typename T>() {
    using Out = std::conditional_t<kBoolOut, bool, T>;
    run_binary<Fn, T, Out>(ctx.input(0), ctx.input(1), ctx.output(0), stream);
  });
}

template <typename Fn>
void equality_kernel(KernelContext& ctx) {
  if (ctx.input(0).dtype() == DType::kBool)
    return run_binary<Fn, bool, bool>(ctx.input(0), ctx.input(1), ctx.output(0), stream_of(ctx));
  numeric_kernel<Fn, true>(ctx);
}

template <typename Fn>
void logical_kernel(KernelContext& ctx) {
  run_binary<Fn, bool, bool>(ctx.input(0), ctx.input(1), ctx.output(0), stream_of(ctx));
}

}  // namespace

void register_binary_kernels() {
  const DeviceType gpu = DeviceType::kGPU;
  register_kernel(ops::Add, gpu, numeric_kernel<AddFn, false>);
  register_kernel(ops::Sub, gpu, numeric_kernel<SubFn, false>);
  register_kernel(ops::Mul, gpu, numeric_kernel<MulFn, false>);
  register_kernel(ops::RealDiv, gpu, numeric_kernel<DivFn, false>);
  register_kernel(ops::FloorDiv, gpu, numeric_kernel<FloorDivFn, false>);
  register_kernel(ops::FloorMod, gpu, numeric_kernel<FloorModFn, false>);
  register_kernel(ops::Pow, gpu, numeric_kernel<PowFn, false>);
  register_kernel(ops::Maximum, gpu, numeric_kernel<MaximumFn, false>);
  register_kernel(ops::Minimum, gpu, numeric_kernel<MinimumFn, false>);
  register_kernel(ops::SquaredDifference, gpu, numeric_kernel<SquaredDifferenceFn, false>);
  register_kernel(ops::Equal, gpu, equality_kernel<EqualFn>);
  register_kernel(ops::NotEqual, gpu, equality_kernel<NotEqualFn>);
  register_kernel(ops::Less, gpu, numeric_kernel<LessFn, true>);
  register_kernel(ops::LessEqual, gpu, numeric_kernel<LessEqualFn, true>);
  register_kernel(ops::Greater, gpu, numeric_kernel<GreaterFn, true>);
  register_kernel(ops::GreaterEqual, gpu, numeric_kernel<GreaterEqualFn, true>);
  register_kernel(ops::LogicalAnd, gpu, logical_kernel<LogicalAndFn>);
  register_kernel(ops::LogicalOr, gpu, logical_kernel<LogicalOrFn>);
}

}  // namespace tapeflow::kernels::cuda
