// K::layers::BatchNormalization: normalizes each channel (the `axis` feature) with the batch's
// statistics when training, and with moving averages of them at inference, as Keras 3 does.
// K::layers::LayerNormalization: normalizes each example over its feature axes.
#pragma once
#include <memory>
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/nn/layers/layer.h"

namespace tapeflow::keras::layers {

struct BatchNormalizationOptions {
  int axis = -1;           // the feature axis (channels_last images: -1)
  double momentum = 0.99;  // moving = moving * momentum + batch * (1 - momentum)
  double epsilon = 1e-3;
  bool center = true;  // add beta
  bool scale = true;   // multiply by gamma
  initializers::Initializer beta_initializer = "zeros";
  initializers::Initializer gamma_initializer = "ones";
  initializers::Initializer moving_mean_initializer = "zeros";
  initializers::Initializer moving_variance_initializer = "ones";
  regularizers::Regularizer beta_regularizer = {};
  regularizers::Regularizer gamma_regularizer = {};
  std::string name;
  bool trainable = true;
  DType dtype = DType::kFloat32;  // the weights' dtype; inputs are cast to it
};

/// `K::layers::BatchNormalization()`: y = gamma * (x - mean) / sqrt(var + epsilon) + beta per
/// feature of `axis`, for inputs of any rank >= 2 (fixed at the first call).
/// training (and trainable): mean/var are the batch's (biased variance, over every axis but
/// `axis`), and the non-trainable moving_mean / moving_variance move towards them;
/// otherwise mean/var are the moving ones. Weights, in Keras's order: gamma, beta (trainable),
/// moving_mean, moving_variance (non-trainable), each of shape (C,).
class BatchNormalization : public Layer {
 public:
  explicit BatchNormalization(BatchNormalizationOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs, bool training) override;
  std::string class_name() const override { return "BatchNormalization"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<BatchNormalization>(*this); }
  const BatchNormalizationOptions& options() const { return options_; }

  /// The weights (undefined before the layer is built, or when center / scale is off).
  Variable gamma() const { return tracked_variable("gamma"); }
  Variable beta() const { return tracked_variable("beta"); }
  Variable moving_mean() const { return tracked_variable("moving_mean"); }
  Variable moving_variance() const { return tracked_variable("moving_variance"); }

 private:
  void check_input(const Tensor& inputs) const;

  BatchNormalizationOptions options_;
  int rank_ = 0, axis_ = 0;  // the input rank and the non-negative feature axis, set by build
};

struct LayerNormalizationOptions {
  Axes axis = -1;  // the axes normalized over (and the weights' shape): `-1` or `{1, 2}`
  double epsilon = 1e-3;
  bool center = true;        // add beta
  bool scale = true;         // multiply by gamma
  bool rms_scaling = false;  // x * gamma / sqrt(variance + epsilon): no centering, no beta
  initializers::Initializer beta_initializer = "zeros";
  initializers::Initializer gamma_initializer = "ones";
  regularizers::Regularizer beta_regularizer = {};
  regularizers::Regularizer gamma_regularizer = {};
  std::string name;
  bool trainable = true;
  DType dtype = DType::kFloat32;  // the weights' dtype; inputs are cast to it
};

/// `K::layers::LayerNormalization()`: y = (x - mean) / sqrt(var + epsilon) * gamma + beta with
/// the mean and (biased) variance of each example over `axis`, for any rank. Weights gamma and
/// beta (in that order) of shape (input_shape[a] for a in axis).
/// `K::layers::LayerNormalization({.epsilon = 1e-6})`.
class LayerNormalization : public Layer {
 public:
  explicit LayerNormalization(LayerNormalizationOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::string class_name() const override { return "LayerNormalization"; }
  bool supports_masking() const override { return true; }  // the input's mask passes through
  std::shared_ptr<Layer> clone() const override { return std::make_shared<LayerNormalization>(*this); }
  const LayerNormalizationOptions& options() const { return options_; }

  Variable gamma() const { return tracked_variable("gamma"); }
  Variable beta() const { return tracked_variable("beta"); }

 private:
  LayerNormalizationOptions options_;
  // Set by build; shared by the layer's copies.
  struct Built {
    int rank = 0;
    std::vector<int> axes;  // sorted, non-negative
    Shape broadcast_shape;  // the weights' shape broadcast against the input: (1, .., C)
  };
  std::shared_ptr<Built> built_ = std::make_shared<Built>();
};

}  // namespace tapeflow::keras::layers
