// K::Input and K::layers::InputLayer: the entry points of a functional model.
// `auto x = K::Input({28, 28});` is a KerasTensor of shape (None, 28, 28) made by an InputLayer.
#pragma once
#include <optional>
#include <string>

#include "tapeflow/nn/layers/layer.h"

namespace tapeflow::keras {

struct InputOptions {
  DType dtype = DType::kFloat32;
  std::string name;  // empty: "input_layer", "input_layer_1", ...
  /// A fixed batch size; unknown (None) when absent.
  std::optional<int64_t> batch_size;
};

namespace layers {

/// The layer behind K::Input: it passes its input through and owns the model's input node.
class InputLayer : public Layer {
 public:
  /// `shape` includes the batch dimension (-1 = None).
  InputLayer(const Shape& shape, InputOptions options = {});
  Tensor call(const Tensor& inputs) override { return inputs; }
  std::string class_name() const override { return "InputLayer"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<InputLayer>(*this); }
  /// The KerasTensor this layer makes (Keras's `input_layer.output`); the same one while it lives.
  KerasTensor output() const;
  /// The shape, batch dimension included (-1 = None), and the dtype of the input.
  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }

 private:
  Shape shape_;
  DType dtype_;
};

}  // namespace layers

/// A symbolic input of shape (None, *shape): `auto x = K::Input({28, 28}, {.name = "image"});`.
/// -1 in `shape` is an unknown dimension.
KerasTensor Input(const Shape& shape, InputOptions options = {});

}  // namespace tapeflow::keras
