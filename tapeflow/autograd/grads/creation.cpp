// The creation ops (Fill, Range, Const) have no gradient, as in TF (mirrors
// kernels/{cpu,cuda}/creation).
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/creation.h"

namespace tapeflow::autograd {

void register_creation_gradients() {
  for (OpDef* op : {&ops::Fill, &ops::Range, &ops::Const}) register_not_differentiable(*op);
}

}  // namespace tapeflow::autograd
