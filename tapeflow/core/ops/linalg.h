// Linear algebra: tf.matmul (TF ops MatMul for two matrices, BatchMatMulV2 for batches with
// broadcast batch dimensions) and tf.tensordot (a composition of transpose, reshape and matmul).
#pragma once
#include <utility>
#include <vector>

#include "tapeflow/core/dispatch.h"

namespace tapeflow {

/// tf.matmul's keyword arguments: `tf::matmul(a, b, {.transpose_b = true})`.
/// Tensors are real, so adjoint_x means transpose_x; setting both for one operand is an error, as in TF.
struct MatMulOptions {
  bool transpose_a = false;
  bool transpose_b = false;
  bool adjoint_a = false;
  bool adjoint_b = false;
};

/// tf.matmul: a (..., M, K) times b (..., K, N) -> (..., M, N); the batch dimensions broadcast
/// (NumPy rules), and each operand may be transposed in its last two axes. Both need rank >= 2
/// and the same dtype: float16, bfloat16, float32, float64, int32 or int64.
/// `tf::matmul(x, w)`, `tf::matmul(q, k, {.transpose_b = true})` (B, T, T).
Tensor matmul(const Tensor& a, const Tensor& b, MatMulOptions options = {});
/// TF's positional form: `tf::matmul(a, b, false, true)`.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b = false);

/// tf.tensordot with `axes` = N: contracts the last N axes of a with the first N axes of b.
/// `tf::tensordot(a, b, 1)` of (2, 3) and (3, 4) is matmul; 0 is the outer product.
Tensor tensordot(const Tensor& a, const Tensor& b, int axes);
/// tf.tensordot with `axes` = [a_axes, b_axes]: contracts a's a_axes with b's b_axes pairwise;
/// the result has a's free axes then b's. `tf::tensordot(a, b, {{1, 2}, {0, 1}})`.
Tensor tensordot(const Tensor& a, const Tensor& b, const std::pair<std::vector<int>, std::vector<int>>& axes);

namespace ops {
extern OpDef MatMul, BatchMatMulV2;
/// Whether each operand is transposed in its last two axes (TF's transpose_a/b, adj_x/adj_y).
struct MatMulAttrs : OpAttrsBase<MatMulAttrs> {
  bool transpose_a = false;
  bool transpose_b = false;
  std::string to_string() const override;
};
void register_linalg_ops();
}  // namespace ops

}  // namespace tapeflow
