// The fused training ops (core/ops/training.h) update variables in place and have no gradient,
// as TF's ResourceApply* ops; core/ops/training.cpp keeps them off live tapes.
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/training.h"

namespace tapeflow::autograd {

void register_training_gradients() {
  for (OpDef* op : {&ops::FusedApplyGradientDescent, &ops::FusedApplyKerasMomentum, &ops::FusedApplyAdam,
                    &ops::FusedApplyAdagrad, &ops::FusedApplyRMSProp})
    register_not_differentiable(*op);
}

}  // namespace tapeflow::autograd
