#include "tapeflow/nn/models/sequential.h"

#include "tapeflow/nn/layers/input_layer.h"

namespace tapeflow::keras {

Sequential::Sequential(std::vector<AnyLayer> layers, SequentialOptions options)
    : Model("sequential", {.name = options.name}),
      layers_(std::make_shared<std::vector<std::shared_ptr<layers::Layer>>>()) {
  for (auto& l : layers) add(std::move(l));
}

void Sequential::add(AnyLayer layer) {
  const auto& l = layer.get();
  track_module(l->name(), l);
  layers_->push_back(l);
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
  const bool has_input = !layers_->empty() && dynamic_cast<const layers::InputLayer*>(layers_->front().get());
  if (!has_input) ops.push_back({"0", std::make_shared<TrackableNode>(), Variable()});
  for (const auto& l : *layers_) ops.push_back({std::to_string(ops.size()), l, Variable()});
  auto ops_node = std::make_shared<TrackableNode>(std::move(ops));
  return {{"_functional",
           std::make_shared<TrackableNode>(std::vector<TrackableReference>{{"_operations", ops_node, Variable()}}),
           Variable()}};
}

Tensor Sequential::call(const Tensor& inputs, bool training) {
  Tensor x = inputs;
  for (const auto& l : *layers_) x = (*l)(x, training);
  return x;
}

}  // namespace tapeflow::keras
