// K::metrics: streaming metrics whose state lives in non-trainable variables (total, count):
// update_state accumulates, result reads, reset_state zeroes. Metrics are handles (copies share
// state). Custom metrics subclass Metric.
#pragma once
#include <concepts>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "tapeflow/trackable/module.h"

namespace tapeflow::keras::metrics {

class Metric : public Module {
 public:
  explicit Metric(const std::string& name);
  /// Accumulates a batch of (labels, predictions), each sample weighted by sample_weight.
  virtual void update_state(const Tensor& y_true, const Tensor& y_pred,
                            const std::optional<Tensor>& sample_weight = std::nullopt) = 0;
  /// The metric's value now (a float32 scalar).
  virtual Tensor result() const = 0;
  /// Zeroes every state variable.
  virtual void reset_state();

 protected:
  /// A float32 state variable (a scalar unless `shape` says otherwise), zero initially, tracked
  /// by the metric.
  Variable add_variable(const std::string& name, const Shape& shape = {});
};

struct MetricOptions {
  std::string name;
};

/// The weighted mean of every value seen: `m.update_state(values, sample_weight)`.
class Mean : public Metric {
 public:
  explicit Mean(MetricOptions options = {});
  void update_state(const Tensor& values, const std::optional<Tensor>& sample_weight = std::nullopt);
  void update_state(const Tensor& y_true, const Tensor& y_pred, const std::optional<Tensor>& sample_weight) override;
  Tensor result() const override;

 protected:
  Mean(const std::string& default_name, MetricOptions options);

 private:
  Variable total_, count_;
};

/// A Mean of per-sample matches computed by fn(y_true, y_pred) (Keras's MeanMetricWrapper).
class MeanMetricWrapper : public Mean {
 public:
  using Fn = std::function<Tensor(const Tensor&, const Tensor&)>;
  MeanMetricWrapper(Fn fn, const std::string& default_name, MetricOptions options = {});
  using Mean::update_state;
  /// update_state(y_true, y_pred[, sample_weight]) (two tensors are labels and predictions here).
  void update_state(const Tensor& y_true, const Tensor& y_pred,
                    const std::optional<Tensor>& sample_weight = std::nullopt) override;

 private:
  Fn fn_;
};

/// How often y_pred equals y_true exactly.
struct Accuracy : MeanMetricWrapper {
  explicit Accuracy(MetricOptions options = {});
};
/// How often round(y_pred > threshold) equals y_true.
struct BinaryAccuracy : MeanMetricWrapper {
  explicit BinaryAccuracy(MetricOptions options = {}, double threshold = 0.5);
};
/// How often argmax(y_pred, -1) equals argmax(y_true, -1) (one-hot labels).
struct CategoricalAccuracy : MeanMetricWrapper {
  explicit CategoricalAccuracy(MetricOptions options = {});
};
/// How often argmax(y_pred, -1) equals the integer label y_true ((B,) or (B, 1)).
struct SparseCategoricalAccuracy : MeanMetricWrapper {
  explicit SparseCategoricalAccuracy(MetricOptions options = {});
};

/// mean(square(y_true - y_pred), axis=-1), averaged over every sample seen.
struct MeanSquaredError : MeanMetricWrapper {
  explicit MeanSquaredError(MetricOptions options = {});
};
/// mean(abs(y_true - y_pred), axis=-1), averaged over every sample seen.
struct MeanAbsoluteError : MeanMetricWrapper {
  explicit MeanAbsoluteError(MetricOptions options = {});
};

struct TopKCategoricalAccuracyOptions {
  int k = 5;
  std::string name = "top_k_categorical_accuracy";
};
/// How often argmax(y_true, -1) is among the k highest scores of y_pred (ties at the k-th score
/// count as in, as TF's in_top_k): `K::metrics::TopKCategoricalAccuracy({.k = 3})`.
struct TopKCategoricalAccuracy : MeanMetricWrapper {
  explicit TopKCategoricalAccuracy(TopKCategoricalAccuracyOptions options = {});
};

namespace detail {
Tensor top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, int k);
Tensor accuracy(const Tensor& y_true, const Tensor& y_pred);
Tensor categorical_accuracy(const Tensor& y_true, const Tensor& y_pred);
Tensor sparse_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred);
}  // namespace detail

/// A metric given by name ("accuracy", "sparse_categorical_accuracy", "mse", "mae", "auc",
/// "precision", "recall", "top_k_categorical_accuracy", ...) or as any Metric
/// subclass (shared with the caller's handle): the element type of `compile({.metrics = ...})`.
/// "accuracy"/"acc" is resolved by compile from the loss, as Keras does.
class AnyMetric {
 public:
  AnyMetric(const char* name) : name_(name) {}         // NOLINT
  AnyMetric(const std::string& name) : name_(name) {}  // NOLINT
  template <std::derived_from<Metric> M>
  AnyMetric(M metric) : metric_(std::make_shared<M>(std::move(metric))) {}  // NOLINT
  /// The named metric, resolved for this loss name ("accuracy" with sparse_categorical_crossentropy
  /// is SparseCategoricalAccuracy named "accuracy").
  std::shared_ptr<Metric> resolve(const std::string& loss_name) const;
  /// The Keras name it was given by ("accuracy"), empty for a metric object.
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::shared_ptr<Metric> metric_;
};

}  // namespace tapeflow::keras::metrics
