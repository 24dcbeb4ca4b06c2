// Gradient rules of the copies (Copy, _CopyToDevice): the gradient passes through (to the
// source's device, where the tape sends it).
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/copy.h"

namespace tapeflow::autograd {
namespace {
InputGrads identity_grad(const GradContext& c) { return {c.grad()}; }
}  // namespace

void register_copy_gradients() {
  register_gradient(ops::Copy, identity_grad, kReadsNothing);
  register_gradient(ops::CopyToDevice, identity_grad, kReadsNothing);
}

}  // namespace tapeflow::autograd
