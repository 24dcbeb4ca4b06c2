// CPU kernel of MatMul / BatchMatMulV2. float32/float64 call OpenBLAS's cblas_?gemm on every
// batch matrix where it lies: a transposed view is handed to BLAS as the other layout (trans
// flag + leading dimension) rather than copied, and broadcast batch dims are stride-0 offsets.
// float16/bfloat16 widen to float and use sgemm; int32/int64 run an exact wrapping loop.
#include <cblas.h>

#include <algorithm>
#include <climits>
#include <optional>
#include <vector>

#include "tapeflow/core/ops/linalg.h"
#include "tapeflow/kernels/cpu/parallel.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cpu {
namespace {

/// OpenBLAS runs a gemm with m*n*k at most SMP_THRESHOLD_MIN (65536) * GEMM_MULTITHREAD_THRESHOLD
/// (4) on the calling thread only; batches of such small products are spread over our threads
/// instead, and larger ones run one after another, each using all of OpenBLAS's threads.
constexpr int64_t kSingleThreadGemm = 65536 * 4;

/// The matrices of one operand: batch b's matrix starts at data + offsets[b] (elements) and is a
/// stored (rows, cols) matrix with strides (row_stride, col_stride); `transposed` is the op's flag.
template <typename T> struct Operand {
  const T* data = nullptr;
  std::vector<int64_t> offsets;
  int64_t rows = 0, cols = 0, row_stride = 0, col_stride = 0;
  bool transposed = false;
};

/// How BLAS reads a stored matrix without a copy: row-major with leading dimension `ld`, read
/// transposed or not. None when the strides fit neither layout (then the caller copies).
struct BlasLayout {
  bool trans;
  int64_t ld;
};
std::optional<BlasLayout> blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs, bool transposed) {
  // Strides of size-1 dims are arbitrary, so they are ignored.
  if ((cols <= 1 || cs == 1) && (rows <= 1 || rs >= std::max<int64_t>(1, cols)))
    return BlasLayout{transposed, rows <= 1 ? std::max<int64_t>(1, cols) : rs};
  // Column-major (a transposed view): the row-major (cols, rows) matrix, read the other way.
  if ((rows <= 1 || rs == 1) && (cols <= 1 || cs >= std::max<int64_t>(1, rows)))
    return BlasLayout{!transposed, cols <= 1 ? std::max<int64_t>(1, rows) : cs};
  return std::nullopt;
}

/// Per-batch element offsets of a tensor (shape, strides) whose leading dims broadcast to
/// `batch` (NumPy rules).
std::vector<int64_t> batch_offsets(const Shape& shape, const DimVector& strides, const Shape& batch) {
  const int nb = batch.rank(), xb = shape.rank() - 2;
  int64_t count = 1;
  for (int d = 0; d < nb; ++d) count *= batch[d];
  std::vector<int64_t> offsets(static_cast<std::size_t>(count), 0);
  std::vector<int64_t> idx(static_cast<std::size_t>(nb), 0);
  for (int64_t b = 0; b < count; ++b) {
    int64_t off = 0;
    for (int d = 0; d < nb; ++d) {
      int xd = d - (nb - xb);
      if (xd >= 0 && shape[xd] != 1) off += idx[static_cast<std::size_t>(d)] * strides[static_cast<std::size_t>(xd)];
    }
    offsets[static_cast<std::size_t>(b)] = off;
    for (int d = nb - 1; d >= 0; --d) {
      if (++idx[static_cast<std::size_t>(d)] < batch[d]) break;
      idx[static_cast<std::size_t>(d)] = 0;
    }
  }
  return offsets;
}

template <typename T>
Operand<T> make_operand(const Shape& shape, const DimVector& strides, const T* data, bool transposed,
                        const Shape& batch) {
  Operand<T> op;
  op.data = data;
  op.offsets = batch_offsets(shape, strides, batch);
  const int r = shape.rank();
  op.rows = shape[r - 2];
  op.cols = shape[r - 1];
  op.row_stride = strides[static_cast<std::size_t>(r - 2)];
  op.col_stride = strides[static_cast<std::size_t>(r - 1)];
  op.transposed = transposed;
  return op;
}
template <typename T> Operand<T> make_operand(const Tensor& x, bool transposed, const Shape& batch) {
  return make_operand(x.shape(), x.strides(), static_cast<const T*>(x.raw_data()), transposed, batch);
}

/// x itself when BLAS can read its matrices in place, else a contiguous copy.
Tensor blas_readable(const Tensor& x) {
  const int r = x.ndim();
  bool ok = blas_layout(x.shape()[r - 2], x.shape()[r - 1], x.strides()[static_cast<std::size_t>(r - 2)],
                        x.strides()[static_cast<std::size_t>(r - 1)], false)
                .has_value();
  return ok ? x : x.contiguous();
}

/// Output batch shape = all but the last two dims of the output.
Shape batch_shape(const Tensor& out) {
  return Shape(std::span<const int64_t>(out.shape().begin(), out.shape().end() - 2));
}

void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k, const float* a, blasint lda,
          const float* b, blasint ldb, float* c) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
}
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k, const double* a, blasint lda,
          const double* b, blasint ldb, double* c) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, n);
}

/// C[b] = op(A[b]) op(B[b]) for every batch b, with BLAS (T = float or double). c is contiguous.
template <typename T>
void blas_batched(const Operand<T>& a, const Operand<T>& b, int64_t m, int64_t n, int64_t k, T* c) {
  const auto nbatch = static_cast<int64_t>(a.offsets.size());
  if (nbatch == 0 || m == 0 || n == 0) return;
  if (k == 0) {  // an empty sum: zeros (BLAS is not asked to handle k = 0)
    std::fill(c, c + nbatch * m * n, T(0));
    return;
  }
  const BlasLayout la = *blas_layout(a.rows, a.cols, a.row_stride, a.col_stride, a.transposed);
  const BlasLayout lb = *blas_layout(b.rows, b.cols, b.row_stride, b.col_stride, b.transposed);
  for (int64_t v : {m, n, k, la.ld, lb.ld})
    TF_CHECK_TYPED(v <= INT_MAX, UnimplementedError, "MatMul", "matrix dimension ", v,
                   " exceeds what 32-bit BLAS indices can address");
  auto run = [&](int64_t batch) {
    gemm(la.trans ? CblasTrans : CblasNoTrans, lb.trans ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
         static_cast<blasint>(n), static_cast<blasint>(k), a.data + a.offsets[static_cast<std::size_t>(batch)],
         static_cast<blasint>(la.ld), b.data + b.offsets[static_cast<std::size_t>(batch)], static_cast<blasint>(lb.ld),
         c + batch * m * n);
  };
  const int64_t work = m * n * k;
  if (nbatch > 1 && work <= kSingleThreadGemm) {
    parallel_for(nbatch, std::max<int64_t>(1, kParallelGrain / work), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) run(i);
    });
  } else {
    for (int64_t i = 0; i < nbatch; ++i) run(i);
  }
}

template <typename T>
void float_matmul(const Tensor& a_in, const Tensor& b_in, const ops::MatMulAttrs& attrs, Tensor& out) {
  const Tensor a = blas_readable(a_in), b = blas_readable(b_in);
  const Shape batch = batch_shape(out);
  auto oa = make_operand<T>(a, attrs.transpose_a, batch);
  auto ob = make_operand<T>(b, attrs.transpose_b, batch);
  const int64_t k = attrs.transpose_a ? oa.rows : oa.cols;
  blas_batched(oa, ob, out.shape().dim(-2), out.shape().dim(-1), k, static_cast<T*>(out.raw_data()));
}

/// x's elements widened to float, row-major (x read through its strides).
std::vector<float> widen(const Tensor& x) {
  std::vector<float> out;
  visit_floating(x.dtype(), "MatMul", [&]<typename T>() {
    const Tensor c = x.contiguous();
    const T* p = static_cast<const T*>(c.raw_data());
    out.resize(static_cast<std::size_t>(c.size()));
    parallel_for(c.size(), kParallelGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) out[static_cast<std::size_t>(i)] = static_cast<float>(p[i]);
    });
  });
  return out;
}

/// float16/bfloat16: widen both operands to float, sgemm, round once at the end (as TF's CPU
/// kernels accumulate halves in float).
template <typename T> void half_matmul(const Tensor& a, const Tensor& b, const ops::MatMulAttrs& attrs, Tensor& out) {
  const std::vector<float> af = widen(a), bf = widen(b);
  const Shape batch = batch_shape(out);
  auto oa = make_operand(a.shape(), contiguous_strides(a.shape()), af.data(), attrs.transpose_a, batch);
  auto ob = make_operand(b.shape(), contiguous_strides(b.shape()), bf.data(), attrs.transpose_b, batch);
  const int64_t k = attrs.transpose_a ? oa.rows : oa.cols;
  std::vector<float> c(static_cast<std::size_t>(out.size()));
  blas_batched(oa, ob, out.shape().dim(-2), out.shape().dim(-1), k, c.data());
  T* o = static_cast<T*>(out.raw_data());
  parallel_for(out.size(), kParallelGrain, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) o[i] = T(c[static_cast<std::size_t>(i)]);
  });
}

// Small row-major integer matrices (the seed's power(x, 100) on 10x10): serial, no operand
// bookkeeping, each row's output in blocks of kBlock columns summed in registers (a compile-time
// width the compiler vectorizes). When n is not a multiple of kBlock, B is first copied into rows
// padded with zeros to a multiple of kBlock, so that every block is a full vector (a scalar tail
// loop cost more than the vector blocks). The sums wrap in U, the unsigned type, where wrapping
// is defined: the bits TF's integer arithmetic gives.
template <typename T>
[[gnu::always_inline]] inline void small_int_matmul(const T* pa, const T* pb, std::make_unsigned_t<T>* c, int64_t m,
                                                    int64_t k, int64_t n) {
  using U = std::make_unsigned_t<T>;
  constexpr int64_t kBlock = 8;
  const int64_t ldb = (n + kBlock - 1) / kBlock * kBlock;
  const U* b = reinterpret_cast<const U*>(pb);  // T's unsigned variant may alias it
  thread_local std::vector<U> padded;
  if (ldb != n) {
    padded.assign(static_cast<std::size_t>(k * ldb), U(0));
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < n; ++j) padded[static_cast<std::size_t>(kk * ldb + j)] = b[kk * n + j];
    b = padded.data();
  }
  for (int64_t i = 0; i < m; ++i) {
    const T* arow = pa + i * k;
    for (int64_t j0 = 0; j0 < n; j0 += kBlock) {
      U acc[kBlock] = {};
      for (int64_t kk = 0; kk < k; ++kk) {
        const U av = static_cast<U>(arow[kk]);
        const U* brow = b + kk * ldb + j0;
        for (int64_t j = 0; j < kBlock; ++j) acc[j] += av * brow[j];
      }
      const int64_t width = std::min(kBlock, n - j0);
      for (int64_t j = 0; j < width; ++j) c[i * n + j0 + j] = acc[j];  // a loop: no memcpy call
    }
  }
}

// The int32 loop built for AVX2 too (8 lanes of vpmulld; baseline x86-64 has no 32-bit vector
// multiply), picked at run time. Same operations in the same order: the same bits.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2"))) void small_int32_matmul_avx2(const int32_t* pa, const int32_t* pb, uint32_t* c,
                                                             int64_t m, int64_t k, int64_t n) {
  small_int_matmul<int32_t>(pa, pb, c, m, k, n);
}
const bool kHasAvx2 = __builtin_cpu_supports("avx2");
#endif

/// int32/int64: exact products, wrapping on overflow like TF's integer arithmetic (computed in
/// the unsigned type, where wrapping is defined). Reads any strides; no copies.
template <typename T> void int_matmul(const Tensor& a, const Tensor& b, const ops::MatMulAttrs& attrs, Tensor& out) {
  using U = std::make_unsigned_t<T>;
  if (a.ndim() == 2 && b.ndim() == 2 && a.is_contiguous() && b.is_contiguous() && !attrs.transpose_a &&
      !attrs.transpose_b && out.size() * a.shape()[1] <= kParallelGrain) {
    const int64_t m = a.shape()[0], k = a.shape()[1], n = b.shape()[1];
    const T *pa = static_cast<const T*>(a.raw_data()), *pb = static_cast<const T*>(b.raw_data());
    U* c = static_cast<U*>(out.raw_data());  // T's unsigned variant may alias it
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if constexpr (std::is_same_v<T, int32_t>) {
      if (kHasAvx2) return small_int32_matmul_avx2(pa, pb, c, m, k, n);
    }
#endif
    return small_int_matmul<T>(pa, pb, c, m, k, n);
  }
  const Shape batch = batch_shape(out);
  auto oa = make_operand<T>(a, attrs.transpose_a, batch);
  auto ob = make_operand<T>(b, attrs.transpose_b, batch);
  const int64_t m = out.shape().dim(-2), n = out.shape().dim(-1), k = attrs.transpose_a ? oa.rows : oa.cols;
  // Strides of op(A) (m, k) and op(B) (k, n).
  const int64_t a_si = oa.transposed ? oa.col_stride : oa.row_stride;
  const int64_t a_sk = oa.transposed ? oa.row_stride : oa.col_stride;
  const int64_t b_sk = ob.transposed ? ob.col_stride : ob.row_stride;
  const int64_t b_sj = ob.transposed ? ob.row_stride : ob.col_stride;
  T* c = static_cast<T*>(out.raw_data());
  const auto rows = static_cast<int64_t>(oa.offsets.size()) * m;
  parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, n * k)), [&](int64_t s, int64_t e) {
    std::vector<U> acc(static_cast<std::size_t>(n));
    for (int64_t r = s; r < e; ++r) {
      const int64_t batch_i = r / m, i = r % m;
      const T* pa = oa.data + oa.offsets[static_cast<std::size_t>(batch_i)] + i * a_si;
      const T* pb = ob.data + ob.offsets[static_cast<std::size_t>(batch_i)];
      std::fill(acc.begin(), acc.end(), U(0));
      for (int64_t kk = 0; kk < k; ++kk) {  // i-k-j order: B's rows are walked along j
        const U av = static_cast<U>(pa[kk * a_sk]);
        const T* brow = pb + kk * b_sk;
        for (int64_t j = 0; j < n; ++j) acc[static_cast<std::size_t>(j)] += av * static_cast<U>(brow[j * b_sj]);
      }
      for (int64_t j = 0; j < n; ++j) c[r * n + j] = static_cast<T>(acc[static_cast<std::size_t>(j)]);
    }
  });
}

void matmul_kernel(KernelContext& ctx) {
  const auto& attrs = ctx.attr<ops::MatMulAttrs>();
  const Tensor &a = ctx.input(0), &b = ctx.input(1);
  Tensor& out = ctx.output(0);
  switch (a.dtype()) {
    case DType::kFloat32: return float_matmul<float>(a, b, attrs, out);
    case DType::kFloat64: return float_matmul<double>(a, b, attrs, out);
    case DType::kFloat16: return half_matmul<float16_t>(a, b, attrs, out);
    case DType::kBFloat16: return half_matmul<bfloat16_t>(a, b, attrs, out);
    case DType::kInt32: return int_matmul<int32_t>(a, b, attrs, out);
    case DType::kInt64: return int_matmul<int64_t>(a, b, attrs, out);
    default: detail::throw_bad_dtype(ctx.op.name, a.dtype(), "float16, bfloat16, float32, float64, int32 or int64");
  }
}

}  // namespace

void register_linalg_kernels() {
  register_kernel(ops::MatMul, DeviceType::kCPU, matmul_kernel);
  register_kernel(ops::BatchMatMulV2, DeviceType::kCPU, matmul_kernel);
}

}  // namespace tapeflow::kernels::cpu
