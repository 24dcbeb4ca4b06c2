// Note [Fused training ops write in place]: values are immutable, so a fused op may only write
// a variable's buffer when nothing but the variable holds it. Before the op runs, each variable
// whose buffer is shared (a read kept by the user, say) is first given a private copy, as TF's
// training ops copy a resource variable's buffer whose refcount is not one. A read taken before
// the step therefore keeps its value, and the common case (no reads alive) costs no copy.
#include "tapeflow/core/ops/training.h"

#include <cmath>
#include <map>
#include <unordered_set>
#include <utility>

#include "tapeflow/core/errors.h"

namespace tapeflow {
namespace ops {
OpDef FusedApplyGradientDescent{.name = "_FusedApplyGradientDescent"},
    FusedApplyKerasMomentum{.name = "_FusedApplyKerasMomentum"}, FusedApplyAdam{.name = "_FusedApplyAdam"},
    FusedApplyAdagrad{.name = "_FusedApplyAdagrad"}, FusedApplyRMSProp{.name = "_FusedApplyRMSProp"};

void register_training_ops() {
  for (OpDef* op :
       {&FusedApplyGradientDescent, &FusedApplyKerasMomentum, &FusedApplyAdam, &FusedApplyAdagrad, &FusedApplyRMSProp})
    register_op(*op);
}

std::string FusedApplyAttrs::to_string() const {
  return "num_vars=" + std::to_string(num_vars) + ", lr=" + std::to_string(learning_rate);
}
}  // namespace ops

namespace training {
namespace {

/// The variable's value as a tensor that is the only user of its buffer (Note above).
Tensor exclusive_value(const Variable& var) {
  Tensor value = var.read_value();
  // Two holders: the variable itself and `value`.
  if (value.storage().use_count() > 2) {
    Variable(var).assign(value);  // a private copy; earlier reads keep the old buffer
    value = var.read_value();
  }
  return value;
}

/// Checks the lists and runs `op` once per (device, dtype) group of variables.
void fused_apply(const OpDef& op, std::span<const Variable> vars,
                 std::initializer_list<std::span<const Variable>> slots, std::span<const Tensor> grads,
                 ops::FusedApplyParams params, const RateTensors& rates, double weight_decay) {
  std::vector<Tensor> rate_inputs;
  if (rates.learning_rate.defined()) {
    rate_inputs.push_back(rates.learning_rate);
    if (rates.beta_1_power.defined()) rate_inputs.insert(rate_inputs.end(), {rates.beta_1_power, rates.beta_2_power});
    for (const Tensor& r : rate_inputs)
      TF_CHECK_ARG(r.dtype() == DType::kFloat64 && r.shape().rank() == 0, op.name, op.name,
                   ": rates given as tensors must be float64 scalars, got ", dtype_name(r.dtype()), " ",
                   r.shape().to_string());
    params.rate_inputs = static_cast<int64_t>(rate_inputs.size());
    params.weight_decay = weight_decay;
  }
  TF_CHECK_ARG(grads.size() == vars.size(), op.name, op.name, ": got ", grads.size(), " gradients for ", vars.size(),
               " variables");
  std::unordered_set<uint64_t> seen;
  for (std::size_t i = 0; i < vars.size(); ++i) {
    const Variable& w = vars[i];
    TF_CHECK_ARG(supports_fused_apply(w.dtype()), op.name, op.name, " supports float32 and float64 variables, got ",
                 dtype_name(w.dtype()), " for variable '", w.name(), "'");
    TF_CHECK_ARG(grads[i].dtype() == w.dtype() && grads[i].shape() == w.shape(), op.name, op.name,
                 ": the gradient of variable '", w.name(), "' is ", dtype_name(grads[i].dtype()), " ",
                 grads[i].shape().to_string(), ", expected ", dtype_name(w.dtype()), " ", w.shape().to_string());
    for (std::span<const Variable> list : slots) {
      TF_CHECK_ARG(list.size() == vars.size(), op.name, op.name, ": got ", list.size(), " slot variables for ",
                   vars.size(), " variables");
      const Variable& s = list[i];
      TF_CHECK_ARG(s.dtype() == w.dtype() && s.shape() == w.shape() && s.device() == w.device(), op.name, op.name,
                   ": slot '", s.name(), "' (", dtype_name(s.dtype()), " ", s.shape().to_string(), " on ",
                   s.device().str(), ") does not match variable '", w.name(), "' (", dtype_name(w.dtype()), " ",
                   w.shape().to_string(), " on ", w.device().str(), ")");
    }
    TF_CHECK_ARG(seen.insert(w.id()).second, op.name, op.name, ": variable '", w.name(), "' is listed twice");
  }

  // Group by (device, dtype): one kernel per group, usually exactly one.
  std::map<std::pair<std::string, int>, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < vars.size(); ++i)
    groups[{vars[i].device().str(), static_cast<int>(vars[i].dtype())}].push_back(i);

  // The update is not differentiable and must not be recorded by a live tape (TF's training
  // ops have no gradient either); the copies of Note [Fused training ops write in place] are
  // plain assigns.
  struct TapePause {
    int saved = std::exchange(tape_hook_depth(), 0);
    ~TapePause() { tape_hook_depth() = saved; }
  } pause;
  for (const auto& [key, idx] : groups) {
    std::vector<Tensor> inputs;
    inputs.reserve(idx.size() * (slots.size() + 2) + rate_inputs.size());
    for (std::size_t i : idx) inputs.push_back(exclusive_value(vars[i]));
    for (std::span<const Variable> list : slots)
      for (std::size_t i : idx) inputs.push_back(exclusive_value(list[i]));
    for (std::size_t i : idx) inputs.push_back(grads[i].contiguous());
    // The kernels read the rates where the variables are (on GPU, in the kernel: no sync).
    const Device device = vars[idx[0]].device();
    for (const Tensor& r : rate_inputs) inputs.push_back(r.device() == device ? r : r.to(device));
    ops::FusedApplyAttrs attrs(params);
    attrs.num_vars = static_cast<int64_t>(idx.size());
    dispatch(op, inputs, &attrs, {}, vars[idx[0]].device());
  }
}

}  // namespace

bool supports_fused_apply(DType dtype) { return dtype == DType::kFloat32 || dtype == DType::kFloat64; }

void apply_gradient_descent(std::span<const Variable> vars, std::span<const Tensor> grads,
                            const GradientDescentOptions& o) {
  fused_apply(ops::FusedApplyGradientDescent, vars, {}, grads,
              {.learning_rate = o.learning_rate, .decay = o.weight_decay * o.learning_rate}, o.rates, o.weight_decay);
}

void apply_keras_momentum(std::span<const Variable> vars, std::span<const Variable> accums,
                          std::span<const Tensor> grads, const KerasMomentumOptions& o) {
  fused_apply(ops::FusedApplyKerasMomentum, vars, {accums}, grads,
              {.learning_rate = o.learning_rate,
               .decay = o.weight_decay * o.learning_rate,
               .momentum = o.momentum,
               .nesterov = o.nesterov},
              o.rates, o.weight_decay);
}

void apply_adam(std::span<const Variable> vars, std::span<const Variable> ms, std::span<const Variable> vs,
                std::span<const Variable> v_hats, std::span<const Tensor> grads, const AdamOptions& o) {
  TF_CHECK_ARG(o.rates.learning_rate.defined() || o.beta_1_power < 1.0, ops::FusedApplyAdam.name,
               "beta_1_power must be below 1, got ", o.beta_1_power);
  TF_CHECK_ARG(!o.rates.learning_rate.defined() || (o.rates.beta_1_power.defined() && o.rates.beta_2_power.defined()),
               ops::FusedApplyAdam.name, "a learning rate given as a tensor needs beta_1_power and beta_2_power too");
  const double alpha = o.learning_rate * std::sqrt(1.0 - o.beta_2_power) / (1.0 - o.beta_1_power);
  ops::FusedApplyParams params{.learning_rate = alpha,
                               .decay = o.weight_decay * o.learning_rate,
                               .beta_1 = o.beta_1,
                               .beta_2 = o.beta_2,
                               .epsilon = o.epsilon,
                               .amsgrad = !v_hats.empty()};
  if (params.amsgrad)
    fused_apply(ops::FusedApplyAdam, vars, {ms, vs, v_hats}, grads, params, o.rates, o.weight_decay);
  else
    fused_apply(ops::FusedApplyAdam, vars, {ms, vs}, grads, params, o.rates, o.weight_decay);
}

void apply_adagrad(std::span<const Variable> vars, std::span<const Variable> accums, std::span<const Tensor> grads,
                   const AdagradOptions& o) {
  fused_apply(ops::FusedApplyAdagrad, vars, {accums}, grads,
              {.learning_rate = o.learning_rate, .decay = o.weight_decay * o.learning_rate, .epsilon = o.epsilon},
              o.rates, o.weight_decay);
}

void apply_rms_prop(std::span<const Variable> vars, std::span<const Variable> ms, std::span<const Variable> mgs,
                    std::span<const Variable> moms, std::span<const Tensor> grads, const RMSpropOptions& o) {
  ops::FusedApplyParams params{.learning_rate = o.learning_rate,
                               .decay = o.weight_decay * o.learning_rate,
                               .epsilon = o.epsilon,
                               .rho = o.rho,
                               .momentum = o.momentum,
                               .centered = !mgs.empty()};
  const bool with_momentum = !moms.empty();
  if (params.centered && with_momentum)
    fused_apply(ops::FusedApplyRMSProp, vars, {ms, mgs, moms}, grads, params, o.rates, o.weight_decay);
  else if (params.centered)
    fused_apply(ops::FusedApplyRMSProp, vars, {ms, mgs}, grads, params, o.rates, o.weight_decay);
  else if (with_momentum)
    fused_apply(ops::FusedApplyRMSProp, vars, {ms, moms}, grads, params, o.rates, o.weight_decay);
  else
    fused_apply(ops::FusedApplyRMSProp, vars, {ms}, grads, params, o.rates, o.weight_decay);
}

}  // namespace training
}  // namespace tapeflow
