// K::metrics from confusion-matrix counts at thresholds (Keras's confusion_metrics): Precision,
// Recall and AUC. Counts are weighted sums kept in float32 vectors, one entry per threshold; a
// prediction is positive at threshold t when y_pred > t, a label when it is nonzero.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "tapeflow/nn/metrics.h"

namespace tapeflow::keras::metrics {

/// Counts at fixed thresholds: the shared state of Precision, Recall and AUC.
class ConfusionMatrixMetric : public Metric {
 public:
  /// Adds the batch's weighted true/false positives/negatives at every threshold. y_true and
  /// y_pred have the same shape; sample_weight broadcasts against them ((B,) against (B, C) too).
  void update_state(const Tensor& y_true, const Tensor& y_pred,
                    const std::optional<Tensor>& sample_weight = std::nullopt) override;

 protected:
  ConfusionMatrixMetric(const std::string& name, std::vector<double> thresholds, bool from_logits = false);
  /// The counts per threshold, read to the host.
  struct Counts {
    std::vector<double> tp, fp, tn, fn;
  };
  Counts counts() const;
  const std::vector<double>& thresholds() const { return thresholds_; }

 private:
  std::vector<double> thresholds_;
  bool from_logits_;
  Variable true_positives_, false_positives_, true_negatives_, false_negatives_;
};

struct PrecisionOptions {
  double thresholds = 0.5;
  std::string name = "precision";
};
/// TP / (TP + FP) over every sample seen (0 before any positive prediction).
class Precision : public ConfusionMatrixMetric {
 public:
  explicit Precision(PrecisionOptions options = {});
  Tensor result() const override;
};

struct RecallOptions {
  double thresholds = 0.5;
  std::string name = "recall";
};
/// TP / (TP + FN) over every sample seen (0 before any positive label).
class Recall : public ConfusionMatrixMetric {
 public:
  explicit Recall(RecallOptions options = {});
  Tensor result() const override;
};

/// Keras's AUC options in its keyword order: num_thresholds evenly spaced thresholds in [0, 1]
/// (the ends moved by 1e-7 to take predictions of exactly 0 and 1), or `thresholds` given (the
/// ends added); curve "ROC" or "PR"; summation_method "interpolation" (trapezoids; PR uses
/// Davis & Goadrich's interpolation), "minoring" or "majoring" (Riemann sums).
struct AUCOptions {
  int num_thresholds = 200;
  std::string curve = "ROC";
  std::string summation_method = "interpolation";
  std::string name = "auc";
  std::optional<std::vector<double>> thresholds = std::nullopt;
  bool from_logits = false;
};
/// The area under the ROC or precision-recall curve of binary labels, approximated from the
/// counts at the thresholds: `K::metrics::AUC()`, `K::metrics::AUC({.curve = "PR"})`.
class AUC : public ConfusionMatrixMetric {
 public:
  explicit AUC(AUCOptions options = {});
  Tensor result() const override;

 private:
  std::string curve_, summation_method_;
};

}  // namespace tapeflow::keras::metrics
