// CPU kernel of _FusedElementwise (made by the graph optimizer's elementwise fusion): the program
// runs over blocks of kBlock elements, one step at a time over the whole block (an inner loop
// the compiler vectorizes, as the unfused kernels' loops), intermediates in per-thread scratch
// blocks that stay in L1, so each input is read once and the output written once. Every step
// applies its row's functor exactly as the unfused kernel does (compute type = the dtype, one
// rounding per op), so results are the unfused graph's bit for bit.
#include <type_traits>

#include "tapeflow/core/ops/fused_elementwise.h"
#include "tapeflow/kernels/cpu/parallel.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/fused_elementwise.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cpu {
namespace {

constexpr int64_t kBlock = 512;

/// An operand within the current block: `p[i]` (stride 1) or the broadcast value `p[0]`.
template <typename T> struct Operand {
  const T* p;
  bool scalar;
};

template <typename Fn, bool kSame, typename T> void unary_block(Operand<T> x, T* __restrict o, int64_t n) {
  if constexpr (kSame) {
    Fn fn;
    if (x.scalar) {
      const T v = static_cast<T>(fn(x.p[0]));
      for (int64_t i = 0; i < n; ++i) o[i] = v;
    } else {
      const T* __restrict in = x.p;
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(fn(in[i]));
    }
  } else {
    TF_CHECK_ARG(false, "_FusedElementwise", "a predicate cannot be a step of _FusedElementwise");
  }
}

template <typename Fn, bool kSame, typename T>
void binary_block(Operand<T> a, Operand<T> b, T* __restrict o, int64_t n) {
  if constexpr (kSame) {
    Fn fn;
    const T* __restrict pa = a.p;
    const T* __restrict pb = b.p;
    if (!a.scalar && !b.scalar) {
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(fn(pa[i], pb[i]));
    } else if (!a.scalar) {
      const T bv = pb[0];
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(fn(pa[i], bv));
    } else if (!b.scalar) {
      const T av = pa[0];
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(fn(av, pb[i]));
    } else {
      const T v = static_cast<T>(fn(pa[0], pb[0]));
      for (int64_t i = 0; i < n; ++i) o[i] = v;
    }
  } else {
    TF_CHECK_ARG(false, "_FusedElementwise", "a comparison cannot be a step of _FusedElementwise");
  }
}

template <typename T> void step_block(ops::ElementwiseOp op, Operand<T> a, Operand<T> b, T* o, int64_t n) {
  using ops::BinaryOutput, ops::UnaryOutput;
  switch (op) {
#define TAPEFLOW_UNARY_ROW(Op, fn, Functor, Accepts, Output) \
  case ops::ElementwiseOp::Op:                               \
    return unary_block<Functor, UnaryOutput::Output == UnaryOutput::Same>(a, o, n);
#define TAPEFLOW_BINARY_ROW(Op, tf_name, fn, Functor, Accepts, Output) \
  case ops::ElementwiseOp::Op: return binary_block<Functor, BinaryOutput::Output == BinaryOutput::Same>(a, b, o, n);
    TAPEFLOW_UNARY_OPS(TAPEFLOW_UNARY_ROW)
    TAPEFLOW_BINARY_OPS(TAPEFLOW_BINARY_ROW)
#undef TAPEFLOW_UNARY_ROW
#undef TAPEFLOW_BINARY_ROW
  }
}

template <typename T> void run_program(KernelContext& ctx) {
  const auto& program = ctx.attr<ops::FusedElementwiseAttrs>().program;
  Tensor& out = ctx.output(0);
  const int64_t n = out.size();
  if (n == 0) return;
  const int num_inputs = static_cast<int>(ctx.inputs.size());
  std::vector<Tensor> dense;  // contiguous inputs (views are copied once)
  dense.reserve(ctx.inputs.size());
  for (const Tensor& t : ctx.inputs) dense.push_back(t.is_contiguous() ? t : t.contiguous());
  const ElementwisePlan plan = plan_elementwise_registers(program, num_inputs);
  T* po = static_cast<T*>(out.raw_data());
  parallel_for(n, kParallelGrain, [&](int64_t begin, int64_t end) {
    std::vector<T> scratch(static_cast<std::size_t>(plan.num_regs * kBlock));
    for (int64_t b = begin; b < end; b += kBlock) {
      const int64_t len = std::min(kBlock, end - b);
      auto operand = [&](int k) -> Operand<T> {
        if (k < 0) return {nullptr, true};
        if (k < num_inputs) {
          const Tensor& t = dense[static_cast<std::size_t>(k)];
          const T* p = static_cast<const T*>(t.raw_data());
          return t.size() == 1 && n != 1 ? Operand<T>{p, true} : Operand<T>{p + b, false};
        }
        const int r = plan.reg[static_cast<std::size_t>(k - num_inputs)];
        return {scratch.data() + r * kBlock, false};
      };
      for (std::size_t j = 0; j < program.size(); ++j) {
        const ops::ElementwiseStep& s = program[j];
        const int r = plan.reg[j];
        T* dest = r < 0 ? po + b : scratch.data() + r * kBlock;
        step_block<T>(s.op, operand(s.a), operand(s.b), dest, len);
      }
    }
  });
}

void fused_elementwise_kernel(KernelContext& ctx) {
  visit_floating(ctx.output(0).dtype(), ctx.op.name, [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>)
      run_program<T>(ctx);
    else
      TF_CHECK_ARG(false, ctx.op.name, "_FusedElementwise is defined for float32 and float64, got ",
                   dtype_name(ctx.output(0).dtype()));
  });
}

}  // namespace

void register_fused_elementwise_kernels() {
  register_kernel(ops::FusedElementwise, DeviceType::kCPU, fused_elementwise_kernel);
}

}  // namespace tapeflow::kernels::cpu
