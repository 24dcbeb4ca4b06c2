// Gradient rules of the reductions and scans (mirrors kernels/cpu/reduction.cpp): the incoming
// gradient is reshaped to keepdims form and broadcast back over the reduced axes.
#include <numeric>

#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/dim_unify.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::autograd {
namespace {
/// The gradient of a reduction output, with the reduced axes restored as size 1.
Tensor keepdims_grad(const GradContext& c) {
  const auto& a = c.attr<ops::ReduceAttrs>();
  if (a.keepdims) return c.grad();
  return reshape(c.grad(), ops::reduced_shape(c.input(0).shape(), a.axes, true));
}
Tensor keepdims_output(const GradContext& c) {
  const auto& a = c.attr<ops::ReduceAttrs>();
  if (a.keepdims) return c.output(0);
  return reshape(c.output(0), ops::reduced_shape(c.input(0).shape(), a.axes, true));
}
int64_t reduced_count(const GradContext& c) {
  int64_t n = 1;
  for (int ax : c.attr<ops::ReduceAttrs>().axes) n *= c.input(0).shape()[ax];
  return n;
}

InputGrads sum_grad(const GradContext& c) { return {broadcast_to(keepdims_grad(c), c.input(0).shape())}; }
InputGrads mean_grad(const GradContext& c) {
  const DType dt = c.grad().dtype();
  bool known = true;
  for (int ax : c.attr<ops::ReduceAttrs>().axes) known &= c.input(0).shape()[ax] >= 0;
  // Over an unknown (None) dimension of a trace, the count is taken when the function runs.
  Tensor count = scalar_tensor(1, dt);
  if (known) {
    count = scalar_tensor(static_cast<double>(reduced_count(c)), dt);
  } else {
    int64_t n = 1;
    for (int ax : c.attr<ops::ReduceAttrs>().axes)
      if (c.input(0).shape()[ax] >= 0) n *= c.input(0).shape()[ax];
    count = scalar_tensor(static_cast<double>(n), dt);
    for (int ax : c.attr<ops::ReduceAttrs>().axes)
      if (c.input(0).shape()[ax] < 0) count = count * dim_size(c.input(0), ax, dt);
  }
  return {broadcast_to(keepdims_grad(c) / count, c.input(0).shape())};
}
// TF splits the gradient evenly among the elements equal to the extremum.
InputGrads extremum_grad(const GradContext& c) {
  const auto& a = c.attr<ops::ReduceAttrs>();
  const Tensor& x = c.input(0);
  Tensor mask = cast(equal(x, keepdims_output(c)), x.dtype());
  Tensor count = reduce_sum(mask, std::vector<int>(a.axes.begin(), a.axes.end()), true);
  return {keepdims_grad(c) * (mask / count)};
}
// TF's _ProdGrad: the product of all other elements, as exclusive cumprods from both sides, so
// zeros in the input are handled exactly (no division by x).
InputGrads prod_grad(const GradContext& c) {
  const auto& a = c.attr<ops::ReduceAttrs>();
  const Tensor& x = c.input(0);
  std::vector<int> perm(a.axes.begin(), a.axes.end());
  int64_t reduced = 1, other = 1;
  for (int i = 0; i < x.ndim(); ++i) {
    bool r = std::find(a.axes.begin(), a.axes.end(), i) != a.axes.end();
    (r ? reduced : other) *= x.shape()[i];
    if (!r) perm.push_back(i);
  }
  Tensor permuted = transpose(x, perm);
  Tensor flat = reshape(permuted, Shape{reduced, other});
  Tensor left = cumprod(flat, 0, /*exclusive=*/true);
  Tensor right = cumprod(flat, 0, /*exclusive=*/true, /*reverse=*/true);
  std::vector<int> inverse(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) inverse[static_cast<std::size_t>(perm[i])] = static_cast<int>(i);
  Tensor others = transpose(reshape(left * right, permuted.shape()), inverse);
  return {keepdims_grad(c) * others};
}
InputGrads cumsum_grad(const GradContext& c) {
  const auto& a = c.attr<ops::ScanAttrs>();
  return {cumsum(c.grad(), a.axis, a.exclusive, !a.reverse)};
}
// TF's _CumprodGrad (divides by x, so it is undefined at zeros, as in TF).
InputGrads cumprod_grad(const GradContext& c) {
  const auto& a = c.attr<ops::ScanAttrs>();
  Tensor out = cumsum(c.output(0) * c.grad(), a.axis, a.exclusive, !a.reverse);
  return {out / c.input(0)};
}
// The values' gradient scattered back to the positions top_k picked along the last axis.
InputGrads top_k_grad(const GradContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& indices = c.output(1);
  const int64_t cols = x.shape().dim(-1);
  const int64_t k = indices.shape().dim(-1);
  const int64_t rows = cols == 0 ? 0 : x.size() / cols;
  Tensor row_starts = reshape(range(0, rows * cols, cols == 0 ? 1 : cols, indices.dtype()), Shape{rows, 1});
  Tensor flat_ids = reshape(reshape(indices, Shape{rows, k}) + row_starts, Shape{rows * k});
  Tensor scattered = unsorted_segment_sum(reshape(c.grad(0), Shape{rows * k}), flat_ids, x.size());
  return {reshape(scattered, x.shape())};
}
}  // namespace

void register_reduction_gradients() {
  register_gradient(ops::Sum, sum_grad, kReadsNothing);
  register_gradient(ops::Mean, mean_grad, kReadsNothing);
  register_jvp(ops::Sum, linear_jvp);  // linear: the JVP is the reduction of the tangent
  register_jvp(ops::Mean, linear_jvp);
  register_gradient(ops::Max, extremum_grad);
  register_gradient(ops::Min, extremum_grad);
  register_gradient(ops::Prod, prod_grad, kReadsInputs);
  register_gradient(ops::Cumsum, cumsum_grad);
  register_gradient(ops::Cumprod, cumprod_grad);
  register_gradient(ops::TopKV2, top_k_grad);
  for (OpDef* op : {&ops::Any, &ops::All, &ops::ArgMax, &ops::ArgMin}) register_not_differentiable(*op);
}

}  // namespace tapeflow::autograd
