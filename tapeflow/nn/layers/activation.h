// K::layers::Activation: applies an activation function (by Keras name or callable).
#pragma once
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
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Activation>(*this); }

 private:
  activations::Activation activation_;
};

}  // namespace tapeflow::keras::layers
