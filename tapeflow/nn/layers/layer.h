// K::layers::Layer: the base of every Keras layer. A layer is a tf::Module that builds itself
// on its first call from the input's shape (build), then computes (call). Custom layers
// subclass it and override build and call. Copies share the layer's state (weights, losses,
// built flag); a custom layer's own data members are copied, so keep them handles (Variables).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "tapeflow/nn/initializers.h"
#include "tapeflow/nn/module.h"
#include "tapeflow/nn/regularizers.h"

namespace tapeflow::keras::layers {

struct LayerOptions {
  std::string name;  // empty: the class's default name made unique ("dense", "dense_1", ...)
  bool trainable = true;
};

struct WeightOptions {
  initializers::Initializer initializer = "glorot_uniform";
  bool trainable = true;
  regularizers::Regularizer regularizer = {};
  DType dtype = DType::kFloat32;
};

class Layer : public Module {
 public:
  /// `default_name` is used (made unique) when options.name is empty: Layer("my_layer").
  explicit Layer(const std::string& default_name = "layer", LayerOptions options = {});

  /// Builds on the first call (build(inputs.shape())), then runs call(). `training` defaults to
  /// the enclosing layer's (a model's fit passes true), else false.
  Tensor operator()(const Tensor& inputs, std::optional<bool> training = std::nullopt);

  /// Creates the weights for inputs of this shape (batch dimension included).
  virtual void build(const Shape& input_shape) {}
  /// The computation. Override this one to see `training`, or call(inputs) otherwise.
  virtual Tensor call(const Tensor& inputs, bool training) { return call(inputs); }
  virtual Tensor call(const Tensor& inputs);
  /// The Keras class name shown by model.summary() ("Dense").
  virtual std::string class_name() const { return "Layer"; }

  bool built() const;
  /// Marks the layer built (for layers built by hand with explicit shapes).
  void set_built(bool built);
  /// Losses added by the last call (add_loss) plus the weight regularization penalties, computed
  /// now from the current weights (as Keras 3 does), for this layer and its sublayers.
  std::vector<Tensor> losses() const;
  void add_loss(const Tensor& loss);
  /// Creates and tracks a weight: `w = add_weight("kernel", {in, out}, {.initializer = "he_normal"})`.
  Variable add_weight(const std::string& name, const Shape& shape, WeightOptions options = {});
  /// The output shape of the last call with the batch dimension unknown (-1), if called.
  std::optional<Shape> output_shape() const;
  /// The number of elements of all weights.
  int64_t count_params() const;

 protected:
  /// The InputSpec check Keras makes: a typed error naming the layer when inputs.ndim is wrong.
  void check_input_rank(const Tensor& inputs, std::optional<int> ndim, std::optional<int> min_ndim = std::nullopt) const;
  /// The last-axis check of a built layer: `expected axis -1 of input shape to have value 784`.
  void check_input_last_dim(const Tensor& inputs, int64_t expected) const;
  /// Tracks a sublayer (its weights and losses become this layer's).
  template <std::derived_from<Layer> L>
  L track_layer(L layer) { return track(layer.name(), layer); }

 private:
  struct State;
  State& state() const;
};

}  // namespace tapeflow::keras::layers
