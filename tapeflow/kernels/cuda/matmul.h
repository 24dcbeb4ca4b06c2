// Batched matrix products on the GPU through cuBLAS (cublasGemmStridedBatchedEx), for the
// MatMul / BatchMatMulV2 kernels. float32 uses TF32 tensor cores unless
// tf::config::enable_tensor_float_32_execution(false); float16/bfloat16 accumulate in float32.
// The MatMul / BatchMatMulV2 GPU kernels (linalg.cu) reduce broadcast batch dims to strides and
// call gemm_strided_batched.
#pragma once
#include <cstdint>

#include "tapeflow/core/dtype.h"

namespace tapeflow::kernels::cuda {

/// C[i] = op(A[i]) @ op(B[i]) for i < batch, all row-major: op(A) is (m, k), op(B) (k, n), C (m, n).
/// A is stored (m, k), or (k, m) when transpose_a; B (k, n), or (n, k) when transpose_b.
/// Strides are in elements between consecutive matrices (0 broadcasts one matrix to every batch).
/// lda/ldb are the stored matrices' row strides (0: compact, i.e. the stored row length); C is compact.
struct GemmArgs {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  bool transpose_a = false, transpose_b = false;
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;
  int64_t lda = 0, ldb = 0;
};

/// Queues the product on the device's stream. dtype: float32, float64, float16 or bfloat16
/// (others are an UnimplementedError naming the dtype).
void gemm_strided_batched(DType dtype, const void* a, const void* b, void* c, const GemmArgs& args, int device);

}  // namespace tapeflow::kernels::cuda
