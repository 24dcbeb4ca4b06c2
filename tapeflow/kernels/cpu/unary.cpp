// CPU kernels of the unary elementwise ops and activations: one template over (functor, dtype)
// with a contiguous fast path and a strided path, registered per row of core/ops/unary_table.h;
// plus LeakyRelu, Gelu, SelectV2 (where) and Where.
#include <cstdint>
#include <type_traits>

#include "tapeflow/core/ops/unary.h"
#include "tapeflow/kernels/cpu/loops.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cpu {
namespace {

template <typename T, typename Out, typename Fn> void run_unary(const Tensor& x, Tensor& out, Fn fn) {
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

/// The kernel of a unary_table.h row: `Fn` over the dtypes the row accepts.
template <typename Fn, ops::UnaryAccepts kAccepts, ops::UnaryOutput kOutput> void table_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& out = ctx.output(0);
  auto run = [&]<typename T>() {
    using Out = std::conditional_t<kOutput == ops::UnaryOutput::Bool, bool, T>;
    run_unary<T, Out>(x, out, Fn{});
  };
  if constexpr (kAccepts == ops::UnaryAccepts::Bool) {
    run.template operator()<bool>();
  } else if constexpr (kAccepts == ops::UnaryAccepts::Floating) {
    visit_floating(x.dtype(), ctx.op.name, run);
  } else {
    visit_numeric(x.dtype(), ctx.op.name, run);
  }
}
void leaky_relu_kernel(KernelContext& ctx) {
  LeakyReluFn fn{ctx.attr<ops::LeakyReluAttrs>().alpha};
  visit_floating(ctx.input(0).dtype(), ctx.op.name,
                 [&]<typename T>() { run_unary<T, T>(ctx.input(0), ctx.output(0), fn); });
}
void gelu_kernel(KernelContext& ctx) {
  using ops::UnaryAccepts, ops::UnaryOutput;
  if (ctx.attr<ops::GeluAttrs>().approximate)
    return table_kernel<GeluTanhFn, UnaryAccepts::Floating, UnaryOutput::Same>(ctx);
  table_kernel<GeluFn, UnaryAccepts::Floating, UnaryOutput::Same>(ctx);
}

// Note [Branch-free select]
// where(cond, x, y) over contiguous rows: a branch per element mispredicts on every other
// element of a random condition (an (8192, 4096) float32 where ran at 16% of the streaming
// bandwidth), and GCC keeps `c ? a : b` of floats as a branch. The rows instead move bits: the
// condition byte becomes an all-ones or all-zeros mask of the element's width and the result is
// (x & mask) | (y & ~mask), integer operations that GCC vectorizes (AVX2 body and baseline body,
// Note [CPU kernels per instruction set]). Bits only: NaN payloads and signed zeros pass unchanged.
template <std::size_t kSize> struct SameSizeBits;
template <> struct SameSizeBits<1> { typedef uint8_t __attribute__((may_alias)) type; };
template <> struct SameSizeBits<2> { typedef uint16_t __attribute__((may_alias)) type; };
template <> struct SameSizeBits<4> { typedef uint32_t __attribute__((may_alias)) type; };
template <> struct SameSizeBits<8> { typedef uint64_t __attribute__((may_alias)) type; };

template <typename U>
TF_ALWAYS_INLINE void select_bits(const unsigned char* __restrict c, const U* __restrict a, const U* __restrict b,
                                  U* __restrict o, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const U m = c[i] != 0 ? static_cast<U>(~U{0}) : U{0};
    o[i] = static_cast<U>((a[i] & m) | (b[i] & static_cast<U>(~m)));
  }
}
template <typename U>
TF_TARGET_AVX2 void select_bits_avx2(const unsigned char* c, const U* a, const U* b, U* o, int64_t n) {
  select_bits(c, a, b, o, n);
}
template <typename U> void select_bits_base(const unsigned char* c, const U* a, const U* b, U* o, int64_t n) {
  select_bits(c, a, b, o, n);
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
                  if constexpr (std::is_trivially_copyable_v<T> &&
                                (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8)) {
                    if (s[0] == 1 && s[1] == 1 && s[2] == 1 && s[3] == 1) {
                      // Contiguous rows: Note [Branch-free select].
                      using U = typename SameSizeBits<sizeof(T)>::type;
                      const auto* c8 = reinterpret_cast<const unsigned char*>(cb);
                      if (cpu_has_avx2())
                        select_bits_avx2<U>(c8, (const U*)xa, (const U*)ya, (U*)o, n);
                      else
                        select_bits_base<U>(c8, (const U*)xa, (const U*)ya, (U*)o, n);
                      return;
                    }
                  }
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
#define TAPEFLOW_REGISTER_KERNEL(Op, fn, Functor, Accepts, Output) \
  register_kernel(ops::Op, cpu, table_kernel<Functor, ops::UnaryAccepts::Accepts, ops::UnaryOutput::Output>);
  TAPEFLOW_UNARY_OPS(TAPEFLOW_REGISTER_KERNEL)
#undef TAPEFLOW_REGISTER_KERNEL
  register_kernel(ops::LeakyRelu, cpu, leaky_relu_kernel);
  register_kernel(ops::Gelu, cpu, gelu_kernel);
  register_kernel(ops::SelectV2, cpu, select_kernel);
  register_kernel(ops::Where, cpu, where_kernel);
}

}  // namespace tapeflow::kernels::cpu
