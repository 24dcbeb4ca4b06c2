// K::optimizers::Adagrad, Keras 3's update.
#pragma once
#include "tapeflow/nn/optimizers/optimizer.h"

namespace tapeflow::keras::optimizers {

struct AdagradOptions {
  LearningRate learning_rate = 0.001;
  double initial_accumulator_value = 0.1, epsilon = 1e-7;
  std::optional<double> weight_decay, clipnorm, clipvalue, global_clipnorm;
  std::string name = "adagrad";
};

/// acc += g^2; w -= lr g / sqrt(acc + eps).
class Adagrad : public Optimizer {
 public:
  explicit Adagrad(AdagradOptions options = {});
  using Optimizer::build;

 protected:
  void build(const Variable& var) override;
  void update_step(const Tensor& gradient, Variable& variable, const StepRate& rate) override;
  void update_steps(std::span<const Tensor> gradients, std::span<Variable> variables, const StepRate& rate) override;

 private:
  double initial_accumulator_value_, epsilon_;
};

}  // namespace tapeflow::keras::optimizers
