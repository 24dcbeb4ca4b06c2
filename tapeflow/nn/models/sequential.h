// K::Sequential: a model that applies its layers in order.
// `K::Sequential model({K::layers::Flatten(), K::layers::Dense(10)});`, or built at once from its
// input's shape: `K::Sequential model({K::Input({28, 28}), K::layers::Flatten(), ...});`
#pragma once
#include "tapeflow/nn/models/model.h"
#include "tapeflow/nn/models/output_masks.h"

namespace tapeflow::keras {

/// A layer by value (copied; copies share state) or shared: the element type of Sequential's list.
class AnyLayer {
 public:
  template <std::derived_from<layers::Layer> L>
  AnyLayer(L layer) : layer_(std::make_shared<L>(std::move(layer))) {}  // NOLINT
  template <std::derived_from<layers::Layer> L>
  AnyLayer(std::shared_ptr<L> layer) : layer_(std::move(layer)) {}  // NOLINT
  /// `K::Input({28, 28})`: its InputLayer (an InvalidArgumentError for other KerasTensors).
  AnyLayer(const KerasTensor& input);  // NOLINT
  const std::shared_ptr<layers::Layer>& get() const { return layer_; }

 private:
  std::shared_ptr<layers::Layer> layer_;
};

struct SequentialOptions {
  std::string name;
};

/// With an InputLayer first (`K::Input(shape)`), each layer is built when added, so summary()
/// shows the shapes before any call, as in Keras; the InputLayer is not among layers().
class Sequential : public Model {
 public:
  explicit Sequential(std::vector<AnyLayer> layers = {}, SequentialOptions options = {});
  void add(AnyLayer layer);
  /// Removes and returns the last layer (its weights leave the model): `model.pop()`.
  std::shared_ptr<layers::Layer> pop();
  Tensor call(const Tensor& inputs, bool training) override;
  /// Nested in another model: starts from the incoming mask; its output's mask leaves it.
  bool supports_masking() const override { return true; }
  Tensor call_masked(const Tensor& inputs, bool training, const std::optional<Tensor>& mask) override;
  std::optional<Tensor> compute_mask(const Tensor&, const std::optional<Tensor>&) const override {
    return output_masks_->first();
  }
  std::optional<Tensor> output_mask(const Tensor& output) const override { return output_masks_->of(output); }
  std::vector<std::shared_ptr<layers::Layer>> layers() const override { return *layers_; }
  /// The K::Input the model was built from (Keras's model.input); undefined without one.
  KerasTensor input() const { return symbolic_->input; }
  /// The input shape the model was built with (batch None): its K::Input's, else the first
  /// call's (Keras's build shapes, from which model.export infers the input signature).
  std::optional<Shape> build_input_shape() const;
  void build(const Shape& input_shape) override;
  /// The InputLayer given first (K::Input), or nullptr.
  std::shared_ptr<layers::Layer> input_layer() const {
    return symbolic_->input.defined() ? symbolic_->input.node()->layer : nullptr;
  }
  std::string class_name() const override { return "Sequential"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Sequential>(*this); }
  /// Trackable: Keras 3's `_functional/_operations/<i>`, index 0 the (implicit) InputLayer.
  std::vector<TrackableReference> trackable_children() const override;

 private:
  std::shared_ptr<std::vector<std::shared_ptr<layers::Layer>>> layers_;
  struct Symbolic {
    KerasTensor input, output;  // K::Input's tensor and the last layer's output on it
    // The first call's input shape, batch None.
    std::optional<Shape> called_shape;
  };
  std::shared_ptr<Symbolic> symbolic_;
  std::shared_ptr<internal::OutputMasks> output_masks_ = std::make_shared<internal::OutputMasks>();
};

}  // namespace tapeflow::keras
