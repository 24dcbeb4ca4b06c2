// CPU kernels of the unary elementwise ops and activations: one template over (functor, dtype)
// with a contiguous fast path and a strided path; plus SelectV2 (where) and Where.
#include "tapeflow/core/ops/activation.h"
#include "tapeflow/kernels/cpu/loops.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cpu {
namespace {

template <typename T, typename Out, typename Fn>
void run_unary(const Tensor& x, Tensor& out, Fn fn) {
  using C = compute_t<T>;
  if (x.size() == 0) return;
  if (x.is_contiguous()) {
    const T* in = static_cast<const T*>(x.raw_data());
    Out* o = static_cast<Out*>(out.raw_data());
    parallel_for(x.size(), kParallelGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = static_cast<Out>(fn(static_cast<C>(in[i])));
    });
    return;
  }
  std::array<DimVector, 2> strides = {x.strides(), out.strides()};
  StridedLoop<2> loop = make_loop<2>(x.shape(), strides);
  run_loop<2>(loop, {(char*)x.raw_data(), (char*)out.raw_data()}, {sizeof(T), sizeof(Out)},
              [&](const std::array<char*, 2>& p, int64_t n, const std::array<int64_t, 2>& s) {
                const T* in = (const T*)p[0];
                Out* o = (Out*)p[1];
                for (int64_t i = 0; i < n; ++i) o[i * s[1]] = static_cast<Out>(fn(static_cast<C>(in[i * s[0]])));
              });
}

template <typename Fn>
void floating_kernel(KernelContext& ctx) {
  visit_floating(ctx.input(0).dtype(), ctx.op.name,
                 [&]<typename T>() { run_unary<T, T>(ctx.input(0), ctx.output(0), Fn{}); });
}
template <typename Fn>
void numeric_kernel(KernelContext& ctx) {
  visit_numeric(ctx.input(0).dtype(), ctx.op.name,
                [&]<typename T>() { run_unary<T, T>(ctx.input(0), ctx.output(0), Fn{}); });
}
template <typename Fn>
void predicate_kernel(KernelContext& ctx) {
  visit_floating(ctx.input(0).dtype(), ctx.op.name,
                 [&]<typename T>() { run_unary<T, bool>(ctx.input(0), ctx.output(0), Fn{}); });
}
void logical_not_kernel(KernelContext& ctx) { run_unary<bool, bool>(ctx.input(0), ctx.output(0), LogicalNotFn{}); }
void leaky_relu_kernel(KernelContext& ctx) {
  LeakyReluFn fn{ctx.attr<ops::LeakyReluAttrs>().alpha};
  visit_floating(ctx.input(0).dtype(), ctx.op.name,
                 [&]<typename T>() { run_unary<T, T>(ctx.input(0), ctx.output(0), fn); });
}
void gelu_kernel(KernelContext& ctx) {
  if (ctx.attr<ops::GeluAttrs>().approximate) return floating_kernel<GeluTanhFn>(ctx);
  floating_kernel<GeluFn>(ctx);
}

void select_kernel(KernelContext& ctx) {
  const Tensor &c = ctx.input(0), &x = ctx.input(1), &y = ctx.input(2);
  Tensor& out = ctx.output(0);
  if (out.size() == 0) return;
  std::array<DimVector, 4> strides = {broadcast_strides(c, out.shape()), broadcast_strides(x, out.shape()),
                                      broadcast_strides(y, out.shape()), out.strides()};
  StridedLoop<4> loop = make_loop<4>(out.shape(), strides);
  visit_all(x.dtype(), "SelectV2", [&]<typename T>() {
    run_loop<4>(loop, {(char*)c.raw_data(), (char*)x.raw_data(), (char*)y.raw_data(), (char*)out.raw_data()},
                {1, sizeof(T), sizeof(T), sizeof(T)},
                [](const std::array<char*, 4>& p, int64_t n, const std::array<int64_t, 4>& s) {
                  const bool* cb = (const bool*)p[0];
                  const T* xa = (const T*)p[1];
                  const T* ya = (const T*)p[2];
                  T* o = (T*)p[3];
                  for (int64_t i = 0; i < n; ++i) o[i * s[3]] = cb[i * s[0]] ? xa[i * s[1]] : ya[i * s[2]];
                });
  });
}

void where_kernel(KernelContext& ctx) {
  const Tensor c = ctx.input(0).contiguous();
  const bool* p = static_cast<const bool*>(c.raw_data());
  const int r = c.ndim();
  int64_t count = 0;
  for (int64_t i = 0; i < c.size(); ++i) count += p[i];
  Tensor out = Tensor::empty(Shape{count, r}, DType::kInt64, ctx.device);
  int64_t* o = static_cast<int64_t*>(out.raw_data());
  DimVector st = contiguous_strides(c.shape());
  for (int64_t i = 0, k = 0; i < c.size(); ++i) {
    if (!p[i]) continue;
    int64_t rem = i;
    for (int d = 0; d < r; ++d) {
      o[k * r + d] = rem / st[static_cast<std::size_t>(d)];
      rem %= st[static_cast<std::size_t>(d)];
    }
    ++k;
  }
  ctx.outputs.push_back(out);
}

}  // namespace

void register_unary_kernels() {
  const DeviceType cpu = DeviceType::kCPU;
  register_kernel(ops::Neg, cpu, numeric_kernel<NegFn>);
  register_kernel(ops::Abs, cpu, numeric_kernel<AbsFn>);
  register_kernel(ops::Sign, cpu, numeric_kernel<SignFn>);
  register_kernel(ops::Square, cpu, numeric_kernel<SquareFn>);
  register_kernel(ops::Reciprocal, cpu, numeric_kernel<ReciprocalFn>);
  register_kernel(ops::Sqrt, cpu, floating_kernel<SqrtFn>);
  register_kernel(ops::Rsqrt, cpu, floating_kernel<RsqrtFn>);
  register_kernel(ops::Exp, cpu, floating_kernel<ExpFn>);
  register_kernel(ops::Expm1, cpu, floating_kernel<Expm1Fn>);
  register_kernel(ops::Log, cpu, floating_kernel<LogFn>);
  register_kernel(ops::Log1p, cpu, floating_kernel<Log1pFn>);
  register_kernel(ops::Sin, cpu, floating_kernel<SinFn>);
  register_kernel(ops::Cos, cpu, floating_kernel<CosFn>);
  register_kernel(ops::Tan, cpu, floating_kernel<TanFn>);
  register_kernel(ops::Tanh, cpu, floating_kernel<TanhFn>);
  register_kernel(ops::Sigmoid, cpu, floating_kernel<SigmoidFn>);
  register_kernel(ops::Floor, cpu, floating_kernel<FloorFn>);
  register_kernel(ops::Ceil, cpu, floating_kernel<CeilFn>);
  register_kernel(ops::Round, cpu, floating_kernel<RoundFn>);
  register_kernel(ops::Erf, cpu, floating_kernel<ErfFn>);
  register_kernel(ops::IsNan, cpu, predicate_kernel<IsNanFn>);
  register_kernel(ops::IsInf, cpu, predicate_kernel<IsInfFn>);
  register_kernel(ops::IsFinite, cpu, predicate_kernel<IsFiniteFn>);
  register_kernel(ops::LogicalNot, cpu, logical_not_kernel);
  register_kernel(ops::Relu, cpu, numeric_kernel<ReluFn>);
  register_kernel(ops::Relu6, cpu, numeric_kernel<Relu6Fn>);
  register_kernel(ops::Elu, cpu, floating_kernel<EluFn>);
  register_kernel(ops::Selu, cpu, floating_kernel<SeluFn>);
  register_kernel(ops::Softplus, cpu, floating_kernel<SoftplusFn>);
  register_kernel(ops::Softsign, cpu, floating_kernel<SoftsignFn>);
  register_kernel(ops::LeakyRelu, cpu, leaky_relu_kernel);
  register_kernel(ops::Gelu, cpu, gelu_kernel);
  register_kernel(ops::Silu, cpu, floating_kernel<SiluFn>);
  register_kernel(ops::SelectV2, cpu, select_kernel);
  register_kernel(ops::Where, cpu, where_kernel);
}

}  // namespace tapeflow::kernels::cpu
