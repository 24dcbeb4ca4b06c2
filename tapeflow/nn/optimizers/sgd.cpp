#include "tapeflow/nn/optimizers/sgd.h"

#include "tapeflow/core/ops/training.h"

namespace tapeflow::keras::optimizers {

SGD::SGD(SGDOptions o)
    : Optimizer("SGD", {.learning_rate = o.learning_rate,
                        .weight_decay = o.weight_decay,
                        .clipnorm = o.clipnorm,
                        .clipvalue = o.clipvalue,
                        .global_clipnorm = o.global_clipnorm,
                        .name = o.name}),
      momentum_(o.momentum),
      nesterov_(o.nesterov) {
  TF_CHECK_ARG(o.momentum >= 0 && o.momentum <= 1, "",
               "`momentum` must be a float between [0, 1]. Received: momentum=", o.momentum);
}

ObjectConfig SGD::get_config() const {
  ObjectConfig c = common_config("SGD");
  c.config.insert(c.config.end(), {{"momentum", momentum_}, {"nesterov", nesterov_}});
  return c;
}

void SGD::build(const Variable& var) {
  if (momentum_ != 0.0) add_slot(var, "momentum");
}

void SGD::update_step(const Tensor& g, Variable& w, const StepRate& rate) {
  rate.visit([&](const auto& learning_rate, const auto&) {
    const auto lr = step_math::coefficient(learning_rate, w.dtype());
    if (momentum_ == 0.0) {
      w.assign_sub(g * lr);
      return;
    }
    Variable m = slot(w, "momentum");
    m.assign(m * momentum_ - g * lr);
    if (nesterov_)
      w.assign_add(m * momentum_ - g * lr);
    else
      w.assign_add(m);
  });
}

void SGD::update_steps(std::span<const Tensor> g, std::span<Variable> w, const StepRate& rate) {
  if (!can_fuse(w)) return Optimizer::update_steps(g, w, rate);
  const training::RateTensors rates{.learning_rate = rate.lr_t};
  if (momentum_ == 0.0) {
    training::apply_gradient_descent(w, g, {.learning_rate = rate.lr, .weight_decay = weight_decay(), .rates = rates});
    return;
  }
  training::apply_keras_momentum(w, slots(w, "momentum"), g,
                                 {.learning_rate = rate.lr,
                                  .momentum = momentum_,
                                  .nesterov = nesterov_,
                                  .weight_decay = weight_decay(),
                                  .rates = rates});
}

}  // namespace tapeflow::keras::optimizers
