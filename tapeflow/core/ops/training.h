// Fused training ops: one op per optimizer step that updates every variable and its slots in
// place, in one kernel (one CUDA launch for up to kFusedApplyMaxTensors variables), instead of
// a dozen elementwise ops per variable. The arguments follow TF's raw training ops
// (tf.raw_ops.ResourceApplyAdam: lr, beta1_power, beta2_power, beta1, beta2, epsilon) taken
// over lists of variables, as PyTorch's multi-tensor ("foreach") optimizers do.
// float32 and float64 variables; K::optimizers fall back to their composite update otherwise.
#pragma once
#include <span>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/variable.h"

namespace tapeflow::training {

/// Whether the fused ops take variables of this dtype (float32, float64).
bool supports_fused_apply(DType dtype);

/// Note [Rates as inputs] (kernels/training.h): a defined `learning_rate` (a float64 scalar
/// tensor, with Adam's beta powers) replaces the options' host values when the op runs, so a
/// step traced into a tf::function computes them from the optimizer's iterations in the graph.
struct RateTensors {
  Tensor learning_rate{}, beta_1_power{}, beta_2_power{};
};

/// Keras's weight decay rides along every op: w -= w * weight_decay * learning_rate first.
struct GradientDescentOptions {
  double learning_rate = 0.01;
  double weight_decay = 0.0;
  RateTensors rates{};
};
/// w -= learning_rate * g for every (vars[i], grads[i]).
void apply_gradient_descent(std::span<const Variable> vars, std::span<const Tensor> grads,
                            const GradientDescentOptions& options);

struct KerasMomentumOptions {
  double learning_rate = 0.01;
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 0.0;
  RateTensors rates{};
};
/// tf.raw_ops.ResourceApplyKerasMomentum: accum = accum * momentum - lr * g; var += accum
/// (nesterov: var += accum * momentum - lr * g).
void apply_keras_momentum(std::span<const Variable> vars, std::span<const Variable> accums,
                          std::span<const Tensor> grads, const KerasMomentumOptions& options);

struct AdamOptions {
  double learning_rate = 0.001;
  double beta_1_power = 0.9;    // beta_1^t for the 1-based step t
  double beta_2_power = 0.999;  // beta_2^t
  double beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7;
  double weight_decay = 0.0;
  RateTensors rates{};
};
/// tf.raw_ops.ResourceApplyAdam: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
/// var -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps). A non-empty `v_hats` gives
/// AMSGrad (v_hat = max(v_hat, v) divides instead of v).
void apply_adam(std::span<const Variable> vars, std::span<const Variable> ms, std::span<const Variable> vs,
                std::span<const Variable> v_hats, std::span<const Tensor> grads, const AdamOptions& options);

struct AdagradOptions {
  double learning_rate = 0.001;
  double epsilon = 1e-7;
  double weight_decay = 0.0;
  RateTensors rates{};
};
/// Keras's Adagrad: accum += g^2; var -= lr g / sqrt(accum + eps).
void apply_adagrad(std::span<const Variable> vars, std::span<const Variable> accums, std::span<const Tensor> grads,
                   const AdagradOptions& options);

struct RMSpropOptions {
  double learning_rate = 0.001;
  double rho = 0.9, momentum = 0.0, epsilon = 1e-7;
  double weight_decay = 0.0;
  RateTensors rates{};
};
/// Keras's RMSprop: ms = rho ms + (1 - rho) g^2; with non-empty `mgs` (centered) mg = rho mg +
/// (1 - rho) g and the denominator is ms - mg^2 + eps, else ms + eps; increment = lr g /
/// sqrt(denominator); with non-empty `moms` mom = momentum mom + increment, var -= mom, else
/// var -= increment.
void apply_rms_prop(std::span<const Variable> vars, std::span<const Variable> ms, std::span<const Variable> mgs,
                    std::span<const Variable> moms, std::span<const Tensor> grads, const RMSpropOptions& options);

}  // namespace tapeflow::training

namespace tapeflow::ops {
/// The kernels see inputs [vars..., slots of kind 0..., slots of kind 1..., ..., grads...]
/// (num_vars each, contiguous, same dtype and device), then `rate_inputs` float64 scalars (lr,
/// and Adam's beta_1_power, beta_2_power; Note [Rates as inputs]), and write the variables and
/// slots in place; the ops have no outputs.
extern OpDef FusedApplyGradientDescent, FusedApplyKerasMomentum, FusedApplyAdam, FusedApplyAdagrad, FusedApplyRMSProp;
/// Variables per CUDA launch (more take several launches); see kernels/cuda/training.cu.
inline constexpr int kFusedApplyMaxTensors = 32;

struct FusedApplyParams {
  int64_t num_vars = 0;
  double learning_rate = 0.0;  // Adam: the bias-corrected step size alpha
  double decay = 0.0;          // weight_decay * learning_rate
  double beta_1 = 0.0, beta_2 = 0.0, epsilon = 0.0, rho = 0.0, momentum = 0.0;
  bool nesterov = false, amsgrad = false, centered = false;
  int64_t rate_inputs = 0;    // trailing scalar inputs replacing learning_rate and decay
  double weight_decay = 0.0;  // with rate_inputs: decay = weight_decay * lr
};
struct FusedApplyAttrs : OpAttrsBase<FusedApplyAttrs>, FusedApplyParams {
  explicit FusedApplyAttrs(const FusedApplyParams& p) : FusedApplyParams(p) {}
  std::string to_string() const override;
};
void register_training_ops();
}  // namespace tapeflow::ops
