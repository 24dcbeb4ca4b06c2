#include "tapeflow/nn/optimizers/schedules.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "tapeflow/core/errors.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::keras::optimizers::schedules {

ExponentialDecay::ExponentialDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate, bool staircase)
    : initial_(initial_learning_rate), rate_(decay_rate), decay_steps_(decay_steps), staircase_(staircase) {
  TF_CHECK_ARG(decay_steps > 0, "ExponentialDecay",
               "Argument `decay_steps` must be > 0. Received: decay_steps=", decay_steps);
}

double ExponentialDecay::operator()(int64_t step) const {
  double p = double(step) / double(decay_steps_);
  if (staircase_) p = std::floor(p);
  return initial_ * std::pow(rate_, p);
}

Tensor ExponentialDecay::operator()(const Tensor& step) const {
  Tensor p = step / double(decay_steps_);
  if (staircase_) p = floor(p);
  return initial_ * pow(constant(rate_, DType::kFloat64), p);
}

CosineDecay::CosineDecay(double initial_learning_rate, int64_t decay_steps, CosineDecayOptions options)
    : initial_(initial_learning_rate), decay_steps_(decay_steps), options_(options) {
  TF_CHECK_ARG(decay_steps > 0, "CosineDecay",
               "Argument `decay_steps` must be > 0. Received: decay_steps=", decay_steps);
}

double CosineDecay::operator()(int64_t step) const {
  auto decay = [&](double s, double from) {
    double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * s / double(decay_steps_)));
    return from * ((1.0 - options_.alpha) * cosine + options_.alpha);
  };
  if (!options_.warmup_target) return decay(double(std::min(step, decay_steps_)), initial_);
  const double target = *options_.warmup_target;
  const int64_t s = std::min(step, decay_steps_ + options_.warmup_steps);
  if (s < options_.warmup_steps) return initial_ + (target - initial_) * double(s) / double(options_.warmup_steps);
  return decay(double(s - options_.warmup_steps), target);
}

Tensor CosineDecay::operator()(const Tensor& step) const {
  auto f64 = [](double x) { return constant(x, DType::kFloat64); };
  auto decay = [&](const Tensor& s, double from) {
    Tensor cosine = 0.5 * (1.0 + cos(std::numbers::pi * s / double(decay_steps_)));
    return from * ((1.0 - options_.alpha) * cosine + options_.alpha);
  };
  if (!options_.warmup_target) return decay(minimum(step, f64(double(decay_steps_))), initial_);
  const double target = *options_.warmup_target;
  Tensor s = minimum(step, f64(double(decay_steps_ + options_.warmup_steps)));
  if (options_.warmup_steps == 0) return decay(s, target);
  Tensor warmup = initial_ + (target - initial_) * s / double(options_.warmup_steps);
  return where(less(s, f64(double(options_.warmup_steps))), warmup, decay(s - double(options_.warmup_steps), target));
}

PiecewiseConstantDecay::PiecewiseConstantDecay(std::vector<int64_t> boundaries, std::vector<double> values)
    : boundaries_(std::move(boundaries)), values_(std::move(values)) {
  TF_CHECK_ARG(values_.size() == boundaries_.size() + 1, "PiecewiseConstantDecay",
               "The length of boundaries should be 1 less than the length of values. Received: boundaries of length ",
               boundaries_.size(), " and values of length ", values_.size());
}

double PiecewiseConstantDecay::operator()(int64_t step) const {
  for (std::size_t i = 0; i < boundaries_.size(); ++i)
    if (step <= boundaries_[i]) return values_[i];
  return values_.back();
}

}  // namespace tapeflow::keras::optimizers::schedules

namespace tapeflow::keras::optimizers::schedules {
Tensor PiecewiseConstantDecay::operator()(const Tensor& step) const {
  Tensor rate = constant(values_.back(), DType::kFloat64);
  for (std::size_t i = boundaries_.size(); i-- > 0;)
    rate = where(less_equal(step, constant(double(boundaries_[i]), DType::kFloat64)),
                 constant(values_[i], DType::kFloat64), rate);
  return rate;
}
}  // namespace tapeflow::keras::optimizers::schedules
