// The op table's rows of the fused training ops (core/ops/training.h: _FusedApplyGradientDescent,
// _FusedApplyKerasMomentum, _FusedApplyAdam, _FusedApplyAdagrad, _FusedApplyRMSProp), which every
// Keras optimizer uses for float32/float64 variables: three steps on variables of 5, 270000 (the
// multi-threaded path) and 7 elements, every element against the update formula computed in
// double on the host (Keras 3's formulas; the optimizers' trajectories against Keras itself are
// tests/nn/optimizers_test.cpp). Run on CPU:0 by tests/core/op_table_training_test.cpp and on
// GPU:0 by tests/gpu/op_table_training_test.cpp.
#pragma once
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <functional>
#include <optional>
#include <random>
#include <vector>

#include "tapeflow/tapeflow.h"

namespace tapeflow::testing::op_table {

/// One element's update in double: w, its slots (initialized from slot_init), g, the 1-based step.
using ElementUpdate = std::function<void(double& w, std::array<double, 3>& s, double g, int t)>;

/// Runs 3 steps of `opt` on variables of 5, 270000 (the multi-threaded path) and 7 elements with
/// random gradients and compares every element with `ref`.
inline void expect_matches_reference(keras::optimizers::Optimizer& opt, DType dtype, const ElementUpdate& ref,
                                     std::array<double, 3> slot_init, double tol) {
  std::mt19937 rng(5);
  std::normal_distribution<double> normal(0.0, 1.0);
  const std::vector<int64_t> sizes{5, 270000, 7};
  std::vector<std::vector<double>> w(sizes.size());
  std::vector<std::vector<std::array<double, 3>>> slots(sizes.size());
  std::vector<Variable> vars;
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    for (int64_t i = 0; i < sizes[k]; ++i) w[k].push_back(normal(rng));
    slots[k].assign(std::size_t(sizes[k]), slot_init);
    vars.emplace_back(constant(w[k], Shape({sizes[k]}), dtype));
    w[k] = cast(vars.back().read_value(), float64).to_vector<double>();  // the values as rounded to dtype
  }
  for (int t = 1; t <= 3; ++t) {
    std::vector<std::optional<Tensor>> grads;
    for (std::size_t k = 0; k < sizes.size(); ++k) {
      std::vector<double> g;
      for (int64_t i = 0; i < sizes[k]; ++i) g.push_back(normal(rng));
      grads.emplace_back(constant(g, Shape({sizes[k]}), dtype));
      g = cast(*grads.back(), float64).to_vector<double>();
      for (int64_t i = 0; i < sizes[k]; ++i) ref(w[k][i], slots[k][i], g[i], t);
    }
    opt.apply_gradients(grads, vars);
  }
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    auto got = cast(vars[k].read_value(), float64).to_vector<double>();
    double worst = 0;
    for (int64_t i = 0; i < sizes[k]; ++i) worst = std::max(worst, std::abs(got[i] - w[k][i]));
    EXPECT_LT(worst, tol) << "variable " << k << " of " << sizes[k] << " elements";
  }
}

inline ElementUpdate decayed(double lr, double wd, ElementUpdate update) {
  return [=](double& w, std::array<double, 3>& s, double g, int t) {
    w -= w * wd * lr;
    update(w, s, g, t);
  };
}

inline ElementUpdate adam_ref(double lr, bool amsgrad, double b1 = 0.9, double b2 = 0.999, double eps = 1e-7) {
  return [=](double& w, std::array<double, 3>& s, double g, int t) {
    double alpha = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
    s[0] += (g - s[0]) * (1 - b1);
    s[1] += (g * g - s[1]) * (1 - b2);
    s[2] = std::max(s[2], s[1]);
    w -= alpha * s[0] / (std::sqrt(amsgrad ? s[2] : s[1]) + eps);
  };
}

/// Adam, AMSGrad and AdamW (_FusedApplyAdam) in float64 and float32.
inline void check_fused_adam_rows() {
  for (DType dtype : {float64, float32}) {
    const double tol = dtype == float64 ? 1e-12 : 2e-6;
    keras::optimizers::Adam adam({.learning_rate = 0.01});
    expect_matches_reference(adam, dtype, adam_ref(0.01, false), {0, 0, 0}, tol);
    keras::optimizers::Adam ams({.learning_rate = 0.01, .amsgrad = true});
    expect_matches_reference(ams, dtype, adam_ref(0.01, true), {0, 0, 0}, tol);
    keras::optimizers::AdamW adamw({.learning_rate = 0.01, .weight_decay = 0.1});
    expect_matches_reference(adamw, dtype, decayed(0.01, 0.1, adam_ref(0.01, false)), {0, 0, 0}, tol);
  }
}

/// SGD with weight decay, momentum and Nesterov (_FusedApplyGradientDescent, _FusedApplyKerasMomentum).
inline void check_fused_sgd_rows() {
  for (DType dtype : {float64, float32}) {
    const double tol = dtype == float64 ? 1e-12 : 2e-6;
    keras::optimizers::SGD plain({.learning_rate = 0.1, .weight_decay = 0.01});
    expect_matches_reference(plain, dtype, decayed(0.1, 0.01, [](double& w, auto&, double g, int) { w -= 0.1 * g; }),
                             {0, 0, 0}, tol);
    for (bool nesterov : {false, true}) {
      keras::optimizers::SGD momentum({.learning_rate = 0.1, .momentum = 0.9, .nesterov = nesterov});
      expect_matches_reference(
          momentum, dtype,
          [=](double& w, std::array<double, 3>& s, double g, int) {
            s[0] = 0.9 * s[0] - 0.1 * g;
            w += nesterov ? 0.9 * s[0] - 0.1 * g : s[0];
          },
          {0, 0, 0}, tol);
    }
  }
}

/// Adagrad and RMSprop, centered or not, with and without momentum (_FusedApplyAdagrad,
/// _FusedApplyRMSProp).
inline void check_fused_adagrad_rmsprop_rows() {
  for (DType dtype : {float64, float32}) {
    const double tol = dtype == float64 ? 1e-12 : 1e-5;
    keras::optimizers::Adagrad adagrad({.learning_rate = 0.1});
    expect_matches_reference(
        adagrad, dtype,
        [](double& w, std::array<double, 3>& s, double g, int) {
          s[0] += g * g;
          w -= 0.1 * g / std::sqrt(s[0] + 1e-7);
        },
        {0.1, 0, 0}, tol);
    for (bool centered : {false, true}) {
      for (double momentum : {0.0, 0.5}) {
        keras::optimizers::RMSprop rms({.learning_rate = 0.01, .momentum = momentum, .centered = centered});
        expect_matches_reference(
            rms, dtype,
            [=](double& w, std::array<double, 3>& s, double g, int) {
              s[0] = 0.9 * s[0] + 0.1 * g * g;
              s[1] = 0.9 * s[1] + 0.1 * g;
              const double inc = 0.01 * g / std::sqrt(centered ? s[0] - s[1] * s[1] + 1e-7 : s[0] + 1e-7);
              s[2] = momentum * s[2] + inc;
              w -= momentum > 0 ? s[2] : inc;
            },
            {0, 0, 0}, tol);
      }
    }
  }
}

}  // namespace tapeflow::testing::op_table
