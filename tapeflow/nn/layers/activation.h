// K::layers::Activation: applies an activation function (by Keras name or callable);
// K::layers::Softmax: softmax over an axis, as a layer.
#pragma once
#include "tapeflow/core/ops/softmax.h"
#include "tapeflow/nn/activations.h"
#include "tapeflow/nn/layers/layer.h"

namespace tapeflow::keras::layers {

struct ActivationOptions {
  std::string name;
};

class Activation : public Layer {
 public:
  explicit Activation(activations::Activation activation, ActivationOptions options = {})
      : Layer("activation", {.name = options.name}), activation_(std::move(activation)) {}
  Tensor call(const Tensor& inputs) override { return activation_(inputs); }
  std::string class_name() const override { return "Activation"; }
  bool supports_masking() const override { return true; }  // the input's mask passes through
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Activation>(*this); }
  const activations::Activation& activation() const { return activation_; }

 private:
  activations::Activation activation_;
};

struct SoftmaxOptions {
  int axis = -1;
  std::string name;
};

/// `K::layers::Softmax()`: exp(x) / sum(exp(x)) over `axis` (default the last), any rank.
class Softmax : public Layer {
 public:
  explicit Softmax(SoftmaxOptions options = {}) : Layer("softmax", {.name = options.name}), axis_(options.axis) {}
  Tensor call(const Tensor& inputs) override { return nn::softmax(inputs, axis_); }
  std::string class_name() const override { return "Softmax"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Softmax>(*this); }
  int axis() const { return axis_; }

 private:
  int axis_;
};

}  // namespace tapeflow::keras::layers
