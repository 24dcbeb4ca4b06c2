#include "tapeflow/nn/confusion_metrics.h"

#include <algorithm>
#include <cmath>

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::keras::metrics {

namespace {
constexpr double kEpsilon = 1e-7;  // Keras's backend.epsilon()

double divide_no_nan(double a, double b) { return b == 0.0 ? 0.0 : a / b; }

std::vector<double> auc_thresholds(const AUCOptions& o) {
  std::vector<double> t{-kEpsilon};
  if (o.thresholds) {
    std::vector<double> given = *o.thresholds;
    std::sort(given.begin(), given.end());
    t.insert(t.end(), given.begin(), given.end());
  } else {
    TF_CHECK_ARG(o.num_thresholds > 1, "",
                 "Argument `num_thresholds` must be an integer > 1. Received: num_thresholds=", o.num_thresholds);
    for (int i = 0; i < o.num_thresholds - 2; ++i) t.push_back(double(i + 1) * 1.0 / double(o.num_thresholds - 1));
  }
  t.push_back(1.0 + kEpsilon);
  return t;
}
}  // namespace

ConfusionMatrixMetric::ConfusionMatrixMetric(const std::string& name, std::vector<double> thresholds, bool from_logits)
    : Metric(name), thresholds_(std::move(thresholds)), from_logits_(from_logits) {
  const Shape shape{static_cast<int64_t>(thresholds_.size())};
  true_positives_ = add_variable("true_positives", shape);
  false_positives_ = add_variable("false_positives", shape);
  true_negatives_ = add_variable("true_negatives", shape);
  false_negatives_ = add_variable("false_negatives", shape);
}

void ConfusionMatrixMetric::update_state(const Tensor& y_true, const Tensor& y_pred,
                                         const std::optional<Tensor>& sample_weight) {
  TF_CHECK_ARG(y_true.shape() == y_pred.shape(), "", "Metric \"", name(),
               "\": y_true and y_pred must have the same shape. Received: y_true.shape=", y_true.shape().to_string(),
               ", y_pred.shape=", y_pred.shape().to_string());
  Tensor pred = cast(y_pred, DType::kFloat32);
  if (from_logits_) pred = sigmoid(pred);
  const Shape flat{pred.size()};
  Tensor label = cast(not_equal(y_true, zeros_like(y_true)), DType::kFloat32);
  Tensor weight = ones(pred.shape());
  if (sample_weight) {
    Tensor w = cast(*sample_weight, DType::kFloat32);
    if (w.ndim() > 0 && w.ndim() == pred.ndim() - 1) w = expand_dims(w, -1);  // (B,) against (B, C)
    weight = broadcast_to(w, broadcast_shapes(name().c_str(), w.shape(), pred.shape()));
    TF_CHECK_ARG(weight.shape() == pred.shape(), "", "Metric \"", name(), "\": sample_weight of shape ",
                 sample_weight->shape().to_string(), " does not broadcast to y_pred's shape ",
                 pred.shape().to_string());
  }
  pred = reshape(pred, flat);
  Tensor positive_weight = reshape(label * weight, flat), negative_weight = reshape((1.0f - label) * weight, flat);
  // (thresholds, samples): is each prediction above each threshold?
  std::vector<float> t(thresholds_.begin(), thresholds_.end());
  Tensor thresholds = constant(t, Shape{static_cast<int64_t>(t.size()), 1}, DType::kFloat32);
  Tensor above = cast(greater(expand_dims(pred, 0), thresholds), DType::kFloat32);
  Tensor tp = reduce_sum(above * positive_weight, 1), fp = reduce_sum(above * negative_weight, 1);
  true_positives_.assign_add(tp);
  false_positives_.assign_add(fp);
  false_negatives_.assign_add(reduce_sum(positive_weight) - tp);
  true_negatives_.assign_add(reduce_sum(negative_weight) - fp);
}

ConfusionMatrixMetric::Counts ConfusionMatrixMetric::counts() const {
  auto host = [](const Variable& v) {
    std::vector<float> f = v.read_value().to_vector<float>();
    return std::vector<double>(f.begin(), f.end());
  };
  return {host(true_positives_), host(false_positives_), host(true_negatives_), host(false_negatives_)};
}

Precision::Precision(PrecisionOptions o) : ConfusionMatrixMetric(o.name, {o.thresholds}) {}

Tensor Precision::result() const {
  Counts c = counts();
  return scalar_tensor(divide_no_nan(c.tp[0], c.tp[0] + c.fp[0]), DType::kFloat32);
}

Recall::Recall(RecallOptions o) : ConfusionMatrixMetric(o.name, {o.thresholds}) {}

Tensor Recall::result() const {
  Counts c = counts();
  return scalar_tensor(divide_no_nan(c.tp[0], c.tp[0] + c.fn[0]), DType::kFloat32);
}

AUC::AUC(AUCOptions o)
    : ConfusionMatrixMetric(o.name, auc_thresholds(o), o.from_logits),
      curve_(o.curve),
      summation_method_(o.summation_method) {
  TF_CHECK_ARG(curve_ == "ROC" || curve_ == "PR", "", "Invalid AUC curve value: \"", curve_,
               "\". Expected values are [\"ROC\", \"PR\"]");
  TF_CHECK_ARG(
      summation_method_ == "interpolation" || summation_method_ == "minoring" || summation_method_ == "majoring", "",
      "Invalid AUC summation method value: \"", summation_method_,
      "\". Expected values are [\"interpolation\", \"majoring\", \"minoring\"]");
}

Tensor AUC::result() const {
  const Counts c = counts();
  const std::size_t n = c.tp.size();
  double area = 0.0;
  if (curve_ == "PR" && summation_method_ == "interpolation") {
    // Keras's interpolate_pr_auc: precision varies as TP/P with TP and P = TP + FP linear within
    // each interval between thresholds, integrated in closed form.
    for (std::size_t i = 0; i + 1 < n; ++i) {
      const double dtp = c.tp[i] - c.tp[i + 1];
      const double p_a = c.tp[i] + c.fp[i], p_b = c.tp[i + 1] + c.fp[i + 1];
      const double slope = divide_no_nan(dtp, std::max(p_a - p_b, 0.0));
      const double intercept = c.tp[i + 1] - slope * p_b;
      const double ratio = p_a > 0 && p_b > 0 ? divide_no_nan(p_a, std::max(p_b, 0.0)) : 1.0;
      area += divide_no_nan(slope * (dtp + intercept * std::log(ratio)), std::max(c.tp[i + 1] + c.fn[i + 1], 0.0));
    }
    return scalar_tensor(area, DType::kFloat32);
  }
  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double recall = divide_no_nan(c.tp[i], c.tp[i] + c.fn[i]);
    if (curve_ == "ROC") {
      x[i] = divide_no_nan(c.fp[i], c.fp[i] + c.tn[i]);
      y[i] = recall;
    } else {
      x[i] = recall;
      y[i] = divide_no_nan(c.tp[i], c.tp[i] + c.fp[i]);
    }
  }
  for (std::size_t i = 0; i + 1 < n; ++i) {
    const double height = summation_method_ == "interpolation" ? (y[i] + y[i + 1]) / 2.0
                          : summation_method_ == "minoring"    ? std::min(y[i], y[i + 1])
                                                               : std::max(y[i], y[i + 1]);
    area += (x[i] - x[i + 1]) * height;
  }
  return scalar_tensor(area, DType::kFloat32);
}

}  // namespace tapeflow::keras::metrics
