// SparseTensor construction and printing, and the tf.sparse ops: index checks with TF's
// messages on the host, output specs, dispatch to the kernels in kernels/cpu/sparse.cpp.
#include "tapeflow/core/ops/sparse.h"

#include <algorithm>
#include <numeric>

#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow {
namespace ops {
OpDef SparseToDense{.name = "SparseToDense", .placement = Placement::kHostOnly},
    SparseReorder{.name = "SparseReorder", .placement = Placement::kHostOnly},
    // TF composes from_dense from Where and GatherNd; one host op here.
    SparseFromDense{.name = "SparseFromDense", .placement = Placement::kHostOnly, .kernel_allocates_outputs = true},
    SparseAdd{.name = "SparseAdd", .placement = Placement::kHostOnly, .kernel_allocates_outputs = true},
    SparseTensorDenseAdd{.name = "SparseTensorDenseAdd", .placement = Placement::kHostOnly},
    SparseReduceSum{.name = "SparseReduceSum", .placement = Placement::kHostOnly},
    SparseTensorDenseMatMul{.name = "SparseTensorDenseMatMul", .placement = Placement::kHostOnly};
void register_sparse_ops() {
  for (OpDef* op : {&SparseToDense, &SparseReorder, &SparseFromDense, &SparseAdd, &SparseTensorDenseAdd,
                    &SparseReduceSum, &SparseTensorDenseMatMul})
    register_op(*op);
}
}  // namespace ops

namespace sparse {
namespace {

Tensor as_int64(const Tensor& t) { return t.dtype() == DType::kInt64 ? t.cpu() : cast(t, DType::kInt64).cpu(); }

Tensor host_tensor(const std::vector<int64_t>& v, const Shape& shape) {
  Tensor t = Tensor::empty(shape, DType::kInt64, kCPU0);
  std::copy(v.begin(), v.end(), t.data<int64_t>());
  return t;
}

std::string index_str(const std::vector<int64_t>& idx, int64_t n, int rank) {
  std::string s = "[";
  for (int d = 0; d < rank; ++d) {
    if (d) s += ',';
    s += std::to_string(idx[static_cast<std::size_t>(n * rank + d)]);
  }
  return s + "]";
}

/// TF's SparseTensor::IndicesValid: in bounds, and (when `ordered`) strictly increasing row-major.
void check_indices(const SparseTensor& sp, const char* op, bool ordered) {
  const int rank = sp.rank();
  const std::vector<int64_t> idx = sp.indices().to_vector<int64_t>();
  std::string bound = "[";
  for (int d = 0; d < rank; ++d) {
    if (d) bound += ',';
    bound += std::to_string(sp.shape()[d]);
  }
  bound += "]";
  for (int64_t n = 0; n < sp.nnz(); ++n) {
    for (int d = 0; d < rank; ++d) {
      const int64_t v = idx[static_cast<std::size_t>(n * rank + d)];
      TF_CHECK_ARG(v >= 0 && v < sp.shape()[d], op, "indices[", n, "] = ", index_str(idx, n, rank),
                   " is out of bounds: need 0 <= index < ", bound);
    }
    if (!ordered || n == 0) continue;
    const auto a = idx.begin() + (n - 1) * rank, b = idx.begin() + n * rank;
    const bool equal = std::equal(a, a + rank, b);
    TF_CHECK_ARG(!equal, op, "indices[", n, "] = ", index_str(idx, n, rank), " is repeated");
    TF_CHECK_ARG(std::lexicographical_compare(a, a + rank, b, b + rank), op, "indices[", n,
                 "] = ", index_str(idx, n, rank),
                 " is out of order. Many sparse ops require sorted indices.\n    Use `tf.sparse.reorder` to create a "
                 "correctly ordered copy.\n\n");
  }
}

Tensor to_dense_impl(const SparseTensor& sp, const Tensor& default_value, bool validate) {
  TF_CHECK_ARG(default_value.dtype() == sp.dtype(), "SparseToDense", "default_value must have dtype ",
               dtype_name(sp.dtype()), ", got ", dtype_name(default_value.dtype()));
  if (validate)
    check_indices(sp, "SparseToDense", true);
  else
    check_indices(sp, "SparseToDense", false);  // out-of-bounds writes are never allowed
  const Tensor in[3] = {sp.indices(), sp.values(), default_value};
  ops::SparseToDenseAttrs attrs;
  attrs.validate_indices = validate;
  return dispatch1(ops::SparseToDense, in, &attrs, {sp.shape(), sp.dtype()});
}

void check_numeric(const SparseTensor& sp, const char* op) {
  TF_CHECK_ARG(is_numeric(sp.dtype()), op, op, " needs numeric values, got ", dtype_name(sp.dtype()));
}

}  // namespace

SparseTensor::SparseTensor(const Tensor& indices, const Tensor& values, const Tensor& dense_shape) {
  const char* op = "SparseTensor";
  TF_CHECK_ARG(indices.dtype() == DType::kInt64 || indices.dtype() == DType::kInt32, op,
               "indices must be int64 (or int32), got ", dtype_name(indices.dtype()));
  TF_CHECK_ARG(dense_shape.dtype() == DType::kInt64 || dense_shape.dtype() == DType::kInt32, op,
               "dense_shape must be int64 (or int32), got ", dtype_name(dense_shape.dtype()));
  TF_CHECK_ARG(indices.ndim() == 2, op, "Shape ", indices.shape().to_string(), " must have rank 2 (indices)");
  TF_CHECK_ARG(values.ndim() == 1, op, "Shape ", values.shape().to_string(), " must have rank 1 (values)");
  TF_CHECK_ARG(dense_shape.ndim() == 1, op, "Shape ", dense_shape.shape().to_string(),
               " must have rank 1 (dense_shape)");
  TF_CHECK_ARG(indices.shape()[0] == values.shape()[0], op, "Dimensions ", indices.shape()[0], " and ",
               values.shape()[0], " are not compatible: indices has ", indices.shape()[0], " rows but values has ",
               values.shape()[0], " entries");
  TF_CHECK_ARG(indices.shape()[1] == dense_shape.shape()[0], op, "Dimensions ", indices.shape()[1], " and ",
               dense_shape.shape()[0], " are not compatible: indices have rank ", indices.shape()[1],
               " but dense_shape has rank ", dense_shape.shape()[0]);
  indices_ = as_int64(indices);
  values_ = values.cpu();
  dense_shape_ = as_int64(dense_shape);
  for (int64_t d : dense_shape_.to_vector<int64_t>()) {
    TF_CHECK_ARG(d >= 0, op, "dense_shape must be non-negative, got ", d);
    shape_.push_back(d);
  }
}

SparseTensor::SparseTensor(const std::vector<std::vector<int64_t>>& indices, const Tensor& values,
                           const std::vector<int64_t>& dense_shape)
    : SparseTensor(
          [&] {
            const auto rank = static_cast<int64_t>(dense_shape.size());
            std::vector<int64_t> flat;
            for (const auto& row : indices) {
              TF_CHECK_ARG(static_cast<int64_t>(row.size()) == rank, "SparseTensor", "each index needs ", rank,
                           " coordinates (the rank of dense_shape), got ", row.size());
              flat.insert(flat.end(), row.begin(), row.end());
            }
            return host_tensor(flat, Shape{static_cast<int64_t>(indices.size()), rank});
          }(),
          values, host_tensor(dense_shape, Shape{static_cast<int64_t>(dense_shape.size())})) {}

SparseTensor SparseTensor::with_values(const Tensor& new_values) const {
  return SparseTensor(indices_, new_values, dense_shape_);
}

std::ostream& operator<<(std::ostream& os, const SparseTensor& sp) {
  return os << "SparseTensor(indices=" << sp.indices() << ", values=" << sp.values()
            << ", dense_shape=" << sp.dense_shape() << ")";
}

Tensor to_dense(const SparseTensor& sp, std::optional<Scalar> default_value, bool validate_indices) {
  if (sp.dtype() == DType::kString) return to_dense(sp, std::string(), validate_indices);
  return to_dense_impl(sp, scalar_tensor(default_value.value_or(0), sp.dtype()), validate_indices);
}
Tensor to_dense(const SparseTensor& sp, const std::string& default_value, bool validate_indices) {
  return to_dense_impl(sp, tapeflow::constant(default_value), validate_indices);
}

SparseTensor from_dense(const Tensor& tensor) {
  const Tensor in = tensor.cpu();
  const OutputSpec specs[2] = {{Shape{-1, tensor.ndim()}, DType::kInt64}, {Shape{-1}, tensor.dtype()}};
  TensorList out = dispatch(ops::SparseFromDense, std::span<const Tensor>(&in, 1), nullptr, specs);
  return SparseTensor(out[0], out[1], host_tensor(tensor.shape().as_vector(), Shape{tensor.ndim()}));
}

SparseTensor reorder(const SparseTensor& sp) {
  check_indices(sp, "SparseReorder", false);
  const Tensor in[2] = {sp.indices(), sp.values()};
  const OutputSpec specs[2] = {{sp.indices().shape(), DType::kInt64}, {sp.values().shape(), sp.dtype()}};
  TensorList out = dispatch(ops::SparseReorder, in, nullptr, specs);
  return SparseTensor(out[0], out[1], sp.dense_shape());
}

SparseTensor add(const SparseTensor& a, const SparseTensor& b, double threshold) {
  check_numeric(a, "SparseAdd");
  TF_CHECK_ARG(a.dtype() == b.dtype(), "SparseAdd", "cannot add a ", dtype_name(a.dtype()), " SparseTensor to a ",
               dtype_name(b.dtype()), " SparseTensor (use tf::cast)");
  TF_CHECK_ARG(a.shape() == b.shape(), "SparseAdd", "Operands do not have the same ranks or shapes: lhs shape ",
               a.shape().to_string(), " vs. rhs shape ", b.shape().to_string());
  // The kernel merges two sorted lists; TF's SparseAdd assumes ordered inputs, we sort them first.
  SparseTensor ra = reorder(a), rb = reorder(b);
  const Tensor in[4] = {ra.indices(), ra.values(), rb.indices(), rb.values()};
  const OutputSpec specs[2] = {{Shape{-1, a.rank()}, DType::kInt64}, {Shape{-1}, a.dtype()}};
  ops::SparseAddAttrs attrs;
  attrs.threshold = threshold;
  TensorList out = dispatch(ops::SparseAdd, in, &attrs, specs);
  return SparseTensor(out[0], out[1], a.dense_shape());
}

Tensor add(const SparseTensor& a, const Tensor& b) {
  check_numeric(a, "SparseTensorDenseAdd");
  TF_CHECK_ARG(a.dtype() == b.dtype(), "SparseTensorDenseAdd", "cannot add a ", dtype_name(a.dtype()),
               " SparseTensor to a ", dtype_name(b.dtype()), " Tensor (use tf::cast)");
  TF_CHECK_ARG(a.shape() == b.shape(), "SparseTensorDenseAdd", "Dimension mismatch: a.shape ", a.shape().to_string(),
               " != b.shape ", b.shape().to_string());
  check_indices(a, "SparseTensorDenseAdd", false);
  const Tensor in[3] = {a.indices(), a.values(), b.cpu()};
  return dispatch1(ops::SparseTensorDenseAdd, in, nullptr, {b.shape(), b.dtype()});
}
Tensor add(const Tensor& a, const SparseTensor& b) { return add(b, a); }

Tensor reduce_sum(const SparseTensor& sp, std::optional<std::vector<int>> axis, bool keepdims) {
  check_numeric(sp, "SparseReduceSum");
  check_indices(sp, "SparseReduceSum", false);
  ops::SparseReduceSumAttrs attrs;
  attrs.dense_shape = sp.shape().as_vector();
  std::vector<bool> reduced(static_cast<std::size_t>(sp.rank()), !axis.has_value());
  if (axis) {
    for (int a : *axis) {
      TF_CHECK_ARG(a >= -sp.rank() && a < sp.rank(), "SparseReduceSum", "Invalid reduction dimension ", a,
                   ", for input with ", sp.rank(), " dimensions.");
      const int n = a < 0 ? a + sp.rank() : a;
      TF_CHECK_ARG(!reduced[static_cast<std::size_t>(n)], "SparseReduceSum",
                   "Invalid reduction arguments: Axes contains duplicate dimension: ", n);
      reduced[static_cast<std::size_t>(n)] = true;
    }
  }
  Shape out;
  for (int d = 0; d < sp.rank(); ++d) {
    if (reduced[static_cast<std::size_t>(d)]) {
      attrs.axes.push_back(d);
      if (keepdims) out.push_back(1);
    } else {
      out.push_back(sp.shape()[d]);
    }
  }
  const Tensor in[2] = {sp.indices(), sp.values()};
  return dispatch1(ops::SparseReduceSum, in, &attrs, {out, sp.dtype()});
}

Tensor sparse_dense_matmul(const SparseTensor& a, const Tensor& b, bool adjoint_a, bool adjoint_b) {
  const char* op = "SparseTensorDenseMatMul";
  check_numeric(a, op);
  TF_CHECK_ARG(a.rank() == 2 && b.ndim() == 2, op, "Tensor 'a' and 'b' must be matrices, got ranks ", a.rank(), " and ",
               b.ndim());
  TF_CHECK_ARG(a.dtype() == b.dtype(), op, "cannot multiply a ", dtype_name(a.dtype()), " SparseTensor with a ",
               dtype_name(b.dtype()), " Tensor (use tf::cast)");
  const int64_t m = a.shape()[adjoint_a ? 1 : 0], k = a.shape()[adjoint_a ? 0 : 1];
  const int64_t kb = b.shape()[adjoint_b ? 1 : 0], n = b.shape()[adjoint_b ? 0 : 1];
  TF_CHECK_ARG(k == kb, op, "Cannot multiply A and B because inner dimension does not match: ", k, " vs. ", kb,
               ".  Did you forget a transpose?  Dimensions of A: [", a.shape()[0], ", ", a.shape()[1],
               ").  Dimensions of B: ", b.shape().to_string());
  check_indices(a, op, false);
  const Tensor in[3] = {a.indices(), a.values(), b.cpu()};
  ops::SparseMatMulAttrs attrs;
  attrs.adjoint_a = adjoint_a;
  attrs.adjoint_b = adjoint_b;
  return dispatch1(ops::SparseTensorDenseMatMul, in, &attrs, {Shape{m, n}, a.dtype()});
}

}  // namespace sparse
}  // namespace tapeflow
