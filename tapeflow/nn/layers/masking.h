// K::layers::Masking: marks the timesteps of a (B, T, ...) sequence whose features all equal
// mask_value as padding (Note [Masks] in layer.cpp): the output is the input with those steps
// zeroed, and its mask (B, T) is true where a step has some other value, so the recurrent
// layers after it skip the padding. Also the ops Keras models compute masks with
// (`mask = ops.any(ops.not_equal(x, 0.0), axis=-1)`, passed on by `mask=`): K::ops::not_equal and
// K::ops::any on KerasTensors, nodes of the functional graph as in Keras's configs.
#pragma once
#include <optional>

#include "tapeflow/nn/layers/layer.h"

namespace tapeflow::keras::layers {

struct MaskingOptions {
  std::string name;
};

class Masking : public Layer {
 public:
  explicit Masking(double mask_value = 0.0, MaskingOptions options = {});
  Tensor call(const Tensor& inputs) override;
  bool supports_masking() const override { return true; }
  /// any(inputs != mask_value, axis=-1) (the input's mask is replaced, as in Keras).
  std::optional<Tensor> compute_mask(const Tensor& inputs, const std::optional<Tensor>& mask) const override;
  std::string class_name() const override { return "Masking"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Masking>(*this); }
  double mask_value() const { return mask_value_; }

 private:
  double mask_value_;
};

/// keras.ops.not_equal(x, value) as a functional node (Keras's NotEqual operation): x != value, bool.
class NotEqual : public Layer {
 public:
  /// `integer`: the value is written as an integer in configs (Keras's `0` rather than `0.0`).
  NotEqual(double value, bool integer, MaskingOptions options = {});
  Tensor call(const Tensor& inputs) override;
  std::string class_name() const override { return "NotEqual"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<NotEqual>(*this); }
  double value() const { return value_; }
  bool integer() const { return integer_; }

 private:
  double value_;
  bool integer_;
};

/// keras.ops.any(x, axis, keepdims) as a functional node (Keras's Any operation): bool; a number
/// counts as true when nonzero.
class Any : public Layer {
 public:
  explicit Any(std::optional<int> axis = std::nullopt, bool keepdims = false, MaskingOptions options = {});
  Tensor call(const Tensor& inputs) override;
  std::string class_name() const override { return "Any"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Any>(*this); }
  std::optional<int> axis() const { return axis_; }
  bool keepdims() const { return keepdims_; }

 private:
  std::optional<int> axis_;
  bool keepdims_;
};

}  // namespace tapeflow::keras::layers

namespace tapeflow::keras::ops {
/// `K::ops::not_equal(x, 0.0)`: a bool KerasTensor, x != value elementwise.
KerasTensor not_equal(const KerasTensor& x, double value);
KerasTensor not_equal(const KerasTensor& x, int64_t value);
inline KerasTensor not_equal(const KerasTensor& x, int value) { return not_equal(x, int64_t{value}); }
/// `K::ops::any(m, -1)`: whether any element along `axis` (all axes when none) is true.
KerasTensor any(const KerasTensor& x, std::optional<int> axis = std::nullopt, bool keepdims = false);
}  // namespace tapeflow::keras::ops
