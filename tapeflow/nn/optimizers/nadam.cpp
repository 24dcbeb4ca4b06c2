#include "tapeflow/nn/optimizers/nadam.h"

#include <cmath>

#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::keras::optimizers {

Nadam::Nadam(NadamOptions o)
    : Optimizer("nadam", {.learning_rate = o.learning_rate,
                          .weight_decay = o.weight_decay,
                          .clipnorm = o.clipnorm,
                          .clipvalue = o.clipvalue,
                          .global_clipnorm = o.global_clipnorm,
                          .name = o.name}),
      beta_1_(o.beta_1),
      beta_2_(o.beta_2),
      epsilon_(o.epsilon) {}

void Nadam::build(const Variable& var) {
  add_slot(var, "momentum");
  add_slot(var, "velocity");
}

double Nadam::momentum_factor(double t) const { return beta_1_ * (1.0 - 0.5 * std::pow(0.96, t)); }

void Nadam::update_steps(std::span<const Tensor> g, std::span<Variable> w, double lr) {
  const int64_t t = iterations() + 1;
  auto& [step, product] = *u_product_;
  if (step != t - 1) {  // first use, or the step moved under us (restore): recompute P_{t-1}
    product = 1.0;
    for (int64_t s = 1; s < t; ++s) product *= momentum_factor(double(s));
  }
  product *= momentum_factor(double(t));
  step = t;
  Optimizer::update_steps(g, w, lr);
}

void Nadam::update_step(const Tensor& g, Variable& w, double lr) {
  const double t = double(iterations() + 1);
  const double u_t = momentum_factor(t), u_next = momentum_factor(t + 1);
  const double product = u_product_->second, product_next = product * u_next;
  Variable m = slot(w, "momentum"), v = slot(w, "velocity");
  m.assign_add((g - m) * (1.0 - beta_1_));
  v.assign_add((square(g) - v) * (1.0 - beta_2_));
  Tensor m_hat = m * (u_next / (1.0 - product_next)) + g * ((1.0 - u_t) / (1.0 - product));
  Tensor v_hat = v / (1.0 - std::pow(beta_2_, t));
  w.assign_sub(m_hat * lr / (sqrt(v_hat) + epsilon_));
}

}  // namespace tapeflow::keras::optimizers
