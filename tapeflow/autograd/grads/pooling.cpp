// Gradient rules of the pooling ops (mirrors kernels/{cpu,cuda}/pooling). The gradient ops have
// their own gradients too (TF's _MaxPoolGradGrad, _AvgPoolGradGrad), so any order exists.
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/pooling.h"

namespace tapeflow::autograd {
namespace {
const ops::PoolAttrs& pool(const GradContext& c) { return c.attr<ops::PoolAttrs>(); }

InputGrads max_pool_grad(const GradContext& c) {
  return {ops::max_pool_grad(c.input(0), c.output(0), c.grad(), pool(c))};
}
// MaxPoolGrad routes grad to fixed positions (the maxima): linear in grad, constant in the
// original input and output (TF's _MaxPoolGradGrad).
InputGrads max_pool_grad_grad(const GradContext& c) {
  const Tensor &x = c.input(0), &y = c.input(1);
  return {zeros_like(x), zeros_like(y), ops::max_pool_grad_grad(x, y, c.grad(), pool(c))};
}
// And MaxPoolGradGrad reads grad at the same positions: its transpose is MaxPoolGrad.
InputGrads max_pool_grad_grad_grad(const GradContext& c) {
  const Tensor &x = c.input(0), &y = c.input(1);
  return {zeros_like(x), zeros_like(y), ops::max_pool_grad(x, y, c.grad(), pool(c))};
}
InputGrads avg_pool_grad(const GradContext& c) { return {ops::avg_pool_grad(c.input(0).shape(), c.grad(), pool(c))}; }
// AvgPoolGrad is the transpose of the (linear) AvgPool.
InputGrads avg_pool_grad_grad(const GradContext& c) { return {ops::avg_pool(c.grad(), pool(c))}; }
}  // namespace

void register_pooling_gradients() {
  register_gradient(ops::MaxPool, max_pool_grad);
  register_gradient(ops::MaxPoolGrad, max_pool_grad_grad);
  register_gradient(ops::MaxPoolGradGrad, max_pool_grad_grad_grad);
  register_gradient(ops::AvgPool, avg_pool_grad, kReadsNothing);
  register_gradient(ops::AvgPoolGrad, avg_pool_grad_grad);
}

}  // namespace tapeflow::autograd
