#include "tapeflow/nn/models/callbacks.h"

#include <cstdio>

#include "tapeflow/nn/models/model.h"

namespace tapeflow::keras::callbacks {

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
  if (stopped_epoch_ > 0 && options_.restore_best_weights && !best_weights_.empty()) model().set_weights(best_weights_);
}

void LearningRateScheduler::on_epoch_begin(int epoch, const Logs&) {
  auto& opt = model().optimizer();
  const double lr = schedule_(epoch, opt.learning_rate());
  opt.set_learning_rate(lr);
  if (verbose_ > 0) std::printf("\nEpoch %d: LearningRateScheduler setting learning rate to %g.\n", epoch + 1, lr);
}

void LearningRateScheduler::on_epoch_end(int, const Logs&) {}

}  // namespace tapeflow::keras::callbacks
