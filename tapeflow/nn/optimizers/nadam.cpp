#include "tapeflow/nn/optimizers/nadam.h"

#include <cmath>
#include <type_traits>

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

template <typename S> S Nadam::momentum_factor(const S& t) const {
  return beta_1_ * (1.0 - 0.5 * step_math::power(0.96, t));
}

void Nadam::update_steps(std::span<const Tensor> g, std::span<Variable> w, const StepRate& rate) {
  Product& p = *u_product_;
  if (rate.traced()) {
    p.traced = p.variable.read_value() * momentum_factor(rate.t_t);
    p.variable.assign(p.traced);
  } else {
    const auto t = static_cast<int64_t>(rate.t);
    if (p.step != t - 1) {  // first use, or the step moved under us (restore): recompute P_{t-1}
      p.value = 1.0;
      for (int64_t s = 1; s < t; ++s) p.value *= momentum_factor(double(s));
    }
    p.value *= momentum_factor(double(t));
    p.step = t;
    p.variable.assign(constant(p.value, DType::kFloat64));
  }
  Optimizer::update_steps(g, w, rate);
}

void Nadam::restored() {
  Optimizer::restored();
  Product& p = *u_product_;
  const int64_t t = iterations();
  p.value = 1.0;
  for (int64_t s = 1; s <= t; ++s) p.value *= momentum_factor(double(s));
  p.step = t;
  p.variable.assign(constant(p.value, DType::kFloat64));
}

void Nadam::update_step(const Tensor& g, Variable& w, const StepRate& rate) {
  using namespace step_math;
  Variable m = slot(w, "momentum"), v = slot(w, "velocity");
  m.assign_add((g - m) * (1.0 - beta_1_));
  v.assign_add((square(g) - v) * (1.0 - beta_2_));
  const DType dt = w.dtype();
  rate.visit([&](const auto& lr, const auto& t) {
    using S = std::decay_t<decltype(t)>;
    S product;
    if constexpr (std::is_same_v<S, double>)
      product = u_product_->value;
    else
      product = u_product_->traced;
    const S u_t = momentum_factor(t), u_next = momentum_factor(t + 1.0);
    const S product_next = product * u_next;
    Tensor m_hat =
        m * coefficient(u_next / (1.0 - product_next), dt) + g * coefficient((1.0 - u_t) / (1.0 - product), dt);
    Tensor v_hat = v / coefficient(1.0 - power(beta_2_, t), dt);
    w.assign_sub(m_hat * coefficient(lr, dt) / (sqrt(v_hat) + epsilon_));
  });
}

}  // namespace tapeflow::keras::optimizers
