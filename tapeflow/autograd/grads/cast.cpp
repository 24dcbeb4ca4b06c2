// Gradient rule of Cast (mirrors kernels/{cpu,cuda}/cast).
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/cast.h"

namespace tapeflow::autograd {
namespace {
// TF: a gradient flows through a cast only between floating dtypes.
InputGrads cast_grad(const GradContext& c) {
  if (!is_floating(c.input(0).dtype()) || !is_floating(c.output(0).dtype())) return {std::nullopt};
  return {cast(c.grad(), c.input(0).dtype())};
}
}  // namespace

void register_cast_gradients() { register_gradient(ops::Cast, cast_grad, kReadsNothing); }

}  // namespace tapeflow::autograd
