// Gradient rules of BiasAdd and BiasAddGrad (mirrors kernels/{cpu,cuda}/bias_add).
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/bias_add.h"

namespace tapeflow::autograd {
namespace {
InputGrads bias_add_grad(const GradContext& c) { return {c.grad(), ops::bias_add_grad(c.grad())}; }
// BiasAddGrad sums over rows; its transpose broadcasts back.
InputGrads bias_add_grad_grad(const GradContext& c) { return {broadcast_to(c.grad(), c.input(0).shape())}; }
}  // namespace

void register_bias_add_gradients() {
  register_gradient(ops::BiasAdd, bias_add_grad, kReadsNothing);
  register_jvp(ops::BiasAdd, linear_jvp);  // linear in value and bias
  register_gradient(ops::BiasAddGrad, bias_add_grad_grad);
}

}  // namespace tapeflow::autograd
