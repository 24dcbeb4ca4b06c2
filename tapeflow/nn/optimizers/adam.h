// K::optimizers::Adam and AdamW (Adam with decoupled weight decay), Keras 3's update.
#pragma once
#include "tapeflow/nn/optimizers/optimizer.h"

namespace tapeflow::keras::optimizers {

struct AdamOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7;
  bool amsgrad = false;
  std::optional<double> weight_decay, clipnorm, clipvalue, global_clipnorm;
  std::string name = "adam";
};

/// m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps)
/// with t the 1-based step (amsgrad uses the running maximum of v).
class Adam : public Optimizer {
 public:
  explicit Adam(AdamOptions options = {});
  using Optimizer::build;
  ObjectConfig get_config() const override;

 protected:
  void build(const Variable& var) override;
  void update_step(const Tensor& gradient, Variable& variable, const StepRate& rate) override;
  void update_steps(std::span<const Tensor> gradients, std::span<Variable> variables, const StepRate& rate) override;

 private:
  double beta_1_, beta_2_, epsilon_;
  bool amsgrad_;
};

struct AdamWOptions {
  LearningRate learning_rate = 0.001;
  double weight_decay = 0.004;
  double beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7;
  bool amsgrad = false;
  std::optional<double> clipnorm, clipvalue, global_clipnorm;
  std::string name = "adamw";
};

/// Adam after w -= w * weight_decay * lr (decoupled weight decay).
class AdamW : public Adam {
 public:
  explicit AdamW(AdamWOptions options = {});
  ObjectConfig get_config() const override;
};

}  // namespace tapeflow::keras::optimizers
