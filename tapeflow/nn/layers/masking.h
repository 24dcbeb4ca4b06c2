// K::layers::Masking: marks the timesteps of a (B, T, ...) sequence whose features all equal
// mask_value as padding (Note [Masks] in layer.cpp): the output is the input with those steps
// zeroed, and its mask (B, T) is true where a step has some other value, so the recurrent
// layers after it skip the padding.
#pragma once
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

}  // namespace tapeflow::keras::layers
