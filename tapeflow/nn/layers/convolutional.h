// Keras's convolution layers, channels_last: Conv2D ((B, H, W, C) -> (B, OH, OW, filters),
// kernel (KH, KW, C, filters)), Conv1D ((B, T, C) -> (B, OT, filters), kernel (K, C, filters))
// and Conv2DTranspose ((B, H, W, C) -> (B, OH, OW, filters), kernel (KH, KW, filters, C)).
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "tapeflow/nn/activations.h"
#include "tapeflow/nn/layers/layer.h"

namespace tapeflow::keras::layers {

/// Keras's kernel_size / strides / dilation_rate / pool_size: one int for both spatial
/// dimensions, or a (height, width) pair: `3`, `{3, 1}`.
struct IntPair {
  IntPair(int64_t v) : h(v), w(v) {}                 // NOLINT: `.strides = 2`
  IntPair(int64_t h_, int64_t w_) : h(h_), w(w_) {}  // `.strides = {2, 1}`
  int64_t h, w;
  std::string to_string() const {
    // Appended piece by piece: `"(" + std::to_string(h)` trips GCC 12's false -Wrestrict.
    std::string s = "(";
    s += std::to_string(h);
    s += ", ";
    s += std::to_string(w);
    s += ')';
    return s;
  }
};

struct Conv2DOptions {
  IntPair strides = 1;
  std::string padding = "valid";  // "valid" or "same" (Keras's spelling; case-insensitive)
  IntPair dilation_rate = 1;
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

/// `K::layers::Conv2D(32, 3, {.padding = "same", .activation = "relu"})`: inputs (B, H, W, C)
/// (channels_last); with "valid" padding OH = ceil((H - (KH - 1) * dilation) / stride), with
/// "same" OH = ceil(H / stride).
class Conv2D : public Layer {
 public:
  Conv2D(int64_t filters, IntPair kernel_size, Conv2DOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::string class_name() const override { return "Conv2D"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Conv2D>(*this); }

  int64_t filters() const { return filters_; }
  const IntPair& kernel_size() const { return kernel_size_; }
  const Conv2DOptions& options() const { return options_; }
  /// The (KH, KW, C, filters) kernel and the (filters,) bias (undefined before the layer is built).
  Variable kernel() const { return tracked_variable("kernel"); }
  Variable bias() const { return tracked_variable("bias"); }

 private:
  int64_t filters_;
  IntPair kernel_size_;
  Conv2DOptions options_;
};

struct Conv1DOptions {
  int64_t strides = 1;
  std::string padding = "valid";  // "valid", "same" or "causal" (left padding: output t sees inputs <= t)
  int64_t dilation_rate = 1;
  activations::Activation activation = {};  // linear
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer kernel_regularizer = {};
  regularizers::Regularizer bias_regularizer = {};
  std::string name;
  bool trainable = true;
  DType dtype = DType::kFloat32;
};

/// `K::layers::Conv1D(32, 3, {.activation = "relu"})`: a temporal convolution over (B, T, C)
/// (computed as a conv2d of height 1); OT as Conv2D's OW, "causal" gives OT = ceil(T / stride).
class Conv1D : public Layer {
 public:
  Conv1D(int64_t filters, int64_t kernel_size, Conv1DOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::string class_name() const override { return "Conv1D"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Conv1D>(*this); }

  /// The (K, C, filters) kernel and the (filters,) bias.
  Variable kernel() const { return tracked_variable("kernel"); }
  Variable bias() const { return tracked_variable("bias"); }

 private:
  int64_t filters_, kernel_size_;
  Conv1DOptions options_;
};

struct Conv2DTransposeOptions {
  IntPair strides = 1;
  std::string padding = "valid";          // "valid" or "same"
  std::optional<IntPair> output_padding;  // extra rows/columns at the end (each < its stride)
  IntPair dilation_rate = 1;
  activations::Activation activation = {};  // linear
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer kernel_regularizer = {};
  regularizers::Regularizer bias_regularizer = {};
  std::string name;
  bool trainable = true;
  DType dtype = DType::kFloat32;
};

/// `K::layers::Conv2DTranspose(16, 3, {.strides = 2, .padding = "same"})`: the transpose of a
/// Conv2D (tf::nn::conv2d_transpose), upsampling (B, H, W, C) to OH = H * stride ("same") or
/// H * stride + max(KH - stride, 0) ("valid"); with output_padding p,
/// OH = (H - 1) * stride + KH - 2 * pad + p (pad = KH / 2 for "same", else 0).
class Conv2DTranspose : public Layer {
 public:
  Conv2DTranspose(int64_t filters, IntPair kernel_size, Conv2DTransposeOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::string class_name() const override { return "Conv2DTranspose"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Conv2DTranspose>(*this); }

  /// The (KH, KW, filters, C) kernel and the (filters,) bias.
  Variable kernel() const { return tracked_variable("kernel"); }
  Variable bias() const { return tracked_variable("bias"); }

 private:
  int64_t filters_;
  IntPair kernel_size_;
  Conv2DTransposeOptions options_;
};

// Keras's other spellings.
using Convolution1D = Conv1D;
using Convolution2D = Conv2D;
using Convolution2DTranspose = Conv2DTranspose;

namespace detail {
/// Keras's padding argument lower-cased and checked: "valid" or "same", else an
/// InvalidArgumentError naming `layer`.
std::string standardize_padding(const std::string& padding, const std::string& layer);
/// A positive IntPair, else an InvalidArgumentError naming `layer` and the argument.
void check_positive(const IntPair& v, const char* what, const std::string& layer);
}  // namespace detail

}  // namespace tapeflow::keras::layers
