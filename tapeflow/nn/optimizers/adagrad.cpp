#include "tapeflow/nn/optimizers/adagrad.h"

#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/training.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::keras::optimizers {

Adagrad::Adagrad(AdagradOptions o)
    : Optimizer("adagrad", {.learning_rate = o.learning_rate,
                            .weight_decay = o.weight_decay,
                            .clipnorm = o.clipnorm,
                            .clipvalue = o.clipvalue,
                            .global_clipnorm = o.global_clipnorm,
                            .name = o.name}),
      initial_accumulator_value_(o.initial_accumulator_value),
      epsilon_(o.epsilon) {}

void Adagrad::build(const Variable& var) { add_slot(var, "accumulator", initial_accumulator_value_); }

void Adagrad::update_step(const Tensor& g, Variable& w, const StepRate& rate) {
  Variable acc = slot(w, "accumulator");
  acc.assign_add(square(g));
  rate.visit([&](const auto& lr, const auto&) {
    w.assign_sub(g * step_math::coefficient(lr, w.dtype()) / sqrt(acc + epsilon_));
  });
}

void Adagrad::update_steps(std::span<const Tensor> g, std::span<Variable> w, const StepRate& rate) {
  if (!can_fuse(w)) return Optimizer::update_steps(g, w, rate);
  training::apply_adagrad(w, slots(w, "accumulator"), g,
                          {.learning_rate = rate.lr,
                           .epsilon = epsilon_,
                           .weight_decay = weight_decay(),
                           .rates = {.learning_rate = rate.lr_t}});
}

}  // namespace tapeflow::keras::optimizers
