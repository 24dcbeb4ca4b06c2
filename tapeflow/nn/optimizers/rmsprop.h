// K::optimizers::RMSprop (optionally centered, with momentum), Keras 3's update.
#pragma once
#include "tapeflow/nn/optimizers/optimizer.h"

namespace tapeflow::keras::optimizers {

struct RMSpropOptions {
  LearningRate learning_rate = 0.001;
  double rho = 0.9, momentum = 0.0, epsilon = 1e-7;
  bool centered = false;
  std::optional<double> weight_decay, clipnorm, clipvalue, global_clipnorm;
  std::string name = "rmsprop";
};

/// v = rho v + (1 - rho) g^2; denominator v (+ eps), centered: v - a^2 + eps with
/// a = rho a + (1 - rho) g; increment = lr g / sqrt(denominator); w -= increment, or with
/// momentum m = momentum m + increment, w -= m.
class RMSprop : public Optimizer {
 public:
  explicit RMSprop(RMSpropOptions options = {});
  using Optimizer::build;
  ObjectConfig get_config() const override;

 protected:
  void build(const Variable& var) override;
  void update_step(const Tensor& gradient, Variable& variable, const StepRate& rate) override;
  void update_steps(std::span<const Tensor> gradients, std::span<Variable> variables, const StepRate& rate) override;

 private:
  double rho_, momentum_, epsilon_;
  bool centered_;
};

}  // namespace tapeflow::keras::optimizers
