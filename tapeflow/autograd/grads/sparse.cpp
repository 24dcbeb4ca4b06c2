// Gradient rules of the tf.sparse ops (mirrors kernels/cpu/sparse.cpp), after TF's sparse_grad.py.
// Only the values carry gradients; indices and shapes are integers. Where a rule must match
// entries of two sorted index lists (SparseAdd, SparseReorder) it computes integer positions
// first, then moves the gradient with a differentiable gather or segment sum, so that rules of
// rules exist.
#include <algorithm>

#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/unary.h"
#include "tapeflow/core/ops/sparse.h"

namespace tapeflow::autograd {
namespace {
Tensor int64_vector(const std::vector<int64_t>& v) {
  return constant(v, Shape{static_cast<int64_t>(v.size())}, DType::kInt64);
}

// to_dense(SparseTensor(indices, values, dense_shape)): sp_values_grad = gather_nd(g, indices);
// the default fills every other position (TF's _SparseToDenseGrad: sum(g) - sum(values_grad)).
InputGrads sparse_to_dense_grad(const GradContext& c) {
  Tensor values_grad = gather_nd(c.grad(), c.input(0));
  return {std::nullopt, values_grad, reduce_sum(c.grad()) - reduce_sum(values_grad)};
}

// from_dense picks the nonzero entries (TF: Where + GatherNd): their gradient goes back to the
// positions they came from.
InputGrads sparse_from_dense_grad(const GradContext& c) {
  const Tensor& dense = c.input(0);
  const sparse::SparseTensor picked(c.output(0), c.grad(1), int64_vector(dense.shape().as_vector()));
  return {sparse::to_dense(picked, std::nullopt, /*validate_indices=*/false)};
}

// Reorder permutes the values: output[n] = values[perm[n]], so d values[perm[n]] = g[n]. The
// permutation is the reorder of the entry numbers 0..N-1 (TF's _SparseReorderGrad).
InputGrads sparse_reorder_grad(const GradContext& c) {
  const Tensor& indices = c.input(0);
  const int64_t n = indices.shape()[0];
  const Tensor in[2] = {indices, range(0, n, 1, DType::kInt64)};
  const OutputSpec specs[2] = {{indices.shape(), DType::kInt64}, {Shape{n}, DType::kInt64}};
  const Tensor perm = dispatch(ops::SparseReorder, in, nullptr, specs)[1];
  return {std::nullopt, unsorted_segment_sum(c.grad(1), perm, n)};
}

/// For each row of `sub` (sorted), its row number in `all` (sorted), or all.rows when absent:
/// the merge that TF's SparseAddGrad kernel does.
Tensor positions_in(const Tensor& sub, const Tensor& all) {
  const Tensor s = sub.contiguous(), a = all.contiguous();
  const int64_t rank = s.shape()[1], ns = s.shape()[0], na = a.shape()[0];
  const int64_t *ps = s.data<int64_t>(), *pa = a.data<int64_t>();
  std::vector<int64_t> pos(static_cast<std::size_t>(ns), na);
  for (int64_t i = 0, j = 0; i < ns; ++i) {
    const int64_t* x = ps + i * rank;
    while (j < na && std::lexicographical_compare(pa + j * rank, pa + (j + 1) * rank, x, x + rank)) ++j;
    if (j < na && std::equal(x, x + rank, pa + j * rank)) pos[static_cast<std::size_t>(i)] = j;
  }
  return int64_vector(pos);
}

// The sum's entry at an index of a (or b) passes its gradient back; entries the threshold
// dropped pass zero (gathered from a zero appended to g).
InputGrads sparse_add_grad(const GradContext& c) {
  const Tensor& g = c.grad(1);
  const Tensor padded = concat({g, zeros(Shape{1}, g.dtype())}, 0);
  return {std::nullopt, gather(padded, positions_in(c.input(0), c.output(0))), std::nullopt,
          gather(padded, positions_in(c.input(2), c.output(0)))};
}

// out = b + scatter(values): TF's _SparseTensorDenseAddGrad.
InputGrads sparse_dense_add_grad(const GradContext& c) {
  return {std::nullopt, gather_nd(c.grad(), c.input(0)), c.grad()};
}

// Each value lands in the output position its index has once the reduced axes are dropped:
// gather g (viewed with the reduced axes kept as 1s) at the index with those axes zeroed
// (TF's _SparseReduceSumGrad).
InputGrads sparse_reduce_sum_grad(const GradContext& c) {
  const auto& a = c.attr<ops::SparseReduceSumAttrs>();
  Shape kept;
  std::vector<int64_t> keep_axis;
  for (std::size_t d = 0; d < a.dense_shape.size(); ++d) {
    const bool reduced = std::find(a.axes.begin(), a.axes.end(), static_cast<int>(d)) != a.axes.end();
    kept.push_back(reduced ? 1 : a.dense_shape[d]);
    keep_axis.push_back(reduced ? 0 : 1);
  }
  const Tensor at = c.input(0) * int64_vector(keep_axis);
  return {std::nullopt, gather_nd(reshape(c.grad(), kept), at)};
}

// out = op(A) @ op(B) with A sparse (TF's _SparseTensorDenseMatMulGrad):
//   d values[n] = sum_j g[row_n, j] * op(B)[col_n, j]   (row/col of entry n in op(A))
//   d B = op(A)^T @ g, transposed back when adjoint_b.
InputGrads sparse_dense_matmul_grad(const GradContext& c) {
  const auto& a = c.attr<ops::SparseMatMulAttrs>();
  const Tensor &indices = c.input(0), &values = c.input(1), &b = c.input(2), &g = c.grad();
  const Tensor first = indices[{all, 0}], second = indices[{all, 1}];
  const Tensor& row = a.adjoint_a ? second : first;
  const Tensor& col = a.adjoint_a ? first : second;
  const Tensor op_b = a.adjoint_b ? transpose(b) : b;  // (K, N)
  const Tensor values_grad = reduce_sum(gather(g, row) * gather(op_b, col), 1);
  const int64_t m = g.shape()[0], k = op_b.shape()[0];
  const sparse::SparseTensor sp(indices, values,
                                int64_vector(a.adjoint_a ? std::vector<int64_t>{k, m} : std::vector<int64_t>{m, k}));
  const Tensor op_b_grad = sparse::sparse_dense_matmul(sp, g, /*adjoint_a=*/!a.adjoint_a);  // (K, N)
  return {std::nullopt, values_grad, a.adjoint_b ? transpose(op_b_grad) : op_b_grad};
}
}  // namespace

void register_sparse_gradients() {
  register_gradient(ops::SparseToDense, sparse_to_dense_grad);
  register_gradient(ops::SparseFromDense, sparse_from_dense_grad);
  register_gradient(ops::SparseReorder, sparse_reorder_grad);
  register_gradient(ops::SparseAdd, sparse_add_grad);
  register_gradient(ops::SparseTensorDenseAdd, sparse_dense_add_grad);
  register_gradient(ops::SparseReduceSum, sparse_reduce_sum_grad);
  register_gradient(ops::SparseTensorDenseMatMul, sparse_dense_matmul_grad);
}

}  // namespace tapeflow::autograd
