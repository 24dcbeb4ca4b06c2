// K::KerasTensor and K::Node: the symbolic side of the functional API. K::Input(...) makes a
// KerasTensor (a shape with an unknown batch dimension, a dtype, the node that made it); calling
// a layer on KerasTensors records a Node (the layer and its input tensors) and returns the
// output's KerasTensor. K::Model(inputs, outputs) then runs the recorded nodes on real tensors.
#pragma once
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "tapeflow/core/dtype.h"
#include "tapeflow/core/shape.h"

namespace tapeflow::keras {

namespace layers {
class Layer;
}
struct Node;

/// A symbolic tensor: shape (-1 = None, the batch dimension always None), dtype, and its
/// history (the node that made it and its index among the node's outputs, Keras's
/// `_keras_history`). A handle: copies are the same tensor.
class KerasTensor {
 public:
  KerasTensor() = default;
  KerasTensor(Shape shape, DType dtype, std::shared_ptr<Node> node, int tensor_index = 0);

  bool defined() const noexcept { return state_ != nullptr; }
  const Shape& shape() const;
  int ndim() const { return shape().rank(); }
  DType dtype() const;
  /// The node that made this tensor (an InputLayer's node for K::Input).
  const std::shared_ptr<Node>& node() const;
  int tensor_index() const;

  friend bool operator==(const KerasTensor& a, const KerasTensor& b) noexcept { return a.state_ == b.state_; }

 private:
  struct State;
  std::shared_ptr<const State> state_;
};

/// Tensors a layer was called with by keyword (Keras's call kwargs): an RNN's initial_state
/// (several) or mask (one), in call order.
struct NodeKwarg {
  std::string name;
  std::vector<KerasTensor> tensors;
};

/// One call of a layer on KerasTensors (Keras's Node). The node owns a copy of the layer handle
/// (so `K::layers::Dense(4)(x)` on a temporary lives on) and its input tensors; the layer keeps
/// only weak references to its nodes, so a graph is freed with its last tensor or model.
struct Node {
  std::shared_ptr<layers::Layer> layer;
  std::vector<KerasTensor> inputs;  // empty for an InputLayer's node
  /// Whether the layer was called with a list (merging layers) rather than one tensor.
  bool list_call = false;
  /// Every output's shape and dtype: one, or several for a layer returning a list (an RNN with
  /// return_state: output, then the states), tensor_index i of the node's KerasTensors.
  std::vector<Shape> output_shapes;
  std::vector<DType> output_dtypes;
  /// This node's index among the layer's nodes (the first [i] of "dense[i][0]").
  int index = 0;
  std::vector<NodeKwarg> kwargs;

  bool is_input() const noexcept { return inputs.empty(); }
  /// The positional inputs, then the keyword tensors: every tensor the node reads.
  std::vector<KerasTensor> all_inputs() const {
    std::vector<KerasTensor> out = inputs;
    for (const NodeKwarg& k : kwargs) out.insert(out.end(), k.tensors.begin(), k.tensors.end());
    return out;
  }
};

/// One KerasTensor or several: the inputs / outputs argument of K::Model's functional
/// constructor (`K::Model(x, y)`, `K::Model({a, b}, y)`).
struct KerasTensors : std::vector<KerasTensor> {
  KerasTensors(const KerasTensor& t) : std::vector<KerasTensor>{t} {}                     // NOLINT
  KerasTensors(std::vector<KerasTensor> ts) : std::vector<KerasTensor>(std::move(ts)) {}  // NOLINT
  KerasTensors(std::initializer_list<KerasTensor> ts) : std::vector<KerasTensor>(ts) {}   // NOLINT
};

}  // namespace tapeflow::keras
