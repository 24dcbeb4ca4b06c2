// K::optimizers::SGD: plain, momentum and Nesterov gradient descent (Keras 3's update).
#pragma once
#include "tapeflow/nn/optimizers/optimizer.h"

namespace tapeflow::keras::optimizers {

struct SGDOptions {
  LearningRate learning_rate = 0.01;
  double momentum = 0.0;
  bool nesterov = false;
  std::optional<double> weight_decay, clipnorm, clipvalue, global_clipnorm;
  std::string name = "SGD";
};

/// momentum == 0: w -= lr g. Else m = momentum m - lr g; w += m, or with nesterov
/// w += momentum m - lr g.
class SGD : public Optimizer {
 public:
  explicit SGD(SGDOptions options = {});
  using Optimizer::build;
  ObjectConfig get_config() const override;

 protected:
  void build(const Variable& var) override;
  void update_step(const Tensor& gradient, Variable& variable, const StepRate& rate) override;
  void update_steps(std::span<const Tensor> gradients, std::span<Variable> variables, const StepRate& rate) override;

 private:
  double momentum_;
  bool nesterov_;
};

}  // namespace tapeflow::keras::optimizers
