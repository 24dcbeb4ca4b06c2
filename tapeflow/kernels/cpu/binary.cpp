// CPU kernels of the binary elementwise ops: one template over (functor, dtype) with a
// contiguous fast path and a strided/broadcast path through StridedLoop, registered per row of
// core/ops/binary_table.h.
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/unary.h"
#include "tapeflow/kernels/cpu/loops.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/cpu/stream_store.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cpu {
namespace {

#if TF_CPU_STREAM
/// One dense output row with streaming stores (Note [Streaming stores for large outputs]).
/// kOne: 0, or 1 (2) when a (b) is one value along the row (stride 0, as in a column broadcast
/// g[i] * x[i, j]): held in a register, so that the piece loop vectorizes.
template <typename Fn, typename T, typename Out, int kOne>
void binary_row_streamed(const T* __restrict a, int64_t sa, const T* __restrict b, int64_t sb, Out* __restrict o,
                         int64_t n) {
  using C = compute_t<T>;
  Fn fn;
  if (n <= 0) return;
  const C av = static_cast<C>(a[0]), bv = static_cast<C>(b[0]);
#define TF_BINARY_AT(i) \
  static_cast<Out>(fn(kOne == 1 ? av : static_cast<C>(a[(i) * sa]), kOne == 2 ? bv : static_cast<C>(b[(i) * sb])))
  constexpr int64_t kPiece = 64 / static_cast<int64_t>(sizeof(Out));
  int64_t i = 0;
  // Scalar up to the first 16-byte boundary of o (elements are at least element-aligned).
  for (; i < n && (reinterpret_cast<std::uintptr_t>(o + i) & 15) != 0; ++i) o[i] = TF_BINARY_AT(i);
  alignas(64) Out piece[kPiece];
  for (; i + kPiece <= n; i += kPiece) {
    for (int64_t k = 0; k < kPiece; ++k) piece[k] = TF_BINARY_AT(i + k);
    stream_piece(o + i, piece);
  }
  for (; i < n; ++i) o[i] = TF_BINARY_AT(i);
#undef TF_BINARY_AT
  stream_fence();
}
#endif

template <typename Fn, typename T, typename Out>
inline void binary_row(const T* __restrict a, int64_t sa, const T* __restrict b, int64_t sb, Out* __restrict o,
                       int64_t so, int64_t n) {
  using C = compute_t<T>;
  Fn fn;
  if (sa == 1 && sb == 1 && so == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<Out>(fn(static_cast<C>(a[i]), static_cast<C>(b[i])));
  } else if (sa == 1 && sb == 0 && so == 1) {
    const C bv = static_cast<C>(b[0]);
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<Out>(fn(static_cast<C>(a[i]), bv));
  } else if (sa == 0 && sb == 1 && so == 1) {
    const C av = static_cast<C>(a[0]);
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<Out>(fn(av, static_cast<C>(b[i])));
  } else {
    for (int64_t i = 0; i < n; ++i)
      o[i * so] = static_cast<Out>(fn(static_cast<C>(a[i * sa]), static_cast<C>(b[i * sb])));
  }
}

/// One row of the output: with streaming stores when kStream and the row is dense (Note
/// [Streaming stores for large outputs]), else binary_row.
template <bool kStream, typename Fn, typename T, typename Out>
inline void binary_row_to(const T* a, int64_t sa, const T* b, int64_t sb, Out* o, int64_t so, int64_t n) {
#if TF_CPU_STREAM
  if constexpr (kStream)
    if (so == 1) {
      if (sa == 0 && sb != 0) return binary_row_streamed<Fn, T, Out, 1>(a, sa, b, sb, o, n);
      if (sb == 0 && sa != 0) return binary_row_streamed<Fn, T, Out, 2>(a, sa, b, sb, o, n);
      return binary_row_streamed<Fn, T, Out, 0>(a, sa, b, sb, o, n);
    }
#endif
  binary_row<Fn, T, Out>(a, sa, b, sb, o, so, n);
}

/// Every row of the output: same-shape dense operands split over the pool (small sizes on the
/// calling thread), anything else (broadcasts, strides) as a strided loop.
template <bool kStream, typename Fn, typename T, typename Out>
void binary_rows(const Tensor& a, const Tensor& b, const Tensor& out, const T* pa, const T* pb, Out* po, int64_t n) {
  if (a.is_contiguous() && b.is_contiguous() && a.shape() == b.shape()) {
    // The hot path: same shape, dense. Small sizes skip the parallel machinery entirely.
    if (n <= kParallelGrain) return binary_row_to<kStream, Fn, T, Out>(pa, 1, pb, 1, po, 1, n);
    parallel_for(n, kParallelGrain, [&](int64_t s, int64_t e) {
      binary_row_to<kStream, Fn, T, Out>(pa + s, 1, pb + s, 1, po + s, 1, e - s);
    });
    return;
  }
  std::array<DimVector, 3> strides = {broadcast_strides(a, out.shape()), broadcast_strides(b, out.shape()),
                                      out.strides()};
  StridedLoop<3> loop = make_loop<3>(out.shape(), strides);
  run_loop<3>(loop, {(char*)pa, (char*)pb, (char*)po}, {sizeof(T), sizeof(T), sizeof(Out)},
              [](const std::array<char*, 3>& p, int64_t len, const std::array<int64_t, 3>& s) {
                binary_row_to<kStream, Fn, T, Out>((const T*)p[0], s[0], (const T*)p[1], s[1], (Out*)p[2], s[2], len);
              });
}

template <typename Fn, typename T, typename Out> void run_binary(const Tensor& a, const Tensor& b, Tensor& out) {
  const int64_t n = out.size();
  if (n == 0) return;
  const T* pa = static_cast<const T*>(a.raw_data());
  const T* pb = static_cast<const T*>(b.raw_data());
  Out* po = static_cast<Out*>(out.raw_data());
#if TF_CPU_STREAM
  // Note [Streaming stores for large outputs].
  constexpr bool kStreamable = std::is_trivially_copyable_v<Out> && (sizeof(Out) == 4 || sizeof(Out) == 8);
  if constexpr (kStreamable)
    if (n * static_cast<int64_t>(sizeof(Out)) >= kStreamBytes && out.is_contiguous())
      return binary_rows<true, Fn, T, Out>(a, b, out, pa, pb, po, n);
#endif
  binary_rows<false, Fn, T, Out>(a, b, out, pa, pb, po, n);
}

/// The kernel of a binary_table.h row: `Fn` over the dtypes the row accepts.
template <typename Fn, ops::BinaryAccepts kAccepts, ops::BinaryOutput kOutput> void table_kernel(KernelContext& ctx) {
  const Tensor &a = ctx.input(0), &b = ctx.input(1);
  Tensor& out = ctx.output(0);
  auto run = [&]<typename T>() {
    using Out = std::conditional_t<kOutput == ops::BinaryOutput::Bool, bool, T>;
    run_binary<Fn, T, Out>(a, b, out);
  };
  if constexpr (kAccepts == ops::BinaryAccepts::Bool) {
    run.template operator()<bool>();
  } else {
    if constexpr (kAccepts == ops::BinaryAccepts::Equality) {
      if (a.dtype() == DType::kBool) return run.template operator()<bool>();
      if (a.dtype() == DType::kString) return run.template operator()<std::string>();
    }
    visit_numeric(a.dtype(), ctx.op.name, run);
  }
}

// AddV2 also concatenates strings.
void add_kernel(KernelContext& ctx) {
  if (ctx.input(0).dtype() == DType::kString)
    return run_binary<AddFn, std::string, std::string>(ctx.input(0), ctx.input(1), ctx.output(0));
  table_kernel<AddFn, ops::BinaryAccepts::Numeric, ops::BinaryOutput::Same>(ctx);
}

// TF's CPU kernels reject integer division by zero and negative integer exponents up front.
void check_integer_values(KernelContext& ctx, bool is_pow) {
  const Tensor& b = ctx.input(1);
  if (!is_integer(b.dtype())) return;
  visit_numeric(b.dtype(), ctx.op.name, [&]<typename T>() {
    if constexpr (std::is_integral_v<T>) {
      Tensor bc = b.contiguous();
      const T* p = bc.data<T>();
      for (int64_t i = 0; i < bc.size(); ++i) {
        if (is_pow) {
          if constexpr (std::is_signed_v<T>)
            TF_CHECK_ARG(p[i] >= 0, ctx.op.name, "Integers to negative integer powers are not allowed");
        } else {
          TF_CHECK_ARG(p[i] != 0, ctx.op.name, "Integer division by zero");
        }
      }
    }
  });
}
template <typename Fn, bool kIsPow> void checked_integer_kernel(KernelContext& ctx) {
  check_integer_values(ctx, kIsPow);
  table_kernel<Fn, ops::BinaryAccepts::Numeric, ops::BinaryOutput::Same>(ctx);
}

}  // namespace

void register_binary_kernels() {
  const DeviceType cpu = DeviceType::kCPU;
#define TAPEFLOW_REGISTER_KERNEL(Op, tf_name, fn, Functor, Accepts, Output) \
  register_kernel(ops::Op, cpu, table_kernel<Functor, ops::BinaryAccepts::Accepts, ops::BinaryOutput::Output>);
  TAPEFLOW_BINARY_OPS(TAPEFLOW_REGISTER_KERNEL)
#undef TAPEFLOW_REGISTER_KERNEL
  // The CPU's own checks, replacing the rows' kernels.
  register_kernel(ops::Add, cpu, add_kernel);
  register_kernel(ops::FloorDiv, cpu, checked_integer_kernel<FloorDivFn, false>);
  register_kernel(ops::FloorMod, cpu, checked_integer_kernel<FloorModFn, false>);
  register_kernel(ops::Pow, cpu, checked_integer_kernel<PowFn, true>);
}

}  // namespace tapeflow::kernels::cpu
