// K::layers::Layer: the base of every Keras layer. A layer is a tf::Module that builds itself
// on its first call from the input's shape (build), then computes (call). Custom layers
// subclass it and override build and call. Copies share the layer's state (weights, losses,
// built flag); a custom layer's own data members are copied, so keep them handles (Variables).
// Called on KerasTensors, a layer records a node of the functional API (keras_tensor.h).
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tapeflow/nn/initializers.h"
#include "tapeflow/nn/layers/keras_tensor.h"
#include "tapeflow/trackable/module.h"
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

/// add_weight's keyword arguments: the name (tf.keras's first), then Keras 3's order.
struct NamedWeightOptions {
  std::string name;  // empty: "variable", "variable_1", ... (Keras's auto-naming)
  Shape shape;
  initializers::Initializer initializer = "glorot_uniform";
  DType dtype = DType::kFloat32;
  bool trainable = true;
  regularizers::Regularizer regularizer = {};
};

class Layer : public Module {
 public:
  /// `default_name` is used (made unique) when options.name is empty: Layer("my_layer"). Without
  /// one, a custom layer is named after its class as in Keras (MyDense: "my_dense", "my_dense_1"),
  /// the name fixed at its first use (name(), a call, tracking), when the class is known.
  explicit Layer(const std::string& default_name = "", LayerOptions options = {});
  explicit Layer(LayerOptions options) : Layer("", std::move(options)) {}

  /// Builds on the first call (build(inputs.shape())), then runs call(). `training` defaults to
  /// the enclosing layer's (a model's fit passes true), else false.
  Tensor operator()(const Tensor& inputs, std::optional<bool> training = std::nullopt);
  /// A call on several tensors (merging layers, multi-input models): `K::layers::Add()({a, b})`.
  Tensor operator()(const std::vector<Tensor>& inputs, std::optional<bool> training = std::nullopt);
  /// The functional API: builds the layer from the symbolic shape (batch None), infers the output
  /// shape and dtype by running the layer once on zeros with batch 1 (so every layer, custom ones
  /// included, gets shape inference without a compute_output_shape), and records a Node.
  /// Errors are typed and name the layer. `auto y = K::layers::Dense(4)(K::Input({3}));`
  KerasTensor operator()(const KerasTensor& inputs);
  KerasTensor operator()(const std::vector<KerasTensor>& inputs);

  /// Creates the weights for inputs of this shape (batch dimension included; -1 when unknown).
  virtual void build(const Shape& input_shape) {}
  /// Keras's build_from_config: build(input_shape), the shape kept as build_input_shape().
  void build_from_config(const Shape& input_shape);
  /// The build of a call on a list: one shape per input. The default accepts one input.
  virtual void build(const std::vector<Shape>& input_shapes);
  /// The computation. Override this one to see `training`, or call(inputs) otherwise.
  virtual Tensor call(const Tensor& inputs, bool training) { return call(inputs); }
  virtual Tensor call(const Tensor& inputs);
  /// The computation of a call on a list. The default accepts one input.
  virtual Tensor call(const std::vector<Tensor>& inputs, bool training);
  /// Keras's masks (Note [Masks] in layer.cpp): `call_with_mask` runs the layer as operator()
  /// does with the (B, T) bool mask of the timesteps of `inputs` (std::nullopt: none), and
  /// returns the output with its mask: compute_mask(inputs, mask) when the layer supports
  /// masking, else none (the mask stops there, as in Keras). Sequential models pass masks on.
  struct MaskedOutput {
    Tensor output;
    std::optional<Tensor> mask;
  };
  MaskedOutput call_with_mask(const Tensor& inputs, const std::optional<Tensor>& mask,
                              std::optional<bool> training = std::nullopt);
  /// Keras's supports_masking: whether the layer passes a mask on (through compute_mask).
  virtual bool supports_masking() const { return false; }
  /// The mask of the output: by default the input's (Keras's default).
  virtual std::optional<Tensor> compute_mask(const Tensor& inputs, const std::optional<Tensor>& mask) const {
    return mask;
  }
  /// The mask of the output of a call on a list (merging layers), one mask per input (std::nullopt:
  /// none); the default: none (Keras's Layer without supports_masking).
  virtual std::optional<Tensor> compute_list_mask(const std::vector<Tensor>& inputs,
                                                  const std::vector<std::optional<Tensor>>& masks) const {
    return std::nullopt;
  }
  /// A call on a list, as operator() makes it, given the inputs' masks: the output and its mask
  /// (compute_list_mask). The functional graph calls merging layers so.
  MaskedOutput call_list_with_masks(const std::vector<Tensor>& inputs, const std::vector<std::optional<Tensor>>& masks,
                                    std::optional<bool> training = std::nullopt);
  /// The computation of a call on a list given the inputs' masks; the default ignores them
  /// (Multiply, Maximum and Minimum use them, as Keras's do).
  virtual Tensor call_list_masked(const std::vector<Tensor>& inputs, bool training,
                                  const std::vector<std::optional<Tensor>>& masks) {
    return call(inputs, training);
  }
  /// The computation given the input's mask; the default ignores it (call(inputs, training)).
  /// A layer whose result depends on the mask (the recurrent layers) overrides this one.
  virtual Tensor call_masked(const Tensor& inputs, bool training, const std::optional<Tensor>& mask) {
    return call(inputs, training);
  }
  /// The call of a functional node of one input (keras_tensor.h): every output with its mask,
  /// given the input's mask and the node's keyword tensors by name. The default is
  /// call_with_mask (one output, no keyword tensors); a layer with several outputs or keyword
  /// tensors (an RNN's return_state, initial_state, mask) overrides it.
  virtual std::vector<MaskedOutput> call_node(const Tensor& inputs, const std::optional<Tensor>& mask,
                                              const std::map<std::string, std::vector<Tensor>>& kwargs,
                                              std::optional<bool> training);
  /// A new handle to this layer (same state, same class): the functional API keeps one per node.
  /// Every layer class overrides it with `return std::make_shared<ThisClass>(*this);`; the
  /// default raises an UnimplementedError naming the class when the layer is used functionally.
  virtual std::shared_ptr<Layer> clone() const;
  /// The Keras class name shown by model.summary() ("Dense"); by default the C++ class's name.
  virtual std::string class_name() const;
  /// The layer's name (a class-derived default name is fixed at the first call of name()).
  const std::string& name() const;

  bool built() const;
  /// Marks the layer built (for layers built by hand with explicit shapes).
  void set_built(bool built);
  /// Losses added by the last call (add_loss) plus the weight regularization penalties, computed
  /// now from the current weights (as Keras 3 does), for this layer and its sublayers.
  std::vector<Tensor> losses() const;
  void add_loss(const Tensor& loss);
  /// Creates and tracks a weight: `w = add_weight("kernel", {in, out}, {.initializer = "he_normal"})`.
  Variable add_weight(const std::string& name, const Shape& shape, WeightOptions options = {});
  /// Keras's keyword form: `w = add_weight({.name = "kernel", .shape = {in, out}, .initializer = "he_normal"})`.
  Variable add_weight(const NamedWeightOptions& options);
  /// The output shape of the last call with the batch dimension unknown (-1), if called.
  std::optional<Shape> output_shape() const;
  /// The output shape of the first call (the one that built the layer), batch included: what
  /// Keras's summary shows for the layers of a subclassed model.
  std::optional<Shape> build_output_shape() const;
  /// The input shape build() received from the call that built the layer (a one-input call),
  /// batch included: Keras's build_config.
  std::optional<Shape> build_input_shape() const;
  /// The number of elements of all weights.
  int64_t count_params() const;
  /// The values of the weights (variables() order), as Keras's get_weights().
  std::vector<Tensor> get_weights() const;
  /// Assigns get_weights()-ordered values: an InvalidArgumentError naming the layer when the
  /// count or a shape differs (Keras's messages).
  void set_weights(const std::vector<Tensor>& weights);
  /// The nodes made by calling this layer on KerasTensors that are still alive, by index
  /// (Keras's _inbound_nodes; a dead node leaves a null entry so indices stay stable).
  std::vector<std::shared_ptr<Node>> inbound_nodes() const;
  /// The sublayers tracked with track_layer, in order (a subclassed model's layers).
  std::vector<std::shared_ptr<Layer>> tracked_layers() const;

  /// The name a sublayer tracked as `tracked` has in Keras's .weights.h5 files: Keras walks the
  /// public attributes first, so a private `_x` with a public property `x` is saved as `x`.
  virtual std::string weights_file_name(const std::string& tracked) const { return tracked; }
  /// Trackable: the weights and sublayers under the names Keras 3 checkpoints use (Dense's and
  /// Conv's "kernel" is "_kernel", Embedding's "embeddings" is "_embeddings").
  std::vector<TrackableReference> trackable_children() const override;
  bool defer_variable_restore(const std::string& name, DeferredRestore restore) override;

 protected:
  /// The InputSpec check Keras makes: a typed error naming the layer when inputs.ndim is wrong.
  void check_input_rank(const Tensor& inputs, std::optional<int> ndim,
                        std::optional<int> min_ndim = std::nullopt) const;
  /// The last-axis check of a built layer: `expected axis -1 of input shape to have value 784`.
  void check_input_last_dim(const Tensor& inputs, int64_t expected) const;
  /// What every call does around `body(training)`: the training flag's scope, the clearing of
  /// add_loss losses at the outermost call, the layer's name added to an error, the output shape.
  Tensor run_call(std::optional<bool> training, const std::function<Tensor(bool)>& body);
  /// The functional API of a layer called with keyword tensors or giving several outputs: builds
  /// from the input's shape, infers every output's shape and dtype by probing `run` (as
  /// Note [Output shapes by probing]: on zeros, unknown dimensions 1 then 2, the keyword tensors'
  /// too), records one node and returns its outputs (tensor_index 0, 1, ...).
  using NodeRun = std::function<std::vector<Tensor>(const Tensor&, const std::map<std::string, std::vector<Tensor>>&)>;
  std::vector<KerasTensor> symbolic_call_with(const KerasTensor& inputs, std::vector<NodeKwarg> kwargs,
                                              const NodeRun& run);
  /// Whether this thread runs layers only to infer shapes or to build weights (Note [Output shapes
  /// by probing], a model's building call): a stateful layer (an RNN with stateful=True) leaves
  /// its state alone then, as Keras's symbolic calls do.
  static bool probing();
  /// Marks the calls made on this thread while it lives as probes.
  class ProbeScope {
   public:
    ProbeScope();
    ~ProbeScope();
    ProbeScope(const ProbeScope&) = delete;
    ProbeScope& operator=(const ProbeScope&) = delete;

   private:
    bool previous_;
  };
  /// Tracks a sublayer (its weights and losses become this layer's).
  template <std::derived_from<Layer> L> L track_layer(L layer) {
    add_tracked_layer(std::make_shared<L>(layer));
    return track(layer.name(), layer);
  }

 private:
  Tensor call_one(const Tensor& inputs, const std::optional<Tensor>& mask, std::optional<bool> training);
  void add_tracked_layer(std::shared_ptr<Layer> layer);
  KerasTensor symbolic_call(const std::vector<KerasTensor>& inputs, bool list_call);
  friend class InputLayer;  // records its own node
  std::vector<std::weak_ptr<Node>>& node_list() const;
  void set_output_shape(const Shape& shape);
  struct State;
  State& state() const;
};

}  // namespace tapeflow::keras::layers
