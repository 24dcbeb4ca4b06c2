// K::optimizers::Nadam: Adam with Nesterov momentum, Keras 3's update (Dozat's momentum schedule).
#pragma once
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/nn/optimizers/optimizer.h"

namespace tapeflow::keras::optimizers {

struct NadamOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7;
  std::optional<double> weight_decay, clipnorm, clipvalue, global_clipnorm;
  std::string name = "nadam";
};

/// With t the 1-based step, u_t = b1 (1 - 0.5 * 0.96^t) and P_t = u_1 ... u_t:
/// m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
/// m_hat = u_{t+1} m / (1 - P_t u_{t+1}) + (1 - u_t) g / (1 - P_t); v_hat = v / (1 - b2^t);
/// w -= lr m_hat / (sqrt(v_hat) + eps).
/// `K::optimizers::Nadam opt({.learning_rate = 1e-3});`
class Nadam : public Optimizer {
 public:
  explicit Nadam(NadamOptions options = {});
  using Optimizer::build;

 protected:
  void build(const Variable& var) override;
  void update_step(const Tensor& gradient, Variable& variable, const StepRate& rate) override;
  void update_steps(std::span<const Tensor> gradients, std::span<Variable> variables, const StepRate& rate) override;

 private:
  void restored() override;

 private:
  /// u_t of step t (1-based): beta_1 (1 - 0.5 * 0.96^t), for t a double or a float64 tensor.
  template <typename S> S momentum_factor(const S& t) const;
  double beta_1_, beta_2_, epsilon_;
  // Keras keeps P_t = u_1 ... u_t in a variable (_u_product). Eager steps keep it on the host
  // (recomputed when the step jumps: a restored checkpoint) and mirror it into `variable`;
  // traced steps multiply the variable in the graph (Note [Optimizers in tf::function]).
  struct Product {
    int64_t step = 0;
    double value = 1.0;
    Variable variable{constant(1.0, DType::kFloat64), {.name = "u_product", .trainable = false}};
    Tensor traced;  // this step's P_t as a tensor, between update_steps and update_step
  };
  std::shared_ptr<Product> u_product_ = std::make_shared<Product>();
};

}  // namespace tapeflow::keras::optimizers
