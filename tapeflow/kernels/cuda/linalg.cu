// CUDA kernels of MatMul / BatchMatMulV2, mirroring kernels/cpu/linalg.cpp. Floating dtypes go
// to cuBLAS (matmul.h): each operand's batch dims must reduce to one batch stride (contiguous
// batches, or one matrix broadcast to all) and its matrices must be row- or column-major, which
// covers contiguous tensors and transposed views without a copy; anything else (a mixed
// broadcast such as (2, 1, M, K) @ (1, 3, K, N), a sliced view) is first made contiguous over
// the full batch. int32/int64 use a tiled kernel with exact, wrapping products.
#include <optional>
#include <type_traits>
#include <vector>

#include "tapeflow/core/ops/linalg.h"
#include "tapeflow/kernels/cuda/launch.cuh"
#include "tapeflow/kernels/cuda/matmul.h"
#include "tapeflow/kernels/cuda/registration.h"

namespace tapeflow::kernels::cuda {
namespace {

// ---- integer kernel ---------------------------------------------------------------------------

/// 16x16 output tiles, K walked in 16-wide slabs through shared memory (why 16: 256 threads,
/// one output each; integer matmul is rare enough that a simple tiling is all it needs).
constexpr int kTile = 16;

/// Where op(A) (m, k) and op(B) (k, n) of batch b live: element (i, kk) of op(A) is
/// a[b * a_batch + i * a_si + kk * a_sk], likewise for B with (kk, j).
struct IntGemmGeometry {
  int64_t m, n, k;
  int64_t a_batch, a_si, a_sk, b_batch, b_sk, b_sj;
};

template <typename T>
__global__ void int_matmul_kernel(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ c,
                                  IntGemmGeometry g) {
  using U = std::make_unsigned_t<T>;  // wrapping arithmetic, as TF's integer matmul
  __shared__ U ta[kTile][kTile + 1], tb[kTile][kTile + 1];
  const int64_t batch = blockIdx.z;
  const int64_t i = blockIdx.y * int64_t(kTile) + threadIdx.y, j = blockIdx.x * int64_t(kTile) + threadIdx.x;
  const T* pa = a + batch * g.a_batch;
  const T* pb = b + batch * g.b_batch;
  U acc = 0;
  for (int64_t k0 = 0; k0 < g.k; k0 += kTile) {
    const int64_t ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
    ta[threadIdx.y][threadIdx.x] = (i < g.m && ka < g.k) ? static_cast<U>(pa[i * g.a_si + ka * g.a_sk]) : U(0);
    tb[threadIdx.y][threadIdx.x] = (kb < g.k && j < g.n) ? static_cast<U>(pb[kb * g.b_sk + j * g.b_sj]) : U(0);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTile; ++kk) acc += ta[threadIdx.y][kk] * tb[kk][threadIdx.x];
    __syncthreads();
  }
  if (i < g.m && j < g.n) c[(batch * g.m + i) * g.n + j] = static_cast<T>(acc);
}

// ---- operand planning -------------------------------------------------------------------------

/// One operand as cuBLAS reads it: the stored matrices start every `batch_stride` elements; each
/// is a row-major matrix with row stride `ld`, read transposed when `trans`. For the integer
/// kernel, (row_stride, col_stride) describe the stored matrix directly.
struct Operand {
  Tensor tensor;  // the data (the input itself, or a contiguous copy)
  int64_t batch_stride = 0, rows = 0, cols = 0, row_stride = 0, col_stride = 0;
  bool transposed = false;  // the op's flag
};

/// cuBLAS's view of a stored (rows, cols) matrix with strides (rs, cs), as the CPU kernel's
/// blas_layout: row-major with ld = rs, or column-major read as the other transpose.
struct BlasLayout {
  bool trans;
  int64_t ld;
};
std::optional<BlasLayout> blas_layout(const Operand& o) {
  const int64_t rows = o.rows, cols = o.cols, rs = o.row_stride, cs = o.col_stride;
  if ((cols <= 1 || cs == 1) && (rows <= 1 || rs >= std::max<int64_t>(1, cols)))
    return BlasLayout{o.transposed, rows <= 1 ? std::max<int64_t>(1, cols) : rs};
  if ((rows <= 1 || rs == 1) && (cols <= 1 || cs >= std::max<int64_t>(1, rows)))
    return BlasLayout{!o.transposed, cols <= 1 ? std::max<int64_t>(1, rows) : cs};
  return std::nullopt;
}

/// The one stride between consecutive batch matrices of x when its batch dims (broadcast to
/// `batch`) are a single arithmetic progression, else none.
std::optional<int64_t> uniform_batch_stride(const Tensor& x, const Shape& batch) {
  const int nb = batch.rank(), xb = x.ndim() - 2;
  // Walk the batch dims innermost first: the progression continues through a dim whose stride
  // equals (stride so far) * (count so far); size-1 dims add nothing.
  int64_t stride = -1, count = 1;
  for (int d = nb - 1; d >= 0; --d) {
    if (batch[d] == 1) continue;
    const int xd = d - (nb - xb);
    const int64_t s = (xd >= 0 && x.shape()[xd] != 1) ? x.strides()[static_cast<std::size_t>(xd)] : 0;
    if (stride < 0)
      stride = s;
    else if (s != stride * count)
      return std::nullopt;
    count *= batch[d];
  }
  return stride < 0 ? 0 : stride;
}

Operand make_operand(const Tensor& x, bool transposed, const Shape& batch, bool need_blas_layout) {
  Operand o;
  o.transposed = transposed;
  const int r = x.ndim();
  auto fill = [&](const Tensor& t, int64_t batch_stride) {
    o.tensor = t;
    o.batch_stride = batch_stride;
    o.rows = t.shape()[t.ndim() - 2];
    o.cols = t.shape()[t.ndim() - 1];
    o.row_stride = t.strides()[static_cast<std::size_t>(t.ndim() - 2)];
    o.col_stride = t.strides()[static_cast<std::size_t>(t.ndim() - 1)];
  };
  if (auto s = uniform_batch_stride(x, batch)) {
    fill(x, *s);
    if (!need_blas_layout || blas_layout(o)) return o;
  }
  // Materialize x broadcast over the full batch, contiguous: (batch..., rows, cols).
  DimVector dims(batch.begin(), batch.end());
  dims.push_back(x.shape()[r - 2]);
  dims.push_back(x.shape()[r - 1]);
  const Shape full(dims);
  const Tensor view =
      detail::make_view(x.storage(), full, broadcast_strides(x, full), x.offset(), x.dtype(), x.device());
  fill(view.contiguous(), x.shape()[r - 2] * x.shape()[r - 1]);
  return o;
}

// ---- kernel -------------------------------------------------------------------------------------

void matmul_kernel(KernelContext& ctx) {
  const auto& attrs = ctx.attr<ops::MatMulAttrs>();
  const Tensor &a_in = ctx.input(0), &b_in = ctx.input(1);
  Tensor& out = ctx.output(0);
  if (out.size() == 0) return;
  cudaStream_t s = stream_of(ctx);
  const Shape batch(std::span<const int64_t>(out.shape().begin(), out.shape().end() - 2));
  const int64_t nbatch = batch.num_elements(), m = out.shape().dim(-2), n = out.shape().dim(-1);
  const int64_t k = attrs.transpose_a ? a_in.shape().dim(-2) : a_in.shape().dim(-1);
  const DType dt = a_in.dtype();
  if (k == 0) {  // an empty sum: zeros
    TF_CUDA_CHECK(cudaMemsetAsync(out.raw_data(), 0, static_cast<std::size_t>(out.size()) * dtype_size(dt), s));
    return;
  }
  const bool integer = dt == DType::kInt32 || dt == DType::kInt64;
  const Operand a = make_operand(a_in, attrs.transpose_a, batch, !integer);
  const Operand b = make_operand(b_in, attrs.transpose_b, batch, !integer);

  if (integer) {
    // Strides of op(A) (m, k) and op(B) (k, n).
    IntGemmGeometry g{m,
                      n,
                      k,
                      a.batch_stride,
                      a.transposed ? a.col_stride : a.row_stride,
                      a.transposed ? a.row_stride : a.col_stride,
                      b.batch_stride,
                      b.transposed ? b.col_stride : b.row_stride,
                      b.transposed ? b.row_stride : b.col_stride};
    TF_CHECK_TYPED(nbatch <= 65535, UnimplementedError, ctx.op.name, "integer matmul on GPU supports at most 65535 ",
                   "batch matrices, got ", nbatch);
    const dim3 grid(static_cast<unsigned>((n + kTile - 1) / kTile), static_cast<unsigned>((m + kTile - 1) / kTile),
                    static_cast<unsigned>(nbatch));
    TF_CHECK_TYPED(grid.y <= 65535, UnimplementedError, ctx.op.name, "integer matmul on GPU supports at most ",
                   65535 * kTile, " rows, got ", m);
    const dim3 block(kTile, kTile);
    auto run = [&]<typename T>() {
      int_matmul_kernel<T><<<grid, block, 0, s>>>(static_cast<const T*>(a.tensor.raw_data()),
                                                  static_cast<const T*>(b.tensor.raw_data()),
                                                  static_cast<T*>(out.raw_data()), g);
      TF_CUDA_LAUNCH_CHECK("int_matmul_kernel");
    };
    if (dt == DType::kInt32)
      run.template operator()<int32_t>();
    else
      run.template operator()<int64_t>();
    return;
  }

  const BlasLayout la = *blas_layout(a), lb = *blas_layout(b);
  GemmArgs g;
  g.batch = nbatch;
  g.m = m;
  g.n = n;
  g.k = k;
  g.transpose_a = la.trans;
  g.transpose_b = lb.trans;
  g.lda = la.ld;
  g.ldb = lb.ld;
  g.stride_a = a.batch_stride;
  g.stride_b = b.batch_stride;
  g.stride_c = m * n;
  gemm_strided_batched(dt, a.tensor.raw_data(), b.tensor.raw_data(), out.raw_data(), g, ctx.device.index());
}

}  // namespace

void register_linalg_kernels() {
  register_kernel(ops::MatMul, DeviceType::kGPU, matmul_kernel);
  register_kernel(ops::BatchMatMulV2, DeviceType::kGPU, matmul_kernel);
}

}  // namespace tapeflow::kernels::cuda
