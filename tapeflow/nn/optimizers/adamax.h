// K::optimizers::Adamax: Adam with the infinity norm, Keras 3's update.
#pragma once
#include "tapeflow/nn/optimizers/optimizer.h"

namespace tapeflow::keras::optimizers {

struct AdamaxOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7;
  std::optional<double> weight_decay, clipnorm, clipvalue, global_clipnorm;
  std::string name = "adamax";
};

/// m += (g - m)(1 - b1); u = max(b2 u, |g|); w -= lr m / ((1 - b1^t)(u + eps)), t the 1-based step.
/// `K::optimizers::Adamax opt({.learning_rate = 1e-3});`
class Adamax : public Optimizer {
 public:
  explicit Adamax(AdamaxOptions options = {});
  using Optimizer::build;

 protected:
  void build(const Variable& var) override;
  void update_step(const Tensor& gradient, Variable& variable, const StepRate& rate) override;

 private:
  double beta_1_, beta_2_, epsilon_;
};

}  // namespace tapeflow::keras::optimizers
