// CUDA kernels of the binary elementwise ops, mirroring kernels/cpu/binary.cpp: the same
// functors, registered per row of core/ops/binary_table.h; NumPy broadcasting, bool outputs for
// comparisons. Integer division by zero and negative integer powers give 0 and 1 here (as TF's
// GPU kernels do) instead of the CPU's error.
#include <type_traits>

#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/unary.h"
#include "tapeflow/kernels/cuda/elementwise.cuh"
#include "tapeflow/kernels/cuda/registration.h"

namespace tapeflow::kernels::cuda {
namespace {

/// The kernel of a binary_table.h row: `Fn` over the dtypes the row accepts (no strings on GPU).
template <typename Fn, ops::BinaryAccepts kAccepts, ops::BinaryOutput kOutput> void table_kernel(KernelContext& ctx) {
  cudaStream_t stream = stream_of(ctx);
  const Tensor &a = ctx.input(0), &b = ctx.input(1);
  Tensor& out = ctx.output(0);
  auto run = [&]<typename T>() {
    using Out = std::conditional_t<kOutput == ops::BinaryOutput::Bool, bool, T>;
    run_binary<Fn, T, Out>(a, b, out, stream);
  };
  if constexpr (kAccepts == ops::BinaryAccepts::Bool) {
    run.template operator()<bool>();
  } else {
    if constexpr (kAccepts == ops::BinaryAccepts::Equality) {
      if (a.dtype() == DType::kBool) return run.template operator()<bool>();
    }
    visit_numeric(a.dtype(), ctx.op.name, run);
  }
}

}  // namespace

void register_binary_kernels() {
  const DeviceType gpu = DeviceType::kGPU;
#define TAPEFLOW_REGISTER_KERNEL(Op, tf_name, fn, Functor, Accepts, Output) \
  register_kernel(ops::Op, gpu, table_kernel<Functor, ops::BinaryAccepts::Accepts, ops::BinaryOutput::Output>);
  TAPEFLOW_BINARY_OPS(TAPEFLOW_REGISTER_KERNEL)
#undef TAPEFLOW_REGISTER_KERNEL
}

}  // namespace tapeflow::kernels::cuda
