#include "tapeflow/nn/metrics.h"

#include "tapeflow/core/dim_unify.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/unary.h"
#include "tapeflow/nn/confusion_metrics.h"
#include "tapeflow/nn/losses.h"

namespace tapeflow::keras::metrics {

namespace {
Tensor as_dtype(const Tensor& t, DType dt) { return t.dtype() == dt ? t : cast(t, dt); }
std::string or_default(const std::string& name, const std::string& fallback) { return name.empty() ? fallback : name; }
}  // namespace

Metric::Metric(const std::string& name) : Module(name, {.unique = false}) {}

Variable Metric::add_variable(const std::string& name, const Shape& shape) {
  return track(name, Variable(zeros(shape), {.name = name, .trainable = false}));
}

void Metric::reset_state() {
  for (Variable& v : variables()) v.assign(zeros_like(v.read_value()));
}

Mean::Mean(MetricOptions options) : Mean("mean", std::move(options)) {}

Mean::Mean(const std::string& default_name, MetricOptions options)
    : Metric(or_default(options.name, default_name)), total_(add_variable("total")), count_(add_variable("count")) {}

void Mean::update_state(const Tensor& values, const std::optional<Tensor>& sample_weight) {
  Tensor v = as_dtype(values, DType::kFloat32);
  if (sample_weight) {
    Tensor w = as_dtype(*sample_weight, DType::kFloat32);
    if (w.ndim() == v.ndim() + 1 && w.shape().dim(-1) == 1) w = squeeze(w, {-1});
    if (v.ndim() == w.ndim() + 1 && v.shape().dim(-1) == 1) v = squeeze(v, {-1});
    w = broadcast_to(w, broadcast_shapes("Mean", w.shape(), v.shape()));
    total_.assign(total_ + reduce_sum(v * w));
    count_.assign(count_ + reduce_sum(w));
  } else {
    total_.assign(total_ + reduce_sum(v));
    count_.assign(count_ + element_count(v, DType::kFloat32));
  }
}

void Mean::update_state(const Tensor& y_true, const Tensor& y_pred, const std::optional<Tensor>& sample_weight) {
  (void)y_true;
  update_state(y_pred, sample_weight);
}

Tensor Mean::result() const {
  // divide_no_nan: an empty metric reads 0.
  Tensor c = count_.read_value();
  return where(equal(c, 0.0f), zeros({}), total_.read_value() / where(equal(c, 0.0f), ones({}), c));
}

MeanMetricWrapper::MeanMetricWrapper(Fn fn, const std::string& default_name, MetricOptions options)
    : Mean(default_name, std::move(options)), fn_(std::move(fn)) {}

void MeanMetricWrapper::update_state(const Tensor& y_true, const Tensor& y_pred,
                                     const std::optional<Tensor>& sample_weight) {
  if (y_true.ndim() > 0 && y_pred.ndim() > 0 && !dims_match(y_true.shape()[0], y_pred.shape()[0]))
    TF_THROW(InvalidArgumentError, "", "Metric \"", name(),
             "\": y_true and y_pred must hold the same number of "
             "samples. Received: y_true.shape=",
             y_true.shape().to_string(), ", y_pred.shape=", y_pred.shape().to_string());
  Mean::update_state(fn_(y_true, y_pred), sample_weight);
}

namespace detail {
Tensor top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, int k) {
  TF_CHECK_ARG(y_pred.ndim() >= 1 && shapes_match(y_true.shape(), y_pred.shape()), "",
               "top_k_categorical_accuracy: y_true (one-hot) and y_pred must have the same shape. Received: "
               "y_true.shape=",
               y_true.shape().to_string(), ", y_pred.shape=", y_pred.shape().to_string());
  // in_top_k: the true class's score, and how many classes score strictly higher.
  const int64_t classes = y_pred.shape().dim(-1);
  Tensor scores = as_dtype(y_pred, DType::kFloat32);
  Tensor target = reduce_sum(scores * one_hot(argmax(y_true, -1), classes, 1.0f, 0.0f), -1, true);
  Tensor higher = reduce_sum(cast(greater(scores, target), DType::kFloat32), -1);
  return cast(less(higher, static_cast<float>(k)), DType::kFloat32);
}

Tensor accuracy(const Tensor& y_true, const Tensor& y_pred) {
  return cast(equal(as_dtype(y_true, y_pred.dtype()), y_pred), DType::kFloat32);
}
Tensor categorical_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  return cast(equal(argmax(y_true, -1), argmax(y_pred, -1)), DType::kFloat32);
}
Tensor sparse_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  Tensor labels = y_true;
  if (labels.ndim() == y_pred.ndim() && labels.ndim() > 0 && labels.shape().dim(-1) == 1)
    labels = squeeze(labels, {-1});
  Tensor predicted = argmax(y_pred, -1);
  if (labels.dtype() != DType::kInt64) predicted = cast(predicted, labels.dtype());
  return cast(equal(labels, predicted), DType::kFloat32);
}
}  // namespace detail

Accuracy::Accuracy(MetricOptions o) : MeanMetricWrapper(detail::accuracy, "accuracy", std::move(o)) {}
BinaryAccuracy::BinaryAccuracy(MetricOptions o, double threshold)
    : MeanMetricWrapper(
          [threshold](const Tensor& y_true, const Tensor& y_pred) {
            Tensor predicted = cast(greater(y_pred, threshold), y_pred.dtype());
            return detail::accuracy(y_true, predicted);
          },
          "binary_accuracy", std::move(o)) {}
CategoricalAccuracy::CategoricalAccuracy(MetricOptions o)
    : MeanMetricWrapper(detail::categorical_accuracy, "categorical_accuracy", std::move(o)) {}
SparseCategoricalAccuracy::SparseCategoricalAccuracy(MetricOptions o)
    : MeanMetricWrapper(detail::sparse_categorical_accuracy, "sparse_categorical_accuracy", std::move(o)) {}

MeanSquaredError::MeanSquaredError(MetricOptions o)
    : MeanMetricWrapper(losses::mean_squared_error, "mean_squared_error", std::move(o)) {}
MeanAbsoluteError::MeanAbsoluteError(MetricOptions o)
    : MeanMetricWrapper(losses::mean_absolute_error, "mean_absolute_error", std::move(o)) {}
TopKCategoricalAccuracy::TopKCategoricalAccuracy(TopKCategoricalAccuracyOptions o)
    : MeanMetricWrapper(
          [k = o.k](const Tensor& y_true, const Tensor& y_pred) {
            return detail::top_k_categorical_accuracy(y_true, y_pred, k);
          },
          o.name) {
  TF_CHECK_ARG(o.k >= 1, "", "TopKCategoricalAccuracy: k must be at least 1, got ", o.k);
}

std::shared_ptr<Metric> AnyMetric::resolve(const std::string& loss_name) const {
  if (metric_) return metric_;
  if (name_ == "accuracy" || name_ == "acc") {
    if (loss_name == "sparse_categorical_crossentropy")
      return std::make_shared<SparseCategoricalAccuracy>(MetricOptions{.name = name_});
    if (loss_name == "categorical_crossentropy")
      return std::make_shared<CategoricalAccuracy>(MetricOptions{.name = name_});
    if (loss_name == "binary_crossentropy") return std::make_shared<BinaryAccuracy>(MetricOptions{.name = name_});
    return std::make_shared<Accuracy>(MetricOptions{.name = name_});
  }
  if (name_ == "sparse_categorical_accuracy") return std::make_shared<SparseCategoricalAccuracy>();
  if (name_ == "categorical_accuracy") return std::make_shared<CategoricalAccuracy>();
  if (name_ == "binary_accuracy") return std::make_shared<BinaryAccuracy>();
  // Keras names a metric given by string after that string ("mae" logs as "mae").
  if (name_ == "mse" || name_ == "mean_squared_error") return std::make_shared<MeanSquaredError>(MetricOptions{name_});
  if (name_ == "mae" || name_ == "mean_absolute_error")
    return std::make_shared<MeanAbsoluteError>(MetricOptions{name_});
  if (name_ == "top_k_categorical_accuracy") return std::make_shared<TopKCategoricalAccuracy>();
  if (name_ == "auc" || name_ == "AUC") return std::make_shared<AUC>(AUCOptions{.name = name_});
  if (name_ == "precision") return std::make_shared<Precision>();
  if (name_ == "recall") return std::make_shared<Recall>();
  TF_THROW(InvalidArgumentError, "", "Could not interpret metric identifier: '", name_, "'");
}

}  // namespace tapeflow::keras::metrics
