// The per-element updates of the fused training ops (core/ops/training.h), written once for the
// CPU loop and the CUDA kernel. An update sees one element of each of its kLists tensors:
// p[0] the variable, then its slots, then the gradient last (read only). Every update first
// applies Keras's weight decay (w -= w * decay, decay = weight_decay * learning_rate) and then
// the optimizer's formula, with the same operation order as the composite update in
// nn/optimizers/, so both paths round alike.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "tapeflow/core/dtype.h"
#include "tapeflow/util/half.h"

namespace tapeflow::kernels {

template <typename T> TF_HOST_DEVICE inline void apply_weight_decay(T& w, T decay) {
  // A select, not a branch: a branch in the loop body stops GCC vectorizing the CPU loop.
  w = decay != T(0) ? w - w * decay : w;
}

/// w -= g * lr.  Lists: w, g.
template <typename T> struct GradientDescentUpdate {
  using value_type = T;
  static constexpr int kLists = 2;
  T lr, decay;
  TF_HOST_DEVICE void set_rate(T rate, T d) { lr = rate, decay = d; }
  TF_HOST_DEVICE void operator()(T* const* p, int64_t i) const {
    T& w = p[0][i];
    const T g = p[1][i];
    apply_weight_decay(w, decay);
    w = w - g * lr;
  }
};

/// Keras's SGD momentum: m = m * momentum - g * lr; w += m (nesterov: w += m * momentum - g * lr).
/// Lists: w, m, g.
template <typename T, bool kNesterov> struct KerasMomentumUpdate {
  using value_type = T;
  static constexpr int kLists = 3;
  T lr, momentum, decay;
  TF_HOST_DEVICE void set_rate(T rate, T d) { lr = rate, decay = d; }
  TF_HOST_DEVICE void operator()(T* const* p, int64_t i) const {
    T& w = p[0][i];
    T& m = p[1][i];
    const T g = p[2][i];
    apply_weight_decay(w, decay);
    m = m * momentum - g * lr;
    if constexpr (kNesterov)
      w = w + (m * momentum - g * lr);
    else
      w = w + m;
  }
};

/// Adam: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= alpha m / (sqrt(v) + eps), with
/// alpha = lr sqrt(1 - b2^t) / (1 - b1^t). AMSGrad divides by the running maximum v_hat of v.
/// Lists: w, m, v, g (AMSGrad: w, m, v, v_hat, g).
template <typename T, bool kAmsgrad> struct AdamUpdate {
  using value_type = T;
  static constexpr int kLists = kAmsgrad ? 5 : 4;
  T alpha, one_minus_beta_1, one_minus_beta_2, epsilon, decay;
  TF_HOST_DEVICE void set_rate(T rate, T d) { alpha = rate, decay = d; }
  TF_HOST_DEVICE void operator()(T* const* p, int64_t i) const {
    T& w = p[0][i];
    T& m = p[1][i];
    T& v = p[2][i];
    const T g = p[kLists - 1][i];
    apply_weight_decay(w, decay);
    m = m + (g - m) * one_minus_beta_1;
    v = v + (g * g - v) * one_minus_beta_2;
    T denom_v = v;
    if constexpr (kAmsgrad) {
      T& v_hat = p[3][i];
      v_hat = v_hat > v ? v_hat : v;
      denom_v = v_hat;
    }
    w = w - m * alpha / (std::sqrt(denom_v) + epsilon);
  }
};

/// Adagrad: acc += g^2; w -= g * lr / sqrt(acc + eps).  Lists: w, acc, g.
template <typename T> struct AdagradUpdate {
  using value_type = T;
  static constexpr int kLists = 3;
  T lr, epsilon, decay;
  TF_HOST_DEVICE void set_rate(T rate, T d) { lr = rate, decay = d; }
  TF_HOST_DEVICE void operator()(T* const* p, int64_t i) const {
    T& w = p[0][i];
    T& acc = p[1][i];
    const T g = p[2][i];
    apply_weight_decay(w, decay);
    acc = acc + g * g;
    w = w - g * lr / std::sqrt(acc + epsilon);
  }
};

/// RMSprop: v = v rho + g^2 (1 - rho); centered: a = a rho + g (1 - rho), denominator v - a^2 + eps
/// (else v + eps); increment = g lr / sqrt(denominator); with momentum m = m momentum + increment
/// and w -= m, else w -= increment.  Lists: w, v, [a], [m], g.
template <typename T, bool kCentered, bool kMomentum> struct RMSpropUpdate {
  using value_type = T;
  static constexpr int kLists = 3 + int(kCentered) + int(kMomentum);
  T lr, rho, one_minus_rho, momentum, epsilon, decay;
  TF_HOST_DEVICE void set_rate(T rate, T d) { lr = rate, decay = d; }
  TF_HOST_DEVICE void operator()(T* const* p, int64_t i) const {
    T& w = p[0][i];
    T& v = p[1][i];
    const T g = p[kLists - 1][i];
    apply_weight_decay(w, decay);
    v = v * rho + g * g * one_minus_rho;
    T denominator;
    if constexpr (kCentered) {
      T& a = p[2][i];
      a = a * rho + g * one_minus_rho;
      denominator = v - a * a + epsilon;
    } else {
      denominator = v + epsilon;
    }
    const T increment = g * lr * (T(1) / std::sqrt(denominator));
    if constexpr (kMomentum) {
      T& m = p[2 + int(kCentered)][i];
      m = m * momentum + increment;
      w = w - m;
    } else {
      w = w - increment;
    }
  }
};

/// Note [Rates as inputs]: a fused op traced into a tf::function takes its step-dependent
/// scalars as trailing float64 scalar inputs (TF's ResourceApply* take lr, beta1_power and
/// beta2_power as tensors), computed in the graph from the optimizer's iterations, instead of
/// attributes frozen at trace time. The kernels resolve them here, in double and in the order
/// the host uses for the attributes (core/ops/training.cpp), so both paths give the same rates.
struct RateInputs {
  const double* lr = nullptr;            // null: the attributes hold the rates
  const double* beta_1_power = nullptr;  // Adam only
  const double* beta_2_power = nullptr;
  double weight_decay = 0.0;
  /// The update's rate (Adam: alpha = lr sqrt(1 - b2^t) / (1 - b1^t)) and weight decay * lr.
  template <typename Update> TF_HOST_DEVICE void apply(Update& u) const {
    using T = typename Update::value_type;
    const double l = *lr;
    const double rate = beta_1_power ? l * std::sqrt(1.0 - *beta_2_power) / (1.0 - *beta_1_power) : l;
    u.set_rate(T(rate), T(weight_decay * l));
  }
};

/// The fused training ops, as the kernels name them to pick their update.
enum class FusedOp { kGradientDescent, kKerasMomentum, kAdam, kAdagrad, kRMSProp };

/// Calls run(update) once with the per-element update that op kOp's attributes `a`
/// (ops::FusedApplyAttrs) select, over float64 or float32: the one mapping from attributes to
/// update functors, shared by the CPU and CUDA kernels. `lists_per_var` is the op's number of
/// inputs per variable (it tells whether RMSprop has a momentum list).
template <FusedOp kOp, typename T, typename Attrs, typename Run>
void with_update(const Attrs& a, int64_t lists_per_var, Run&& run) {
  if constexpr (kOp == FusedOp::kGradientDescent) {
    run(GradientDescentUpdate<T>{T(a.learning_rate), T(a.decay)});
  } else if constexpr (kOp == FusedOp::kKerasMomentum) {
    if (a.nesterov)
      run(KerasMomentumUpdate<T, true>{T(a.learning_rate), T(a.momentum), T(a.decay)});
    else
      run(KerasMomentumUpdate<T, false>{T(a.learning_rate), T(a.momentum), T(a.decay)});
  } else if constexpr (kOp == FusedOp::kAdam) {
    const T alpha(a.learning_rate), c1(1.0 - a.beta_1), c2(1.0 - a.beta_2), eps(a.epsilon), decay(a.decay);
    if (a.amsgrad)
      run(AdamUpdate<T, true>{alpha, c1, c2, eps, decay});
    else
      run(AdamUpdate<T, false>{alpha, c1, c2, eps, decay});
  } else if constexpr (kOp == FusedOp::kAdagrad) {
    run(AdagradUpdate<T>{T(a.learning_rate), T(a.epsilon), T(a.decay)});
  } else {
    const bool momentum = lists_per_var == 4 + int64_t(a.centered);
    const T lr(a.learning_rate), rho(a.rho), omr(1.0 - a.rho), mom(a.momentum), eps(a.epsilon), decay(a.decay);
    if (a.centered && momentum)
      run(RMSpropUpdate<T, true, true>{lr, rho, omr, mom, eps, decay});
    else if (a.centered)
      run(RMSpropUpdate<T, true, false>{lr, rho, omr, mom, eps, decay});
    else if (momentum)
      run(RMSpropUpdate<T, false, true>{lr, rho, omr, mom, eps, decay});
    else
      run(RMSpropUpdate<T, false, false>{lr, rho, omr, mom, eps, decay});
  }
}

template <FusedOp kOp, typename Attrs, typename Run>
void with_update(const Attrs& a, bool float64, int64_t lists_per_var, Run&& run) {
  if (float64)
    with_update<kOp, double>(a, lists_per_var, run);
  else
    with_update<kOp, float>(a, lists_per_var, run);
}

/// The kernel body of fused op kOp, for the CPU loop and the CUDA launch alike: calls
/// run(update, rates) with the update its attributes select and the rates of its trailing scalar
/// inputs (Note [Rates as inputs]). The op's inputs are its lists (num_vars tensors each:
/// variables, slots, gradients) and then `rate_inputs` float64 scalars: the learning rate and,
/// for Adam, beta_1_power and beta_2_power. rates.lr is null when the attributes hold the rates.
template <FusedOp kOp, typename Context, typename Attrs, typename Run>
void with_fused_apply(Context& ctx, const Attrs& a, Run&& run) {
  const int64_t lists = int64_t(ctx.inputs.size()) - a.rate_inputs;
  RateInputs rates{.weight_decay = a.weight_decay};
  auto scalar = [&](int64_t k) { return static_cast<const double*>(ctx.input(std::size_t(lists + k)).raw_data()); };
  if (a.rate_inputs > 0) rates.lr = scalar(0);
  if (a.rate_inputs == 3) rates.beta_1_power = scalar(1), rates.beta_2_power = scalar(2);
  with_update<kOp>(a, ctx.input(0).dtype() == DType::kFloat64, lists / a.num_vars,
                   [&](const auto& update) { run(update, rates); });
}

}  // namespace tapeflow::kernels
