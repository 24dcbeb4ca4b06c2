// K::callbacks: hooks fit() calls at train/epoch/batch boundaries (Keras's Callback), with
// History, EarlyStopping, LearningRateScheduler, ReduceLROnPlateau, TerminateOnNaN and
// LambdaCallback. Option structs list Keras's keywords in Keras's order. A checkpointing callback
// plugs in by subclassing Callback (on_epoch_end sees the model and the epoch's logs).
#pragma once
#include <concepts>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tapeflow/core/tensor.h"

namespace tapeflow::keras {
class Model;
}

namespace tapeflow::keras::callbacks {

/// Metric name -> value ("loss", "accuracy", "val_loss", ...), as Keras's logs dict.
using Logs = std::map<std::string, double>;

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(const Logs& logs) {}
  virtual void on_train_end(const Logs& logs) {}
  virtual void on_epoch_begin(int epoch, const Logs& logs) {}
  virtual void on_epoch_end(int epoch, const Logs& logs) {}
  virtual void on_train_batch_begin(int batch, const Logs& logs) {}
  virtual void on_train_batch_end(int batch, const Logs& logs) {}
  void set_model(Model* model) { model_ = model; }
  Model& model() const;

 protected:
  /// Adds `key` to the logs of the on_epoch_end being delivered, so the callbacks after this
  /// one (History, CSVLogger) see it, as a Keras callback writing into its logs dict does
  /// (ReduceLROnPlateau's "learning_rate"). Does nothing outside fit's on_epoch_end.
  void set_epoch_log(const std::string& key, double value) {
    if (epoch_logs_) (*epoch_logs_)[key] = value;
  }

 private:
  friend class keras::Model;  // points epoch_logs_ at the logs on_epoch_end receives
  Model* model_ = nullptr;
  Logs* epoch_logs_ = nullptr;
};

/// What fit() returns: history["loss"][epoch], and the epoch numbers.
class History : public Callback {
 public:
  std::map<std::string, std::vector<double>> history;
  std::vector<int> epoch;
  void on_train_begin(const Logs&) override {
    history.clear();
    epoch.clear();
  }
  void on_epoch_end(int e, const Logs& logs) override;
};

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0.0;
  int patience = 0;
  int verbose = 0;            // 1: prints "Epoch N: early stopping" as Keras does
  std::string mode = "auto";  // "min", "max", or "auto" (max for accuracy-like names)
  std::optional<double> baseline;
  bool restore_best_weights = false;
  int start_from_epoch = 0;
};

/// Stops training when `monitor` has not improved by min_delta for `patience` epochs.
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  void on_train_end(const Logs& logs) override;
  /// The epoch at which training stopped (0 when it ran to the end).
  int stopped_epoch() const { return stopped_epoch_; }
  int best_epoch() const { return best_epoch_; }

 private:
  bool is_improvement(double value, double reference) const;
  EarlyStoppingOptions options_;
  bool maximize_;
  int wait_ = 0, stopped_epoch_ = 0, best_epoch_ = 0;
  double best_ = 0;
  std::vector<Tensor> best_weights_;
};

/// Sets the optimizer's learning rate at each epoch start to schedule(epoch, current_lr) (or
/// schedule(epoch)): `K::callbacks::LearningRateScheduler([](int epoch, double lr) { return lr * 0.9; })`.
class LearningRateScheduler : public Callback {
 public:
  explicit LearningRateScheduler(std::function<double(int epoch, double lr)> schedule, int verbose = 0)
      : schedule_(std::move(schedule)), verbose_(verbose) {}
  explicit LearningRateScheduler(std::function<double(int epoch)> schedule, int verbose = 0)
      : schedule_([s = std::move(schedule)](int epoch, double) { return s(epoch); }), verbose_(verbose) {}
  void on_epoch_begin(int epoch, const Logs& logs) override;
  void on_epoch_end(int epoch, const Logs& logs) override;

 private:
  std::function<double(int, double)> schedule_;
  int verbose_;
};

struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  double factor = 0.1;
  int patience = 10;
  int verbose = 0;
  /// "min", "max", or "auto": min for losses and errors (mse, mae), max for accuracy, auc,
  /// precision and recall; another name with "auto" raises at the first epoch end, as in Keras.
  std::string mode = "auto";
  double min_delta = 1e-4;
  int cooldown = 0;
  double min_lr = 0.0;
};

/// Multiplies the learning rate by `factor` (not below min_lr) when `monitor` has not improved
/// by min_delta for `patience` epochs, then waits `cooldown` epochs (Keras 3's rule).
class ReduceLROnPlateau : public Callback {
 public:
  explicit ReduceLROnPlateau(ReduceLROnPlateauOptions options = {});
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int epoch, const Logs& logs) override;

 private:
  ReduceLROnPlateauOptions options_;
  std::optional<bool> maximize_;  // decided at the first epoch end (mode "auto")
  std::optional<double> best_;
  int wait_ = 0, cooldown_counter_ = 0;
};

struct TerminateOnNaNOptions {
  bool raise_error = false;
};

/// Stops fit after the batch whose loss is NaN or infinite ("Batch N: Invalid loss, terminating
/// training"), or with {.raise_error = true} raises tf::RuntimeError.
class TerminateOnNaN : public Callback {
 public:
  explicit TerminateOnNaN(TerminateOnNaNOptions options = {}) : options_(options) {}
  void on_train_batch_end(int batch, const Logs& logs) override;

 private:
  TerminateOnNaNOptions options_;
};

/// A callback from lambdas: `K::callbacks::LambdaCallback({.on_epoch_end = [](int e, auto& logs) {...}})`.
struct LambdaCallbackOptions {
  std::function<void(int, const Logs&)> on_epoch_begin, on_epoch_end, on_batch_begin, on_batch_end;
  std::function<void(const Logs&)> on_train_begin, on_train_end;
};
class LambdaCallback : public Callback {
 public:
  explicit LambdaCallback(LambdaCallbackOptions options) : o_(std::move(options)) {}
  void on_train_begin(const Logs& l) override {
    if (o_.on_train_begin) o_.on_train_begin(l);
  }
  void on_train_end(const Logs& l) override {
    if (o_.on_train_end) o_.on_train_end(l);
  }
  void on_epoch_begin(int e, const Logs& l) override {
    if (o_.on_epoch_begin) o_.on_epoch_begin(e, l);
  }
  void on_epoch_end(int e, const Logs& l) override {
    if (o_.on_epoch_end) o_.on_epoch_end(e, l);
  }
  void on_train_batch_begin(int b, const Logs& l) override {
    if (o_.on_batch_begin) o_.on_batch_begin(b, l);
  }
  void on_train_batch_end(int b, const Logs& l) override {
    if (o_.on_batch_end) o_.on_batch_end(b, l);
  }

 private:
  LambdaCallbackOptions o_;
};

/// A callback by value (copied) or shared (`std::make_shared<EarlyStopping>(...)`, to read its
/// state after fit): the element type of `fit({.callbacks = {...}})`.
class AnyCallback {
 public:
  template <std::derived_from<Callback> C>
  AnyCallback(C callback) : callback_(std::make_shared<C>(std::move(callback))) {}  // NOLINT
  template <std::derived_from<Callback> C>
  AnyCallback(std::shared_ptr<C> callback) : callback_(std::move(callback)) {}  // NOLINT
  Callback* operator->() const { return callback_.get(); }

 private:
  std::shared_ptr<Callback> callback_;
};

}  // namespace tapeflow::keras::callbacks
