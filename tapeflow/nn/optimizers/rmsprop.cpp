#include "tapeflow/nn/optimizers/rmsprop.h"

#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/training.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::keras::optimizers {

RMSprop::RMSprop(RMSpropOptions o)
    : Optimizer("rmsprop", {.learning_rate = o.learning_rate,
                            .weight_decay = o.weight_decay,
                            .clipnorm = o.clipnorm,
                            .clipvalue = o.clipvalue,
                            .global_clipnorm = o.global_clipnorm,
                            .name = o.name}),
      rho_(o.rho),
      momentum_(o.momentum),
      epsilon_(o.epsilon),
      centered_(o.centered) {}

ObjectConfig RMSprop::get_config() const {
  ObjectConfig c = common_config("RMSprop");
  c.config.insert(c.config.end(),
                  {{"rho", rho_}, {"momentum", momentum_}, {"epsilon", epsilon_}, {"centered", centered_}});
  return c;
}

void RMSprop::build(const Variable& var) {
  add_slot(var, "velocity");
  if (momentum_ > 0) add_slot(var, "momentum");
  if (centered_) add_slot(var, "average_gradient");
}

void RMSprop::update_step(const Tensor& g, Variable& w, const StepRate& rate) {
  Variable v = slot(w, "velocity");
  v.assign(v * rho_ + square(g) * (1.0 - rho_));
  Tensor denominator;
  if (centered_) {
    Variable a = slot(w, "average_gradient");
    a.assign(a * rho_ + g * (1.0 - rho_));
    denominator = v - square(a) + epsilon_;
  } else {
    denominator = v + epsilon_;
  }
  Tensor increment;
  rate.visit(
      [&](const auto& lr, const auto&) { increment = g * step_math::coefficient(lr, w.dtype()) * rsqrt(denominator); });
  if (momentum_ > 0) {
    Variable m = slot(w, "momentum");
    m.assign(m * momentum_ + increment);
    w.assign_sub(m);
  } else {
    w.assign_sub(increment);
  }
}

void RMSprop::update_steps(std::span<const Tensor> g, std::span<Variable> w, const StepRate& rate) {
  if (!can_fuse(w)) return Optimizer::update_steps(g, w, rate);
  const std::vector<Variable> none;
  training::apply_rms_prop(w, slots(w, "velocity"), centered_ ? slots(w, "average_gradient") : none,
                           momentum_ > 0 ? slots(w, "momentum") : none, g,
                           {.learning_rate = rate.lr,
                            .rho = rho_,
                            .momentum = momentum_,
                            .epsilon = epsilon_,
                            .weight_decay = weight_decay(),
                            .rates = {.learning_rate = rate.lr_t}});
}

}  // namespace tapeflow::keras::optimizers
