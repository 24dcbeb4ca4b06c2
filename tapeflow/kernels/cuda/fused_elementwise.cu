// CUDA kernel of _FusedElementwise, mirroring kernels/cpu/fused_elementwise.cpp: one thread per
// element interprets the program (passed by value as a launch argument) with its intermediates
// in a per-thread register file planned as on CPU (kernels/fused_elementwise.h), applying each
// row's functor (kernels/functors.h) with one rounding per step, as the unfused kernels do. The
// ops are chosen at run time, so nvcc cannot contract a Mul step and an Add step into an FMA.
#include <type_traits>
#include <vector>

#include "tapeflow/core/ops/fused_elementwise.h"
#include "tapeflow/kernels/cuda/launch.cuh"
#include "tapeflow/kernels/cuda/registration.h"
#include "tapeflow/kernels/functors.h"
#include "tapeflow/kernels/fused_elementwise.h"

namespace tapeflow::kernels::cuda {
namespace {

constexpr int kMaxSteps = ops::kMaxFusedElementwiseSteps;
constexpr int kMaxInputs = ops::kMaxFusedElementwiseInputs;

struct DeviceProgram {
  int num_steps = 0, num_inputs = 0;
  uint8_t op[kMaxSteps];
  int16_t a[kMaxSteps], b[kMaxSteps];
  int8_t reg[kMaxSteps];  // -1: the last step (writes the output)
  const void* in[kMaxInputs];
  bool scalar[kMaxInputs];  // one element, broadcast
};

template <typename Fn, bool kSame, typename T> __device__ T unary_step(T x) {
  if constexpr (kSame)
    return static_cast<T>(Fn{}(x));
  else
    return T(0);  // predicates are never fused (the op's checks reject them)
}
template <typename Fn, bool kSame, typename T> __device__ T binary_step(T x, T y) {
  if constexpr (kSame)
    return static_cast<T>(Fn{}(x, y));
  else
    return T(0);
}

template <typename T> __device__ T apply_step(uint8_t op, T x, T y) {
  using ops::BinaryOutput, ops::UnaryOutput;
  switch (static_cast<ops::ElementwiseOp>(op)) {
#define TAPEFLOW_UNARY_ROW(Op, fn, Functor, Accepts, Output) \
  case ops::ElementwiseOp::Op:                               \
    return unary_step<Functor, UnaryOutput::Output == UnaryOutput::Same>(x);
#define TAPEFLOW_BINARY_ROW(Op, tf_name, fn, Functor, Accepts, Output) \
  case ops::ElementwiseOp::Op: return binary_step<Functor, BinaryOutput::Output == BinaryOutput::Same>(x, y);
    TAPEFLOW_UNARY_OPS(TAPEFLOW_UNARY_ROW)
    TAPEFLOW_BINARY_OPS(TAPEFLOW_BINARY_ROW)
#undef TAPEFLOW_UNARY_ROW
#undef TAPEFLOW_BINARY_ROW
  }
  return T(0);
}

// nvcc's warning 549 ("regs is used before its value is set") is a false positive: a step reads
// a register only after an earlier step wrote it (plan_elementwise_registers orders them), which
// the compiler cannot see through the program's indices. Zero-filling 64 registers per element
// would cost more than the program.
#pragma nv_diag_suppress 549
template <typename T> __global__ void fused_elementwise_kernel(DeviceProgram p, T* __restrict__ out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    T regs[kMaxSteps];
    auto load = [&](int k) -> T {
      if (k < 0) return T(0);
      if (k < p.num_inputs) {
        const T* q = static_cast<const T*>(p.in[k]);
        return p.scalar[k] ? q[0] : q[i];
      }
      return regs[p.reg[k - p.num_inputs]];
    };
    T v = T(0);
    for (int j = 0; j < p.num_steps; ++j) {
      v = apply_step<T>(p.op[j], load(p.a[j]), load(p.b[j]));
      if (p.reg[j] >= 0) regs[p.reg[j]] = v;
    }
    out[i] = v;
  }
}
#pragma nv_diag_default 549

void fused_elementwise_kernel_fn(KernelContext& ctx) {
  const auto& program = ctx.attr<ops::FusedElementwiseAttrs>().program;
  Tensor& out = ctx.output(0);
  const int64_t n = out.size();
  if (n == 0) return;
  cudaStream_t s = stream_of(ctx);
  const int num_inputs = static_cast<int>(ctx.inputs.size());
  TF_CHECK_ARG(num_inputs <= kMaxInputs && static_cast<int>(program.size()) <= kMaxSteps, ctx.op.name,
               "program too long for _FusedElementwise");
  const ElementwisePlan plan = plan_elementwise_registers(program, num_inputs);
  std::vector<Tensor> dense;  // keeps copies of non-contiguous inputs alive until the launch
  DeviceProgram p;
  p.num_steps = static_cast<int>(program.size());
  p.num_inputs = num_inputs;
  for (int j = 0; j < p.num_steps; ++j) {
    const ops::ElementwiseStep& st = program[static_cast<std::size_t>(j)];
    p.op[j] = static_cast<uint8_t>(st.op);
    p.a[j] = static_cast<int16_t>(st.a);
    p.b[j] = static_cast<int16_t>(st.b);
    p.reg[j] = static_cast<int8_t>(plan.reg[static_cast<std::size_t>(j)]);
  }
  for (int k = 0; k < num_inputs; ++k) {
    const Tensor& t = ctx.input(static_cast<std::size_t>(k));
    dense.push_back(t.is_contiguous() ? t : contiguous_aligned(t, s));
    p.in[k] = dense.back().raw_data();
    p.scalar[k] = dense.back().size() == 1 && n != 1;
  }
  auto launch = [&]<typename T>() {
    fused_elementwise_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(p, static_cast<T*>(out.raw_data()), n);
    TF_CUDA_LAUNCH_CHECK("fused_elementwise_kernel");
  };
  if (out.dtype() == DType::kFloat64)
    launch.template operator()<double>();
  else if (out.dtype() == DType::kFloat32)
    launch.template operator()<float>();
  else
    TF_CHECK_ARG(false, ctx.op.name, "_FusedElementwise is defined for float32 and float64, got ",
                 dtype_name(out.dtype()));
}

}  // namespace

void register_fused_elementwise_kernels() {
  register_kernel(ops::FusedElementwise, DeviceType::kGPU, fused_elementwise_kernel_fn);
}

}  // namespace tapeflow::kernels::cuda
