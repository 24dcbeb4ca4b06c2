#include "tapeflow/nn/models/sequential.h"

namespace tapeflow::keras {

Sequential::Sequential(std::vector<AnyLayer> layers, SequentialOptions options)
    : Model("sequential", {.name = options.name}),
      layers_(std::make_shared<std::vector<std::shared_ptr<layers::Layer>>>()) {
  for (auto& l : layers) add(std::move(l));
}

void Sequential::add(AnyLayer layer) {
  const auto& l = layer.get();
  track<Module>(l->name(), *l);
  layers_->push_back(l);
}

Tensor Sequential::call(const Tensor& inputs, bool training) {
  Tensor x = inputs;
  for (const auto& l : *layers_) x = (*l)(x, training);
  return x;
}

}  // namespace tapeflow::keras
