// Gradient rules of the random ops (mirrors kernels/cpu/random.cpp). Samples do not depend on
// any input, so the samplers are not differentiable. Dropout is y = x * m with a fixed mask
// m = keep / (1 - rate); since the mask is a pure function of its Philox stream, its gradient
// g * m is the same dropout applied to g, redrawn rather than stored.
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/random.h"

namespace tapeflow::autograd {
namespace {
InputGrads dropout_grad(const GradContext& c) { return {ops::dropout_with(c.grad(), c.attr<ops::DropoutAttrs>())}; }
}  // namespace

void register_random_gradients() {
  register_not_differentiable(ops::RandomStandardNormal);
  register_not_differentiable(ops::TruncatedNormal);
  register_not_differentiable(ops::RandomUniform);
  register_not_differentiable(ops::RandomUniformInt);
  register_gradient(ops::Dropout, dropout_grad);
}

}  // namespace tapeflow::autograd
