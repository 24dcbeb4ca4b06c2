// K::layers::Dense: activation(inputs @ kernel + bias) over the last axis. (..., in) -> (..., units).
#pragma once
#include "tapeflow/nn/activations.h"
#include "tapeflow/nn/layers/layer.h"

namespace tapeflow::keras::layers {

struct DenseOptions {
  activations::Activation activation = {};  // linear
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer kernel_regularizer = {};
  regularizers::Regularizer bias_regularizer = {};
  std::string name;
  bool trainable = true;
  DType dtype = DType::kFloat32;  // the weights' dtype; inputs are cast to it (Keras's autocast)
};

/// `K::layers::Dense(100, {.activation = "relu"})`; inputs of rank >= 2, cast to the weights'
/// dtype (Keras's autocast).
class Dense : public Layer {
 public:
  explicit Dense(int64_t units, DenseOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::string class_name() const override { return "Dense"; }
  bool supports_masking() const override { return true; }  // the input's mask passes through
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Dense>(*this); }

  int64_t units() const { return units_; }
  const DenseOptions& options() const { return options_; }
  /// The (in, units) kernel and the (units,) bias (undefined before the layer is built).
  Variable kernel() const { return tracked_variable("kernel"); }
  Variable bias() const { return tracked_variable("bias"); }

 private:
  int64_t units_;
  DenseOptions options_;
};

}  // namespace tapeflow::keras::layers
