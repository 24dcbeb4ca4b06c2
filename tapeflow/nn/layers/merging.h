// K::layers merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum (elementwise
// over a list of inputs) and Concatenate (along an axis). They are called on a list:
// `K::layers::Add()({a, b})` on tensors or on KerasTensors.
#pragma once
#include "tapeflow/nn/layers/layer.h"

namespace tapeflow::keras::layers {

struct MergeOptions {
  std::string name;
};

/// The base of the elementwise merging layers. Inputs share the batch size; the other
/// dimensions broadcast as Keras's `_compute_elemwise_op_output_shape` allows (equal, or 1).
class Merge : public Layer {
 public:
  using Layer::call;
  void build(const std::vector<Shape>& input_shapes) override;
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;
  /// A merging layer called on one tensor: the InvalidArgumentError Keras raises.
  Tensor call(const Tensor& inputs) override;

 protected:
  Merge(const std::string& default_name, const MergeOptions& options) : Layer(default_name, {.name = options.name}) {}
  /// Merges the (at least one) inputs.
  virtual Tensor merge(const std::vector<Tensor>& inputs) const = 0;
};

#define TAPEFLOW_MERGE_LAYER(Name, default_name)                                            \
  class Name : public Merge {                                                               \
   public:                                                                                  \
    explicit Name(MergeOptions options = {}) : Merge(default_name, options) {}              \
    std::string class_name() const override { return #Name; }                               \
    std::shared_ptr<Layer> clone() const override { return std::make_shared<Name>(*this); } \
                                                                                            \
   protected:                                                                               \
    Tensor merge(const std::vector<Tensor>& inputs) const override;                         \
  };

/// inputs[0] + inputs[1] + ...
TAPEFLOW_MERGE_LAYER(Add, "add")
/// inputs[0] - inputs[1] (exactly two inputs).
TAPEFLOW_MERGE_LAYER(Subtract, "subtract")
/// inputs[0] * inputs[1] * ...
TAPEFLOW_MERGE_LAYER(Multiply, "multiply")
/// The elementwise mean of the inputs.
TAPEFLOW_MERGE_LAYER(Average, "average")
/// The elementwise maximum of the inputs.
TAPEFLOW_MERGE_LAYER(Maximum, "maximum")
/// The elementwise minimum of the inputs.
TAPEFLOW_MERGE_LAYER(Minimum, "minimum")
#undef TAPEFLOW_MERGE_LAYER

struct ConcatenateOptions {
  int axis = -1;
  std::string name;
};

/// Joins the inputs along `axis` (default the last): shapes must match on every other axis.
/// `K::layers::Concatenate({.axis = 1})({a, b})`.
class Concatenate : public Layer {
 public:
  using Layer::call;
  explicit Concatenate(ConcatenateOptions options = {});
  void build(const std::vector<Shape>& input_shapes) override;
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;
  Tensor call(const Tensor& inputs) override;
  std::string class_name() const override { return "Concatenate"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Concatenate>(*this); }
  int axis() const { return axis_; }

 private:
  int axis_;
};

}  // namespace tapeflow::keras::layers
