// K::layers::EinsumDense: a Dense whose kernel has several axes, described by an einsum
// equation: `EinsumDense("abc,cde->abde", {-1, 4, 8}, {.bias_axes = "de"})` projects (B, T, C)
// to (B, T, 4, 8) heads. The projections of MultiHeadAttention are EinsumDense layers.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tapeflow/nn/activations.h"
#include "tapeflow/nn/layers/layer.h"

namespace tapeflow::keras::layers {

struct EinsumDenseOptions {
  activations::Activation activation = {};  // linear
  std::string bias_axes;                    // output letters the bias spans (a suffix of them); empty: no bias
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer kernel_regularizer = {};
  regularizers::Regularizer bias_regularizer = {};
  std::string name;
  bool trainable = true;
  DType dtype = DType::kFloat32;
};

/// The equations of dense projections: "<input>,<kernel>-><output>" where the input's last
/// letters are contracted with the kernel's first ones ("abc,cd->abd", "abcd,cde->abe"); other
/// forms raise an UnimplementedError naming the equation. `output_shape` is the output's shape
/// without the batch axis (-1: unknown, taken from the input). Computed with tensordot.
class EinsumDense : public Layer {
 public:
  EinsumDense(std::string equation, std::vector<int64_t> output_shape, EinsumDenseOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::string class_name() const override { return "EinsumDense"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<EinsumDense>(*this); }

  Variable kernel() const { return tracked_variable("kernel"); }
  Variable bias() const { return tracked_variable("bias"); }

 private:
  std::string equation_, input_, kernel_, output_;  // the equation and its three parts
  std::vector<int64_t> output_shape_;
  EinsumDenseOptions options_;
  int contracted_ = 0;  // the number of input axes the kernel contracts
};

}  // namespace tapeflow::keras::layers
