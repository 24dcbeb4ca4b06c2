#include "tapeflow/nn/optimizers/adamax.h"

#include <cmath>

#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::keras::optimizers {

Adamax::Adamax(AdamaxOptions o)
    : Optimizer("adamax", {.learning_rate = o.learning_rate,
                           .weight_decay = o.weight_decay,
                           .clipnorm = o.clipnorm,
                           .clipvalue = o.clipvalue,
                           .global_clipnorm = o.global_clipnorm,
                           .name = o.name}),
      beta_1_(o.beta_1),
      beta_2_(o.beta_2),
      epsilon_(o.epsilon) {}

void Adamax::build(const Variable& var) {
  add_slot(var, "momentum");
  add_slot(var, "norm");
}

void Adamax::update_step(const Tensor& g, Variable& w, const StepRate& rate) {
  using namespace step_math;
  Variable m = slot(w, "momentum"), u = slot(w, "norm");
  m.assign_add((g - m) * (1.0 - beta_1_));
  u.assign(maximum(u * beta_2_, abs(g)));
  rate.visit([&](const auto& lr, const auto& t) {
    w.assign_sub(m * coefficient(lr, w.dtype()) / ((u + epsilon_) * coefficient(1.0 - power(beta_1_, t), w.dtype())));
  });
}

}  // namespace tapeflow::keras::optimizers
