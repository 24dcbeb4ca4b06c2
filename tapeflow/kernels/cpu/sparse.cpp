// CPU kernels of the tf.sparse ops. Indices arrive checked (in bounds; sorted where the op needs
// it) by core/sparse.cpp; every kernel reads contiguous copies of its inputs.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "tapeflow/core/ops/sparse.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cpu {
namespace {

/// Row-major offset of entry n's index in a dense tensor of `shape`.
int64_t flat_offset(const int64_t* idx, int64_t n, const Shape& shape) {
  int64_t off = 0;
  for (int d = 0; d < shape.rank(); ++d) off = off * shape[d] + idx[n * shape.rank() + d];
  return off;
}

// inputs: indices (N, rank), values (N,), default_value ()
void sparse_to_dense_kernel(KernelContext& ctx) {
  const Tensor idx = ctx.input(0).contiguous(), val = ctx.input(1).contiguous(), def = ctx.input(2).contiguous();
  Tensor& out = ctx.output(0);
  visit_all(val.dtype(), "SparseToDense", [&]<typename T>() {
    T* o = static_cast<T*>(out.raw_data());
    const T d = *static_cast<const T*>(def.raw_data());
    for (int64_t i = 0; i < out.size(); ++i) o[i] = d;
    const T* v = static_cast<const T*>(val.raw_data());
    const int64_t* ix = idx.data<int64_t>();
    for (int64_t n = 0; n < val.size(); ++n) o[flat_offset(ix, n, out.shape())] = v[n];
  });
}

/// Permutation sorting the entries' indices row-major (stable, so equal indices keep their order).
std::vector<int64_t> sorted_order(const int64_t* ix, int64_t nnz, int rank) {
  std::vector<int64_t> perm(static_cast<std::size_t>(nnz));
  std::iota(perm.begin(), perm.end(), 0);
  std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
    return std::lexicographical_compare(ix + a * rank, ix + (a + 1) * rank, ix + b * rank, ix + (b + 1) * rank);
  });
  return perm;
}

void sparse_reorder_kernel(KernelContext& ctx) {
  const Tensor idx = ctx.input(0).contiguous(), val = ctx.input(1).contiguous();
  const int rank = static_cast<int>(idx.shape()[1]);
  const int64_t* ix = idx.data<int64_t>();
  std::vector<int64_t> perm = sorted_order(ix, val.size(), rank);
  int64_t* oi = ctx.output(0).data<int64_t>();
  visit_all(val.dtype(), "SparseReorder", [&]<typename T>() {
    const T* v = static_cast<const T*>(val.raw_data());
    T* ov = static_cast<T*>(ctx.output(1).raw_data());
    for (std::size_t n = 0; n < perm.size(); ++n) {
      ov[n] = v[perm[n]];
      std::copy(ix + perm[n] * rank, ix + (perm[n] + 1) * rank, oi + static_cast<int64_t>(n) * rank);
    }
  });
}

template <typename T>
void emit(KernelContext& ctx, const std::vector<int64_t>& indices, const std::vector<T>& values, int rank, DType dt) {
  Tensor oi = Tensor::empty(Shape{static_cast<int64_t>(values.size()), rank}, DType::kInt64, kCPU0);
  std::copy(indices.begin(), indices.end(), oi.data<int64_t>());
  Tensor ov = Tensor::empty(Shape{static_cast<int64_t>(values.size())}, dt, kCPU0);
  std::copy(values.begin(), values.end(), static_cast<T*>(ov.raw_data()));
  ctx.outputs.push_back(std::move(oi));
  ctx.outputs.push_back(std::move(ov));
}

template <typename T> bool is_zero(const T& v) {
  if constexpr (std::is_same_v<T, std::string>)
    return v.empty();
  else if constexpr (std::is_arithmetic_v<T>)
    return v == T(0);
  else
    return static_cast<float>(v) == 0.0f;
}

void sparse_from_dense_kernel(KernelContext& ctx) {
  const Tensor in = ctx.input(0).contiguous();
  const Shape& shape = in.shape();
  visit_all(in.dtype(), "SparseFromDense", [&]<typename T>() {
    const T* p = static_cast<const T*>(in.raw_data());
    std::vector<int64_t> indices;
    std::vector<T> values;
    for (int64_t i = 0; i < in.size(); ++i) {
      if (is_zero(p[i])) continue;
      const std::size_t at = indices.size();
      indices.resize(at + static_cast<std::size_t>(shape.rank()));
      for (int64_t d = shape.rank() - 1, r = i; d >= 0; --d) {
        indices[at + static_cast<std::size_t>(d)] = r % shape[static_cast<int>(d)];
        r /= shape[static_cast<int>(d)];
      }
      values.push_back(p[i]);
    }
    emit<T>(ctx, indices, values, shape.rank(), in.dtype());
  });
}

// inputs: a_indices, a_values, b_indices, b_values, both sorted: a merge of two sorted lists.
void sparse_add_kernel(KernelContext& ctx) {
  const Tensor ai = ctx.input(0).contiguous(), av = ctx.input(1).contiguous();
  const Tensor bi = ctx.input(2).contiguous(), bv = ctx.input(3).contiguous();
  const double thresh = ctx.attr<ops::SparseAddAttrs>().threshold;
  const int rank = static_cast<int>(ai.shape()[1]);
  const int64_t *pa = ai.data<int64_t>(), *pb = bi.data<int64_t>();
  visit_numeric(av.dtype(), "SparseAdd", [&]<typename T>() {
    using C = compute_t<T>;
    const T *va = static_cast<const T*>(av.raw_data()), *vb = static_cast<const T*>(bv.raw_data());
    std::vector<int64_t> indices;
    std::vector<T> values;
    auto push = [&](const int64_t* ix, T v) {
      // TF keeps a summed entry when threshold <= |sum|.
      if (!(thresh <= std::abs(static_cast<double>(static_cast<C>(v))))) return;
      indices.insert(indices.end(), ix, ix + rank);
      values.push_back(v);
    };
    int64_t i = 0, j = 0;
    const int64_t na = av.size(), nb = bv.size();
    while (i < na || j < nb) {
      const int64_t* x = pa + i * rank;
      const int64_t* y = pb + j * rank;
      if (j == nb || (i < na && std::lexicographical_compare(x, x + rank, y, y + rank))) {
        push(x, va[i++]);
      } else if (i == na || std::lexicographical_compare(y, y + rank, x, x + rank)) {
        push(y, vb[j++]);
      } else {
        push(x, static_cast<T>(static_cast<C>(va[i]) + static_cast<C>(vb[j])));
        ++i;
        ++j;
      }
    }
    emit<T>(ctx, indices, values, rank, av.dtype());
  });
}

// inputs: indices, values, dense b (same shape): out = b + scatter(values).
void sparse_dense_add_kernel(KernelContext& ctx) {
  const Tensor idx = ctx.input(0).contiguous(), val = ctx.input(1).contiguous(), b = ctx.input(2).contiguous();
  Tensor& out = ctx.output(0);
  visit_numeric(val.dtype(), "SparseTensorDenseAdd", [&]<typename T>() {
    using C = compute_t<T>;
    T* o = out.data<T>();
    std::copy(b.data<T>(), b.data<T>() + b.size(), o);
    const T* v = val.data<T>();
    const int64_t* ix = idx.data<int64_t>();
    for (int64_t n = 0; n < val.size(); ++n) {
      const int64_t off = flat_offset(ix, n, out.shape());
      o[off] = static_cast<T>(static_cast<C>(o[off]) + static_cast<C>(v[n]));
    }
  });
}

// inputs: indices, values; sums into the dense output, dropping the reduced axes from each index.
void sparse_reduce_sum_kernel(KernelContext& ctx) {
  const Tensor idx = ctx.input(0).contiguous(), val = ctx.input(1).contiguous();
  const auto& attrs = ctx.attr<ops::SparseReduceSumAttrs>();
  const int rank = static_cast<int>(attrs.dense_shape.size());
  std::vector<int> kept;
  for (int d = 0; d < rank; ++d)
    if (std::find(attrs.axes.begin(), attrs.axes.end(), d) == attrs.axes.end()) kept.push_back(d);
  Tensor& out = ctx.output(0);
  visit_numeric(val.dtype(), "SparseReduceSum", [&]<typename T>() {
    using C = compute_t<T>;
    std::vector<C> acc(static_cast<std::size_t>(out.size()), C(0));
    const T* v = val.data<T>();
    const int64_t* ix = idx.data<int64_t>();
    for (int64_t n = 0; n < val.size(); ++n) {
      int64_t off = 0;  // row-major offset over the kept dims (keepdims' 1s do not change it)
      for (int d : kept) off = off * attrs.dense_shape[static_cast<std::size_t>(d)] + ix[n * rank + d];
      acc[static_cast<std::size_t>(off)] += static_cast<C>(v[n]);
    }
    T* o = out.data<T>();
    for (std::size_t i = 0; i < acc.size(); ++i) o[i] = static_cast<T>(acc[i]);
  });
}

// inputs: indices, values of a (M, K) (or (K, M) with adjoint_a), dense b.
void sparse_dense_matmul_kernel(KernelContext& ctx) {
  const Tensor idx = ctx.input(0).contiguous(), val = ctx.input(1).contiguous(), b = ctx.input(2).contiguous();
  const auto& a = ctx.attr<ops::SparseMatMulAttrs>();
  Tensor& out = ctx.output(0);
  const int64_t n_cols = out.shape()[1];
  const int64_t b_cols = b.shape()[1];
  visit_numeric(val.dtype(), "SparseTensorDenseMatMul", [&]<typename T>() {
    using C = compute_t<T>;
    std::vector<C> acc(static_cast<std::size_t>(out.size()), C(0));
    const T* v = val.data<T>();
    const T* pb = b.data<T>();
    const int64_t* ix = idx.data<int64_t>();
    for (int64_t n = 0; n < val.size(); ++n) {
      const int64_t r = ix[2 * n + (a.adjoint_a ? 1 : 0)], k = ix[2 * n + (a.adjoint_a ? 0 : 1)];
      const C av = static_cast<C>(v[n]);
      for (int64_t j = 0; j < n_cols; ++j) {
        const T bv = a.adjoint_b ? pb[j * b_cols + k] : pb[k * b_cols + j];
        acc[static_cast<std::size_t>(r * n_cols + j)] += av * static_cast<C>(bv);
      }
    }
    T* o = out.data<T>();
    for (std::size_t i = 0; i < acc.size(); ++i) o[i] = static_cast<T>(acc[i]);
  });
}

}  // namespace

void register_sparse_kernels() {
  const DeviceType cpu = DeviceType::kCPU;
  register_kernel(ops::SparseToDense, cpu, sparse_to_dense_kernel);
  register_kernel(ops::SparseReorder, cpu, sparse_reorder_kernel);
  register_kernel(ops::SparseFromDense, cpu, sparse_from_dense_kernel);
  register_kernel(ops::SparseAdd, cpu, sparse_add_kernel);
  register_kernel(ops::SparseTensorDenseAdd, cpu, sparse_dense_add_kernel);
  register_kernel(ops::SparseReduceSum, cpu, sparse_reduce_sum_kernel);
  register_kernel(ops::SparseTensorDenseMatMul, cpu, sparse_dense_matmul_kernel);
}

}  // namespace tapeflow::kernels::cpu
