#include "tapeflow/nn/layers/input_layer.h"

namespace tapeflow::keras {
namespace layers {

InputLayer::InputLayer(const Shape& shape, InputOptions options) : Layer("input_layer", {.name = options.name}) {
  for (int64_t d : shape)
    TF_CHECK_ARG(d > 0 || d == -1, "", "InputLayer \"", name(),
                 "\": dimensions must be positive or -1 (None), got shape ", shape.to_string());
  shape_ = shape;
  dtype_ = options.dtype;
  set_built(true);
  set_output_shape(shape);
}

KerasTensor InputLayer::output() const {
  // The node owns a handle to this layer and the layer only a weak reference to its node,
  // so the tensor keeps both alive and nothing leaks.
  auto& nodes = node_list();
  std::shared_ptr<Node> node = nodes.empty() ? nullptr : nodes[0].lock();
  if (!node) {
    node = std::make_shared<Node>(Node{.layer = clone(),
                                       .inputs = {},
                                       .list_call = false,
                                       .output_shapes = {shape_},
                                       .output_dtypes = {dtype_},
                                       .index = 0,
                                       .kwargs = {}});
    nodes.assign({node});
  }
  return KerasTensor(shape_, dtype_, node, 0);
}

}  // namespace layers

KerasTensor Input(const Shape& shape, InputOptions options) {
  Shape full{options.batch_size.value_or(-1)};
  for (int64_t d : shape) full.push_back(d);
  return layers::InputLayer(full, std::move(options)).output();
}

}  // namespace tapeflow::keras
