#include "tapeflow/nn/models/callbacks.h"

#include <cmath>
#include <cstdio>
#include <iostream>

#include "tapeflow/core/float_format.h"
#include "tapeflow/core/logging.h"
#include "tapeflow/nn/models/model.h"

namespace tapeflow::keras::callbacks {

namespace {
/// str() of a Python float, as Keras's messages print numbers.
std::string py_float(double v) { return detail::format_float_scalar(detail::FloatBits::of(v), v, 1e16); }
}  // namespace

Model& Callback::model() const {
  if (!model_) TF_THROW(FailedPreconditionError, "", "This callback is not attached to a model (set_model)");
  return *model_;
}

void History::on_epoch_end(int e, const Logs& logs) {
  epoch.push_back(e);
  for (const auto& [k, v] : logs) history[k].push_back(v);
}

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : options_(std::move(options)) {
  const std::string& m = options_.monitor;
  if (options_.mode == "max")
    maximize_ = true;
  else if (options_.mode == "min")
    maximize_ = false;
  else
    maximize_ = m.find("acc") != std::string::npos || m.find("auc") != std::string::npos;
}

bool EarlyStopping::is_improvement(double value, double reference) const {
  const double delta = std::abs(options_.min_delta);
  return maximize_ ? value - delta > reference : value + delta < reference;
}

void EarlyStopping::on_train_begin(const Logs&) {
  wait_ = stopped_epoch_ = best_epoch_ = 0;
  best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  best_weights_.clear();
}

void EarlyStopping::on_epoch_end(int epoch, const Logs& logs) {
  auto it = logs.find(options_.monitor);
  if (it == logs.end() || epoch < options_.start_from_epoch) return;
  const double current = it->second;
  if (options_.restore_best_weights && best_weights_.empty()) best_weights_ = model().get_weights();
  ++wait_;
  if (is_improvement(current, best_)) {
    best_ = current;
    best_epoch_ = epoch;
    if (options_.restore_best_weights) best_weights_ = model().get_weights();
    if (!options_.baseline || is_improvement(current, *options_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= options_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    model().stop_training = true;
  }
}

void EarlyStopping::on_train_end(const Logs&) {
  if (stopped_epoch_ > 0 && options_.verbose > 0) std::cout << "Epoch " << stopped_epoch_ + 1 << ": early stopping\n";
  // Keras 3 restores the best weights at the end whether or not training stopped early.
  if (options_.restore_best_weights && !best_weights_.empty()) {
    if (options_.verbose > 0)
      std::cout << "Restoring model weights from the end of the best epoch: " << best_epoch_ + 1 << ".\n";
    model().set_weights(best_weights_);
  }
}

void LearningRateScheduler::on_epoch_begin(int epoch, const Logs&) {
  auto& opt = model().optimizer();
  const double lr = schedule_(epoch, opt.learning_rate());
  opt.set_learning_rate(lr);
  if (verbose_ > 0)
    std::cout << "\nEpoch " << epoch + 1 << ": LearningRateScheduler setting learning rate to " << py_float(lr)
              << ".\n";
}

// Keras 3 logs the rate its float32 variable holds.
void LearningRateScheduler::on_epoch_end(int, const Logs&) {
  set_epoch_log("learning_rate", static_cast<float>(model().optimizer().learning_rate()));
}

ReduceLROnPlateau::ReduceLROnPlateau(ReduceLROnPlateauOptions options) : options_(std::move(options)) {
  TF_CHECK_ARG(options_.factor < 1.0, "",
               "ReduceLROnPlateau does not support a factor >= 1.0. Received factor=", py_float(options_.factor));
  TF_CHECK_ARG(options_.mode == "auto" || options_.mode == "min" || options_.mode == "max", "",
               "ReduceLROnPlateau: mode must be 'auto', 'min' or 'max'. Received: mode=", options_.mode);
}

void ReduceLROnPlateau::on_train_begin(const Logs&) {
  best_.reset();
  wait_ = cooldown_counter_ = 0;
}

namespace {
// Keras's MonitorCallback in mode "auto": losses go down; a metric goes the way its _direction says.
std::optional<bool> maximizes(const std::string& monitor) {
  std::string m = monitor.rfind("val_", 0) == 0 ? monitor.substr(4) : monitor;
  if (m == "loss" || m == "mse" || m == "mae" || m == "mean_squared_error" || m == "mean_absolute_error") return false;
  for (const char* up : {"acc", "auc", "precision", "recall"})
    if (m.find(up) != std::string::npos) return true;
  return std::nullopt;
}
}  // namespace

void ReduceLROnPlateau::on_epoch_end(int epoch, const Logs& logs) {
  set_epoch_log("learning_rate", static_cast<float>(model().optimizer().learning_rate()));
  if (!maximize_) {
    maximize_ = options_.mode == "max"   ? std::optional<bool>(true)
                : options_.mode == "min" ? std::optional<bool>(false)
                                         : maximizes(options_.monitor);
    TF_CHECK_ARG(maximize_.has_value(), "", "ReduceLROnPlateau callback received monitor=", options_.monitor,
                 ", but Keras isn't able to automatically determine whether that metric should be maximized or "
                 "minimized. Pass `mode='max'` in order to monitor based on the highest metric value, or pass "
                 "`mode='min'` in order to use the lowest value.");
  }
  auto it = logs.find(options_.monitor);
  if (it == logs.end()) {
    std::string names;
    for (const auto& [k, v] : logs) names += (names.empty() ? "" : ",") + k;
    logging::warning("Learning rate reduction is conditioned on metric `" + options_.monitor +
                     "` which is not available. Available metrics are: " + names + ".");
    return;
  }
  const double current = it->second;
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    wait_ = 0;
  }
  const double delta = std::abs(options_.min_delta);
  const bool improved = !best_ || (*maximize_ ? current - delta > *best_ : current + delta < *best_);
  if (improved) {
    best_ = current;
    wait_ = 0;
    return;
  }
  if (cooldown_counter_ > 0 || ++wait_ < options_.patience) return;
  auto& optimizer = model().optimizer();
  // Keras reads the rate back from its float32 variable.
  const double old_lr = static_cast<float>(optimizer.learning_rate());
  if (old_lr > static_cast<float>(options_.min_lr)) {
    const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
    optimizer.set_learning_rate(new_lr);
    if (options_.verbose > 0)
      std::cout << "\nEpoch " << epoch + 1 << ": ReduceLROnPlateau reducing learning rate to " << py_float(new_lr)
                << ".\n";
    cooldown_counter_ = options_.cooldown;
    wait_ = 0;
  }
}

void TerminateOnNaN::on_train_batch_end(int batch, const Logs& logs) {
  auto it = logs.find("loss");
  if (it == logs.end() || std::isfinite(it->second)) return;
  if (options_.raise_error)
    throw RuntimeError("NaN or Inf loss encountered at batch " + std::to_string(batch) +
                       ". Loss value: " + py_float(it->second) + ". Terminating training immediately.");
  std::cout << "Batch " << batch << ": Invalid loss, terminating training\n";
  model().stop_training = true;
}

}  // namespace tapeflow::keras::callbacks
