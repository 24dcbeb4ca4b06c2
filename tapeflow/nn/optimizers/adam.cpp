#include "tapeflow/nn/optimizers/adam.h"

#include <cmath>

#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/training.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::keras::optimizers {

Adam::Adam(AdamOptions o)
    : Optimizer("adam", {.learning_rate = o.learning_rate,
                         .weight_decay = o.weight_decay,
                         .clipnorm = o.clipnorm,
                         .clipvalue = o.clipvalue,
                         .global_clipnorm = o.global_clipnorm,
                         .name = o.name}),
      beta_1_(o.beta_1),
      beta_2_(o.beta_2),
      epsilon_(o.epsilon),
      amsgrad_(o.amsgrad) {}

AdamW::AdamW(AdamWOptions o)
    : Adam({.learning_rate = o.learning_rate,
            .beta_1 = o.beta_1,
            .beta_2 = o.beta_2,
            .epsilon = o.epsilon,
            .amsgrad = o.amsgrad,
            .weight_decay = o.weight_decay,
            .clipnorm = o.clipnorm,
            .clipvalue = o.clipvalue,
            .global_clipnorm = o.global_clipnorm,
            .name = o.name}) {}

ObjectConfig Adam::get_config() const {
  ObjectConfig c = common_config("Adam");
  c.config.insert(c.config.end(),
                  {{"beta_1", beta_1_}, {"beta_2", beta_2_}, {"epsilon", epsilon_}, {"amsgrad", amsgrad_}});
  return c;
}

ObjectConfig AdamW::get_config() const {
  ObjectConfig c = Adam::get_config();
  c.class_name = "AdamW";
  return c;
}

void Adam::build(const Variable& var) {
  add_slot(var, "momentum");
  add_slot(var, "velocity");
  if (amsgrad_) add_slot(var, "velocity_hat");
}

void Adam::update_step(const Tensor& g, Variable& w, const StepRate& rate) {
  using namespace step_math;
  Variable m = slot(w, "momentum"), v = slot(w, "velocity");
  m.assign_add((g - m) * (1.0 - beta_1_));
  v.assign_add((square(g) - v) * (1.0 - beta_2_));
  Tensor denom_v = v;
  if (amsgrad_) {
    Variable v_hat = slot(w, "velocity_hat");
    v_hat.assign(maximum(v_hat, v));
    denom_v = v_hat;
  }
  rate.visit([&](const auto& lr, const auto& t) {
    const auto alpha = coefficient(lr * root(1.0 - power(beta_2_, t)) / (1.0 - power(beta_1_, t)), w.dtype());
    w.assign_sub(m * alpha / (sqrt(denom_v) + epsilon_));
  });
}

void Adam::update_steps(std::span<const Tensor> g, std::span<Variable> w, const StepRate& rate) {
  if (!can_fuse(w)) return Optimizer::update_steps(g, w, rate);
  training::AdamOptions options{.learning_rate = rate.lr,
                                .beta_1 = beta_1_,
                                .beta_2 = beta_2_,
                                .epsilon = epsilon_,
                                .weight_decay = weight_decay()};
  if (rate.traced()) {
    options.rates = {.learning_rate = rate.lr_t,
                     .beta_1_power = step_math::power(beta_1_, rate.t_t),
                     .beta_2_power = step_math::power(beta_2_, rate.t_t)};
  } else {
    options.beta_1_power = std::pow(beta_1_, rate.t);
    options.beta_2_power = std::pow(beta_2_, rate.t);
  }
  training::apply_adam(w, slots(w, "momentum"), slots(w, "velocity"),
                       amsgrad_ ? slots(w, "velocity_hat") : std::vector<Variable>{}, g, options);
}

}  // namespace tapeflow::keras::optimizers
