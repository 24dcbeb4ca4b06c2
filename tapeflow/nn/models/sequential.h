// K::Sequential: a model that applies its layers in order.
// `K::Sequential model({K::layers::Flatten(), K::layers::Dense(10)});`
#pragma once
#include "tapeflow/nn/models/model.h"

namespace tapeflow::keras {

/// A layer by value (copied; copies share state) or shared: the element type of Sequential's list.
class AnyLayer {
 public:
  template <std::derived_from<layers::Layer> L>
  AnyLayer(L layer) : layer_(std::make_shared<L>(std::move(layer))) {}  // NOLINT
  template <std::derived_from<layers::Layer> L>
  AnyLayer(std::shared_ptr<L> layer) : layer_(std::move(layer)) {}  // NOLINT
  const std::shared_ptr<layers::Layer>& get() const { return layer_; }

 private:
  std::shared_ptr<layers::Layer> layer_;
};

struct SequentialOptions {
  std::string name;
};

class Sequential : public Model {
 public:
  explicit Sequential(std::vector<AnyLayer> layers = {}, SequentialOptions options = {});
  void add(AnyLayer layer);
  /// Removes and returns the last layer (its weights leave the model): `model.pop()`.
  std::shared_ptr<layers::Layer> pop();
  Tensor call(const Tensor& inputs, bool training) override;
  std::vector<std::shared_ptr<layers::Layer>> layers() const override { return *layers_; }
  std::string class_name() const override { return "Sequential"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Sequential>(*this); }
  /// Trackable: Keras 3's `_functional/_operations/<i>`, index 0 the (implicit) InputLayer.
  std::vector<TrackableReference> trackable_children() const override;

 private:
  std::shared_ptr<std::vector<std::shared_ptr<layers::Layer>>> layers_;
};

}  // namespace tapeflow::keras
