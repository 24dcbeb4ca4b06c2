// K::optimizers::schedules: learning rates as functions of the optimizer's step, with Keras 3's
// formulas (ExponentialDecay, CosineDecay with optional warmup, PiecewiseConstantDecay).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "tapeflow/core/tensor.h"

namespace tapeflow::keras::optimizers::schedules {

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  /// The learning rate at optimizer step `step` (the number of updates applied so far).
  virtual double operator()(int64_t step) const = 0;
  /// The same as ops on a float64 scalar `step`, in the host formula's operation order (so both
  /// give the same double): what an optimizer step traced into a tf::function evaluates.
  virtual Tensor operator()(const Tensor& step) const = 0;
};

/// initial_learning_rate * decay_rate ^ (step / decay_steps) (integer division when staircase).
class ExponentialDecay : public LearningRateSchedule {
 public:
  ExponentialDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate, bool staircase = false);
  double operator()(int64_t step) const override;
  Tensor operator()(const Tensor& step) const override;

 private:
  double initial_, rate_;
  int64_t decay_steps_;
  bool staircase_;
};

struct CosineDecayOptions {
  double alpha = 0.0;                   // the final rate as a fraction of the initial one
  std::optional<double> warmup_target;  // with warmup_steps: ramps linearly from initial to target first
  int64_t warmup_steps = 0;
};
/// Cosine from initial_learning_rate (or warmup_target) down to alpha times it over decay_steps.
class CosineDecay : public LearningRateSchedule {
 public:
  CosineDecay(double initial_learning_rate, int64_t decay_steps, CosineDecayOptions options = {});
  double operator()(int64_t step) const override;
  Tensor operator()(const Tensor& step) const override;

 private:
  double initial_;
  int64_t decay_steps_;
  CosineDecayOptions options_;
};

/// values[0] for step <= boundaries[0], values[i] for boundaries[i-1] < step <= boundaries[i],
/// values.back() after the last boundary. values.size() == boundaries.size() + 1.
class PiecewiseConstantDecay : public LearningRateSchedule {
 public:
  PiecewiseConstantDecay(std::vector<int64_t> boundaries, std::vector<double> values);
  double operator()(int64_t step) const override;
  Tensor operator()(const Tensor& step) const override;

 private:
  std::vector<int64_t> boundaries_;
  std::vector<double> values_;
};

}  // namespace tapeflow::keras::optimizers::schedules
