// K::layers merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum (elementwise
// over a list of inputs) and Concatenate (along an axis). They are called on a list:
// `K::layers::Add()({a, b})` on tensors or on KerasTensors. Masks (Note [Masks] in layer.cpp)
// combine as Keras's compute_mask does.
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
  /// Keras's Merge.compute_mask: the OR of the inputs' masks; none when an input has none.
  std::optional<Tensor> compute_list_mask(const std::vector<Tensor>& inputs,
                                          const std::vector<std::optional<Tensor>>& masks) const override;
  /// Keras 3's masked merges: Multiply takes a masked step of an input as 1 (and zeroes the output
  /// where every input is masked, when all have masks); Maximum and Minimum take it as the other
  /// operand's value; Add, Subtract and Average ignore the masks.
  Tensor call_list_masked(const std::vector<Tensor>& inputs, bool training,
                          const std::vector<std::optional<Tensor>>& masks) override;

 protected:
  /// How the masks enter the merge (Keras 3's _merge_function of each class).
  enum class MaskedMerge { kIgnore, kIdentityOne, kOtherOperand };
  Merge(const std::string& default_name, const MergeOptions& options, MaskedMerge masked = MaskedMerge::kIgnore)
      : Layer(default_name, {.name = options.name}), masked_(masked) {}
  /// Merges the (at least one) inputs.
  virtual Tensor merge(const std::vector<Tensor>& inputs) const = 0;

 private:
  MaskedMerge masked_;
};

#define TAPEFLOW_MERGE_LAYER(Name, default_name, masked)                                    \
  class Name : public Merge {                                                               \
   public:                                                                                  \
    explicit Name(MergeOptions options = {}) : Merge(default_name, options, masked) {}      \
    std::string class_name() const override { return #Name; }                               \
    std::shared_ptr<Layer> clone() const override { return std::make_shared<Name>(*this); } \
                                                                                            \
   protected:                                                                               \
    Tensor merge(const std::vector<Tensor>& inputs) const override;                         \
  };

/// inputs[0] + inputs[1] + ...
TAPEFLOW_MERGE_LAYER(Add, "add", MaskedMerge::kIgnore)
/// inputs[0] - inputs[1] (exactly two inputs).
TAPEFLOW_MERGE_LAYER(Subtract, "subtract", MaskedMerge::kIgnore)
/// inputs[0] * inputs[1] * ...
TAPEFLOW_MERGE_LAYER(Multiply, "multiply", MaskedMerge::kIdentityOne)
/// The elementwise mean of the inputs.
TAPEFLOW_MERGE_LAYER(Average, "average", MaskedMerge::kIgnore)
/// The elementwise maximum of the inputs.
TAPEFLOW_MERGE_LAYER(Maximum, "maximum", MaskedMerge::kOtherOperand)
/// The elementwise minimum of the inputs.
TAPEFLOW_MERGE_LAYER(Minimum, "minimum", MaskedMerge::kOtherOperand)
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
  /// Keras's Concatenate.compute_mask: each input's mask (all true without one) expanded to its
  /// input's shape, concatenated along axis, then any() over the last axis; none without masks.
  std::optional<Tensor> compute_list_mask(const std::vector<Tensor>& inputs,
                                          const std::vector<std::optional<Tensor>>& masks) const override;
  std::string class_name() const override { return "Concatenate"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Concatenate>(*this); }
  int axis() const { return axis_; }

 private:
  int axis_;
};

}  // namespace tapeflow::keras::layers
