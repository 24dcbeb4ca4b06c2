// cuBLAS wrapper for row-major batched matrix products (see matmul.h). cuBLAS is column-major:
// a row-major (r, c) matrix is its column-major transpose, so C = op(A) op(B) is computed as
// C^T = op(B)^T op(A)^T with the operands swapped, and no data moves.
#include "tapeflow/core/config.h"
#include "tapeflow/cuda/cublas_lock.h"
#include "tapeflow/cuda/cuda_check.h"
#include "tapeflow/cuda/cuda_context.h"
#include "tapeflow/kernels/cuda/matmul.h"

namespace tapeflow::kernels::cuda {

void gemm_strided_batched(DType dtype, const void* a, const void* b, void* c, const GemmArgs& g, int device) {
  if (g.batch == 0 || g.m == 0 || g.n == 0) return;
  cudaDataType_t data;
  cublasComputeType_t compute;
  switch (dtype) {
    case DType::kFloat32:
      data = CUDA_R_32F;
      compute = config::tensor_float_32_execution_enabled() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
      break;
    case DType::kFloat64:
      data = CUDA_R_64F;
      compute = CUBLAS_COMPUTE_64F;
      break;
    case DType::kFloat16:
      data = CUDA_R_16F;
      compute = CUBLAS_COMPUTE_32F;
      break;
    case DType::kBFloat16:
      data = CUDA_R_16BF;
      compute = CUBLAS_COMPUTE_32F;
      break;
    default:
      TF_THROW(UnimplementedError, "BatchMatMulV2",
               "matmul on GPU supports float16, bfloat16, float32 and float64, not ", dtype_name(dtype));
  }
  // Leading dimensions are the stored row lengths unless given.
  const int64_t lda64 = g.lda ? g.lda : (g.transpose_a ? g.m : g.k);
  const int64_t ldb64 = g.ldb ? g.ldb : (g.transpose_b ? g.k : g.n);
  TF_CHECK_ARG(g.m <= INT32_MAX && g.n <= INT32_MAX && g.k <= INT32_MAX && g.batch <= INT32_MAX && lda64 <= INT32_MAX &&
                   ldb64 <= INT32_MAX,
               "BatchMatMulV2", "matmul dimensions must fit in int32 for cuBLAS, got m=", g.m, " n=", g.n, " k=", g.k,
               " batch=", g.batch, " lda=", lda64, " ldb=", ldb64);
  ::tapeflow::cuda::set_device(device);
  cublasHandle_t handle = ::tapeflow::cuda::cublas_handle(device);
  const int lda = static_cast<int>(lda64), ldb = static_cast<int>(ldb64);
  const cublasOperation_t op_b = g.transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_a = g.transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const double alpha64 = 1.0, beta64 = 0.0;
  const float alpha32 = 1.0f, beta32 = 0.0f;
  const void* alpha = compute == CUBLAS_COMPUTE_64F ? static_cast<const void*>(&alpha64) : &alpha32;
  const void* beta = compute == CUBLAS_COMPUTE_64F ? static_cast<const void*>(&beta64) : &beta32;
  if (g.k == 0) {
    // cuBLAS leaves C untouched for k = 0; the product of empty matrices is zeros.
    cudaStream_t s = ::tapeflow::cuda::stream(device);
    for (int64_t i = 0; i < g.batch; ++i)
      TF_CUDA_CHECK(cudaMemsetAsync(static_cast<char*>(c) + i * g.stride_c * static_cast<int64_t>(dtype_size(dtype)), 0,
                                    static_cast<std::size_t>(g.m * g.n) * dtype_size(dtype), s));
    return;
  }
  // Halves: no reduced-precision (16-bit) split-K reductions, so the result is rounded once
  // from float32 accumulation as on the CPU. The math mode is the handle's, shared by all
  // host threads: set it and queue the product under the handle's lock.
  std::lock_guard<std::mutex> lock(::tapeflow::cuda::cublas_mutex(device));
  TF_CUBLAS_CHECK(cublasSetMathMode(handle, compute == CUBLAS_COMPUTE_32F && data != CUDA_R_32F
                                                ? CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION
                                                : CUBLAS_DEFAULT_MATH));
  TF_CUBLAS_CHECK(cublasGemmStridedBatchedEx(handle, op_b, op_a, static_cast<int>(g.n), static_cast<int>(g.m),
                                             static_cast<int>(g.k), alpha, b, data, ldb, g.stride_b, a, data, lda,
                                             g.stride_a, beta, c, data, static_cast<int>(g.n), g.stride_c,
                                             static_cast<int>(g.batch), compute, CUBLAS_GEMM_DEFAULT));
}

}  // namespace tapeflow::kernels::cuda
