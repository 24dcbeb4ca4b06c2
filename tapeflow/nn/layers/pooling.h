// Pooling layers over NHWC images: MaxPool2D and AveragePool2D ((B, H, W, C) ->
// (B, OH, OW, C) by tf::nn::max_pool2d / avg_pool2d), GlobalAveragePooling2D and
// GlobalMaxPooling2D ((B, H, W, C) -> (B, C)), GlobalAveragePooling1D and GlobalMaxPooling1D
// ((B, T, C) -> (B, C)). Keras's MaxPooling2D etc. are aliases.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "tapeflow/nn/layers/convolutional.h"

namespace tapeflow::keras::layers {

struct Pool2DOptions {
  IntPair pool_size = 2;
  std::optional<IntPair> strides;  // default: pool_size
  std::string padding = "valid";   // "valid" or "same"
  std::string name;
};

/// The window of MaxPool2D and AveragePool2D.
class Pool2D : public Layer {
 public:
  Tensor call(const Tensor& inputs) override;
  const Pool2DOptions& options() const { return options_; }

 protected:
  enum class Kind { kMax, kAverage };
  Pool2D(Kind kind, const std::string& default_name, Pool2DOptions options);

 private:
  Kind kind_;
  Pool2DOptions options_;
};

/// `K::layers::MaxPool2D()`: the maximum of each 2x2 window, stride 2.
/// `K::layers::MaxPool2D({.pool_size = 3, .strides = 1, .padding = "same"})`.
class MaxPool2D : public Pool2D {
 public:
  explicit MaxPool2D(Pool2DOptions options = {});
  std::string class_name() const override { return "MaxPooling2D"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<MaxPool2D>(*this); }
};

/// `K::layers::AveragePool2D()`: the mean of each window; with "same" padding only the
/// elements inside the input are averaged.
class AveragePool2D : public Pool2D {
 public:
  explicit AveragePool2D(Pool2DOptions options = {});
  std::string class_name() const override { return "AveragePooling2D"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<AveragePool2D>(*this); }
};

struct GlobalPool2DOptions {
  bool keepdims = false;  // true: (B, 1, 1, C) (1D: (B, 1, C))
  std::string name;
};

/// (B, H, W, C) -> (B, C): the mean over the spatial axes.
class GlobalAveragePooling2D : public Layer {
 public:
  explicit GlobalAveragePooling2D(GlobalPool2DOptions options = {});
  Tensor call(const Tensor& inputs) override;
  std::string class_name() const override { return "GlobalAveragePooling2D"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<GlobalAveragePooling2D>(*this); }
  bool keepdims() const { return keepdims_; }

 private:
  bool keepdims_;
};

/// (B, H, W, C) -> (B, C): the maximum over the spatial axes.
class GlobalMaxPooling2D : public Layer {
 public:
  explicit GlobalMaxPooling2D(GlobalPool2DOptions options = {});
  Tensor call(const Tensor& inputs) override;
  std::string class_name() const override { return "GlobalMaxPooling2D"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<GlobalMaxPooling2D>(*this); }

 private:
  bool keepdims_;
};

using GlobalPool1DOptions = GlobalPool2DOptions;

/// (B, T, C) -> (B, C): the mean over the steps (a sequence's features averaged).
class GlobalAveragePooling1D : public Layer {
 public:
  explicit GlobalAveragePooling1D(GlobalPool1DOptions options = {});
  Tensor call(const Tensor& inputs) override;
  /// With a (B, T) mask (Note [Masks] in layer.cpp): the mean over the kept steps, as Keras's.
  Tensor call_masked(const Tensor& inputs, bool training, const std::optional<Tensor>& mask) override;
  /// The mask stops here (Keras's compute_mask returns None).
  bool supports_masking() const override { return true; }
  std::optional<Tensor> compute_mask(const Tensor&, const std::optional<Tensor>&) const override {
    return std::nullopt;
  }
  std::string class_name() const override { return "GlobalAveragePooling1D"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<GlobalAveragePooling1D>(*this); }

 private:
  bool keepdims_;
};

/// (B, T, C) -> (B, C): the maximum over the steps.
class GlobalMaxPooling1D : public Layer {
 public:
  explicit GlobalMaxPooling1D(GlobalPool1DOptions options = {});
  Tensor call(const Tensor& inputs) override;
  std::string class_name() const override { return "GlobalMaxPooling1D"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<GlobalMaxPooling1D>(*this); }

 private:
  bool keepdims_;
};

// Keras's other spellings of the same classes.
using MaxPooling2D = MaxPool2D;
using AveragePooling2D = AveragePool2D;
using AvgPool2D = AveragePool2D;
using GlobalAvgPool2D = GlobalAveragePooling2D;
using GlobalMaxPool2D = GlobalMaxPooling2D;
using GlobalAvgPool1D = GlobalAveragePooling1D;
using GlobalMaxPool1D = GlobalMaxPooling1D;

}  // namespace tapeflow::keras::layers
