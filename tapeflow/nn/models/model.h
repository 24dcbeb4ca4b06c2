// K::Model: a layer with training attached (compile, fit, evaluate, predict, summary), as
// Keras's Model. Subclassed models override call(); K::Sequential chains layers.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tapeflow/nn/layers/layer.h"
#include "tapeflow/nn/losses.h"
#include "tapeflow/nn/metrics.h"
#include "tapeflow/nn/models/callbacks.h"
#include "tapeflow/nn/optimizers/optimizer.h"

namespace tapeflow::keras {

struct CompileOptions {
  optimizers::AnyOptimizer optimizer = "rmsprop";
  losses::AnyLoss loss;
  std::vector<metrics::AnyMetric> metrics;
};

struct FitOptions {
  int epochs = 1;
  int batch_size = 32;
  /// The last fraction of (x, y), before shuffling, held out for validation (Keras's rule).
  double validation_split = 0.0;
  std::optional<std::pair<Tensor, Tensor>> validation_data;
  bool shuffle = true;
  /// 0 silent; 1 a progress bar on a terminal, else one plain line per epoch; 2 one line per epoch.
  int verbose = 1;
  std::vector<callbacks::AnyCallback> callbacks;
  int initial_epoch = 0;
};

struct EvaluateOptions {
  int batch_size = 32;
  int verbose = 1;
};

struct PredictOptions {
  int batch_size = 32;
  int verbose = 0;
};

class Model : public layers::Layer {
 public:
  explicit Model(const std::string& default_name = "model", layers::LayerOptions options = {});

  /// Sets the optimizer, loss and metrics fit/evaluate use. "accuracy" resolves from the loss.
  void compile(CompileOptions options);
  /// Trains on (x, y) (first axes = samples) and returns the per-epoch logs.
  callbacks::History fit(const Tensor& x, const Tensor& y, FitOptions options = {});
  /// {"loss": .., "accuracy": ..} over (x, y).
  std::map<std::string, double> evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options = {});
  /// The outputs for x, batch by batch, concatenated.
  Tensor predict(const Tensor& x, PredictOptions options = {});

  /// One optimization step on a batch (override to customize fit, as Keras's train_step).
  virtual void train_step(const Tensor& x, const Tensor& y);
  /// One evaluation step on a batch.
  virtual void test_step(const Tensor& x, const Tensor& y);
  /// The current values of the loss tracker and metrics.
  std::map<std::string, double> metrics_result() const;
  void reset_metrics();

  /// Prints the layer table as Keras 3 does (Model: "name", boxes, Total/Trainable params).
  void summary(std::ostream& os) const;
  void summary() const;
  /// The direct sublayers in order (Sequential's layers; a subclassed model's tracked layers).
  virtual std::vector<std::shared_ptr<layers::Layer>> layers() const { return {}; }
  std::string class_name() const override { return "Functional"; }

  std::vector<Tensor> get_weights() const;
  void set_weights(const std::vector<Tensor>& weights);
  optimizers::Optimizer& optimizer() const;
  bool compiled() const;
  /// Set by a callback (EarlyStopping) to end fit after the current epoch.
  bool stop_training = false;

 private:
  struct Compiled;
  std::shared_ptr<Compiled> compiled_;
};

}  // namespace tapeflow::keras
