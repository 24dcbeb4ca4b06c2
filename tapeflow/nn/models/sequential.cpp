#include "tapeflow/nn/models/sequential.h"

#include "tapeflow/nn/layers/input_layer.h"

namespace tapeflow::keras {

AnyLayer::AnyLayer(const KerasTensor& input) {
  TF_CHECK_ARG(input.defined() && input.node() && input.node()->is_input(), "Sequential",
               "Only an input (K::Input(shape)) can be given to a Sequential model as a KerasTensor; to use a "
               "layer's output, build a functional model: K::Model(inputs, outputs)");
  layer_ = input.node()->layer;
}

Sequential::Sequential(std::vector<AnyLayer> layers, SequentialOptions options)
    : Model("sequential", {.name = options.name}),
      layers_(std::make_shared<std::vector<std::shared_ptr<layers::Layer>>>()),
      symbolic_(std::make_shared<Symbolic>()) {
  for (auto& l : layers) add(std::move(l));
}

void Sequential::add(AnyLayer layer) {
  const auto& l = layer.get();
  if (const auto* input = dynamic_cast<const layers::InputLayer*>(l.get())) {
    TF_CHECK_ARG(layers_->empty() && !symbolic_->input.defined(), "Sequential", "Sequential model \"", name(),
                 "\": an InputLayer (K::Input) can only be the first layer; got \"", l->name(), "\" after ",
                 layers_->size(), " layer(s)");
    symbolic_->input = symbolic_->output = input->output();
    return;
  }
  track_module(l->name(), l);
  layers_->push_back(l);
  if (symbolic_->output.defined()) {
    // Built at once from the input's shape (Keras's Sequential with an Input).
    symbolic_->output = (*l)(symbolic_->output);
    set_built(true);
  }
}

std::shared_ptr<layers::Layer> Sequential::pop() {
  TF_CHECK_ARG(!layers_->empty(), "", "There are no layers in the model.");
  auto last = layers_->back();
  layers_->pop_back();
  untrack_module(*last);
  return last;
}

std::vector<TrackableReference> Sequential::trackable_children() const {
  std::vector<TrackableReference> ops;
  if (symbolic_->input.defined())
    ops.push_back({"0", symbolic_->input.node()->layer, Variable()});
  else
    ops.push_back({"0", std::make_shared<TrackableNode>(), Variable()});
  for (const auto& l : *layers_) ops.push_back({std::to_string(ops.size()), l, Variable()});
  auto ops_node = std::make_shared<TrackableNode>(std::move(ops));
  return {{"_functional",
           std::make_shared<TrackableNode>(std::vector<TrackableReference>{{"_operations", ops_node, Variable()}}),
           Variable()}};
}

void Sequential::build(const Shape& input_shape) {
  Shape shape = input_shape;
  if (shape.rank() > 0) shape[0] = -1;
  symbolic_->called_shape = shape;
}

std::optional<Shape> Sequential::build_input_shape() const {
  if (symbolic_->input.defined()) return symbolic_->input.shape();
  return symbolic_->called_shape;
}

Tensor Sequential::call(const Tensor& inputs, bool training) { return call_masked(inputs, training, std::nullopt); }

Tensor Sequential::call_masked(const Tensor& inputs, bool training, const std::optional<Tensor>& input_mask) {
  Tensor x = inputs;
  std::optional<Tensor> mask = input_mask;  // Note [Masks] in layer.cpp
  for (const auto& l : *layers_) {
    auto [output, output_mask] = l->call_with_mask(x, mask, training);
    x = std::move(output);
    mask = std::move(output_mask);
  }
  output_masks_->set({{x, mask}});
  return x;
}

}  // namespace tapeflow::keras
