// K::losses: loss objects with Keras 3's formulas and its default reduction
// ("sum_over_batch_size": the sum of the per-sample losses, weighted, over their count).
// Custom losses subclass Loss and override call (per-sample losses). The function forms
// (`K::losses::mean_squared_error(y_true, y_pred)`) give the per-sample losses, unreduced.
#pragma once
#include <concepts>
#include <memory>
#include <optional>
#include <string>

#include "tapeflow/core/tensor.h"
#include "tapeflow/nn/object_config.h"

namespace tapeflow::keras::losses {

/// "sum_over_batch_size" (default), "sum", "mean" (the weighted mean), or "none".
struct LossOptions {
  std::string reduction = "sum_over_batch_size";
  std::string name;
};

class Loss {
 public:
  explicit Loss(std::string name, LossOptions options = {});
  virtual ~Loss() = default;
  /// The loss per sample (usually shape y_pred.shape[:-1]).
  virtual Tensor call(const Tensor& y_true, const Tensor& y_pred) const = 0;
  /// call() weighted by sample_weight (broadcast against the per-sample losses) and reduced.
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred,
                    const std::optional<Tensor>& sample_weight = std::nullopt) const;
  const std::string& name() const { return name_; }
  const std::string& reduction() const { return reduction_; }
  /// Keras's class name and get_config() (name, reduction, the class's own fields), what a
  /// model's compile_config saves; a custom loss without one gives an empty class name.
  virtual ObjectConfig get_config() const { return {"", base_config()}; }

 protected:
  /// {"name", "reduction"}: the fields every Keras loss's config starts with.
  std::vector<std::pair<std::string, ConfigValue>> base_config() const {
    return {{"name", name_}, {"reduction", reduction_}};
  }
  /// Keras's check that y_true and y_pred hold the same number of samples.
  void check_batch(const Tensor& y_true, const Tensor& y_pred) const;

 private:
  std::string name_, reduction_;
};

/// The function forms, as keras.losses.<name>: per-sample losses (the last axis reduced), no
/// sample weights, no batch reduction. y_true is cast to y_pred's dtype.
/// mean(square(y_true - y_pred), axis=-1).
Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred);
/// mean(abs(y_true - y_pred), axis=-1).
Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred);
/// mean(e^2 / 2 where |e| <= delta, else delta |e| - delta^2 / 2, axis=-1), e = y_pred - y_true.
Tensor huber(const Tensor& y_true, const Tensor& y_pred, double delta = 1.0);
/// Elementwise binary cross-entropy averaged over the last axis (same shapes).
Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false);
/// -sum(y_true * log(softmax or normalized y_pred), axis=-1) for one-hot (or soft) labels.
Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false);
/// As categorical_crossentropy with integer labels (B,) or (B, 1) in [0, classes).
Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false);

struct MeanSquaredErrorOptions {
  std::string reduction = "sum_over_batch_size";
  std::string name = "mean_squared_error";
};
/// mean(square(y_true - y_pred), axis=-1).
class MeanSquaredError : public Loss {
 public:
  explicit MeanSquaredError(MeanSquaredErrorOptions options = {});
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  ObjectConfig get_config() const override { return {"MeanSquaredError", base_config()}; }
};

struct MeanAbsoluteErrorOptions {
  std::string reduction = "sum_over_batch_size";
  std::string name = "mean_absolute_error";
};
/// mean(abs(y_true - y_pred), axis=-1).
class MeanAbsoluteError : public Loss {
 public:
  explicit MeanAbsoluteError(MeanAbsoluteErrorOptions options = {});
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  ObjectConfig get_config() const override { return {"MeanAbsoluteError", base_config()}; }
};

struct HuberOptions {
  double delta = 1.0;
  std::string reduction = "sum_over_batch_size";
  std::string name = "huber_loss";
};
/// Quadratic for errors up to delta, linear beyond: `K::losses::Huber({.delta = 0.5})`.
class Huber : public Loss {
 public:
  explicit Huber(HuberOptions options = {});
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  ObjectConfig get_config() const override;

 private:
  double delta_;
};

struct CrossentropyOptions {
  bool from_logits = false;
  std::string reduction = "sum_over_batch_size";
  std::string name;
};
/// mean over the last axis of the elementwise binary cross-entropy; from_logits uses the stable
/// sigmoid_cross_entropy_with_logits, probabilities are clipped to [1e-7, 1 - 1e-7].
class BinaryCrossentropy : public Loss {
 public:
  explicit BinaryCrossentropy(CrossentropyOptions options = {});
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  ObjectConfig get_config() const override;

 private:
  bool from_logits_;
};
/// -sum(y_true * log(p), axis=-1) for one-hot (or soft) labels; from_logits uses the fused
/// softmax_cross_entropy_with_logits, probabilities are normalized and clipped first.
class CategoricalCrossentropy : public Loss {
 public:
  explicit CategoricalCrossentropy(CrossentropyOptions options = {});
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  ObjectConfig get_config() const override;

 private:
  bool from_logits_;
};
/// As CategoricalCrossentropy with integer labels (B,) or (B, 1) in [0, classes); a label out of
/// range is an InvalidArgumentError naming the loss.
class SparseCategoricalCrossentropy : public Loss {
 public:
  explicit SparseCategoricalCrossentropy(CrossentropyOptions options = {});
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  ObjectConfig get_config() const override;

 private:
  bool from_logits_;
};

/// A loss given by Keras name ("sparse_categorical_crossentropy", "mse", ...) or as any Loss
/// subclass: the type of `compile({.loss = ...})`.
class AnyLoss {
 public:
  AnyLoss() = default;
  AnyLoss(const char* name);                                                                             // NOLINT
  AnyLoss(const std::string& name);                                                                      // NOLINT
  template <std::derived_from<Loss> L> AnyLoss(L loss) : loss_(std::make_shared<L>(std::move(loss))) {}  // NOLINT
  explicit operator bool() const { return loss_ != nullptr; }
  const Loss& operator*() const { return *loss_; }
  const Loss* operator->() const { return loss_.get(); }
  std::shared_ptr<const Loss> get() const { return loss_; }

 private:
  std::shared_ptr<const Loss> loss_;
};

}  // namespace tapeflow::keras::losses
