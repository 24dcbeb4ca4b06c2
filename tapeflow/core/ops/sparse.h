// SparseTensor (tf.sparse.SparseTensor): COO storage of a mostly-zero tensor as int64 indices
// (N, rank), values (N,) and an int64 dense_shape (rank,); and the tf.sparse ops over it:
// to_dense, from_dense, reorder, add, reduce_sum, sparse_dense_matmul. All run on CPU:0.
#pragma once
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/scalar.h"

namespace tapeflow::sparse {

/// Construction checks shapes as TF does (indices (N, rank), values (N,), dense_shape (rank,),
/// non-negative dense_shape); index bounds and ordering are checked by the ops that need them
/// (to_dense, add, ...), with TF's messages. int32 indices/dense_shape are converted to int64.
class SparseTensor {
 public:
  SparseTensor() = default;
  /// `tf::sparse::SparseTensor(tf::constant({{0, 0}, {1, 2}}), tf::constant({1, 2}), tf::constant({3, 4}))`.
  SparseTensor(const Tensor& indices, const Tensor& values, const Tensor& dense_shape);
  /// `tf::sparse::SparseTensor({{0, 0}, {1, 2}}, tf::constant({1, 2}), {3, 4})`.
  SparseTensor(const std::vector<std::vector<int64_t>>& indices, const Tensor& values,
               const std::vector<int64_t>& dense_shape);

  bool defined() const noexcept { return values_.defined(); }
  const Tensor& indices() const { return indices_; }
  const Tensor& values() const { return values_; }
  const Tensor& dense_shape() const { return dense_shape_; }
  /// dense_shape as a Shape: (3, 4).
  const Shape& shape() const { return shape_; }
  DType dtype() const { return values_.dtype(); }
  int rank() const { return shape_.rank(); }
  /// Number of stored entries N.
  int64_t nnz() const { return values_.shape()[0]; }
  /// Same indices and shape, other values (N,).
  SparseTensor with_values(const Tensor& new_values) const;

 private:
  Tensor indices_, values_, dense_shape_;
  Shape shape_;
};

/// SparseTensor(indices=tf.Tensor(...), values=tf.Tensor(...), dense_shape=tf.Tensor(...))
std::ostream& operator<<(std::ostream& os, const SparseTensor& sp);

/// tf.sparse.to_dense: a dense tensor with default_value (0 / "") where no index is given. With
/// validate_indices, out-of-bounds, out-of-order and repeated indices are InvalidArgumentErrors.
Tensor to_dense(const SparseTensor& sp, std::optional<Scalar> default_value = std::nullopt,
                bool validate_indices = true);
Tensor to_dense(const SparseTensor& sp, const std::string& default_value, bool validate_indices = true);
/// tf.sparse.from_dense: the non-zero (non-empty for strings) entries, in row-major order.
SparseTensor from_dense(const Tensor& tensor);
/// tf.sparse.reorder: the same entries with indices in row-major (lexicographic) order.
SparseTensor reorder(const SparseTensor& sp);
/// tf.sparse.add of two sparse tensors (same dense_shape): entries at the same index are summed;
/// with threshold > 0, sums whose magnitude is below it are dropped.
SparseTensor add(const SparseTensor& a, const SparseTensor& b, double threshold = 0);
/// tf.sparse.add of a sparse and a dense tensor (same shape): a dense tensor.
Tensor add(const SparseTensor& a, const Tensor& b);
Tensor add(const Tensor& a, const SparseTensor& b);
/// tf.sparse.reduce_sum: dense result; axis omitted sums everything; negative axes count from the end.
Tensor reduce_sum(const SparseTensor& sp, std::optional<std::vector<int>> axis = std::nullopt, bool keepdims = false);
/// tf.sparse.sparse_dense_matmul: (M, K) sparse x (K, N) dense -> (M, N) dense; adjoints transpose.
Tensor sparse_dense_matmul(const SparseTensor& a, const Tensor& b, bool adjoint_a = false, bool adjoint_b = false);

}  // namespace tapeflow::sparse

namespace tapeflow::ops {
extern OpDef SparseToDense, SparseReorder, SparseFromDense, SparseAdd, SparseTensorDenseAdd, SparseReduceSum,
    SparseTensorDenseMatMul;
struct SparseToDenseAttrs : OpAttrsBase<SparseToDenseAttrs> {
  bool validate_indices = true;
};
struct SparseAddAttrs : OpAttrsBase<SparseAddAttrs> {
  double threshold = 0;
};
struct SparseReduceSumAttrs : OpAttrsBase<SparseReduceSumAttrs> {
  std::vector<int> axes;             // normalized, sorted
  std::vector<int64_t> dense_shape;  // of the input
};
struct SparseMatMulAttrs : OpAttrsBase<SparseMatMulAttrs> {
  bool adjoint_a = false, adjoint_b = false;
};
void register_sparse_ops();
}  // namespace tapeflow::ops
