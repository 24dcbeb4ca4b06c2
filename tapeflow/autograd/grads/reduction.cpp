// Gradient rules of the reductions (mirrors kernels/cpu/reduction.cpp): the incoming gradient
// is reshaped to keepdims form and broadcast back over the reduced axes.
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/math.h"
#include "tapeflow/core/ops/reduction.h"

namespace tapeflow::autograd {
namespace {
/// The gradient of a reduction output, with the reduced axes restored as size 1.
Tensor keepdims_grad(const GradContext& c) {
  const auto& a = c.attr<ops::ReduceAttrs>();
  if (a.keepdims) return c.grad();
  return reshape(c.grad(), ops::reduced_shape(c.input(0).shape(), a.axes, true));
}
int64_t reduced_count(const GradContext& c) {
  int64_t n = 1;
  for (int ax : c.attr<ops::ReduceAttrs>().axes) n *= c.input(0).shape()[ax];
  return n;
}

InputGrads sum_grad(const GradContext& c) { return {keepdims_grad(c) * ones_like(c.input(0))}; }
InputGrads mean_grad(const GradContext& c) {
  return {keepdims_grad(c) * ones_like(c.input(0)) / scalar_tensor(static_cast<double>(reduced_count(c)), c.grad().dtype())};
}
// TF splits the gradient evenly among the elements equal to the extremum.
InputGrads extremum_grad(const GradContext& c) {
  const auto& a = c.attr<ops::ReduceAttrs>();
  const Tensor& x = c.input(0);
  Tensor y = a.keepdims ? c.output(0) : reshape(c.output(0), ops::reduced_shape(x.shape(), a.axes, true));
  Tensor mask = cast(equal(x, y), x.dtype());
  Tensor count = reduce_sum(mask, std::vector<int>(a.axes.begin(), a.axes.end()), true);
  return {keepdims_grad(c) * mask / count};
}
InputGrads prod_grad(const GradContext& c) {
  const auto& a = c.attr<ops::ReduceAttrs>();
  const Tensor& x = c.input(0);
  Tensor y = a.keepdims ? c.output(0) : reshape(c.output(0), ops::reduced_shape(x.shape(), a.axes, true));
  return {keepdims_grad(c) * y / x};
}
}  // namespace

void register_reduction_gradients() {
  register_gradient(ops::Sum, sum_grad);
  register_gradient(ops::Mean, mean_grad);
  register_gradient(ops::Max, extremum_grad);
  register_gradient(ops::Min, extremum_grad);
  register_gradient(ops::Prod, prod_grad);
  for (OpDef* op : {&ops::Any, &ops::All, &ops::ArgMax, &ops::ArgMin}) register_not_differentiable(*op);
}

}  // namespace tapeflow::autograd
