// tf.nn's layer ops over NHWC images: conv2d (TF op Conv2D and its gradient ops
// Conv2DBackpropInput/Filter), max_pool2d and avg_pool2d (MaxPool, AvgPool and their gradient
// ops), bias_add (BiasAdd, BiasAddGrad), moments, batch_normalization and fused_batch_norm
// (FusedBatchNormV3, FusedBatchNormGradV3). Kernels: kernels/cpu/{conv,pooling,batch_norm}.cpp.
#pragma once
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/ops/reduction.h"

namespace tapeflow::nn {

/// TF's strides, ksize and dilations arguments: one int for both spatial dims, two ints
/// (height, width), or four in NHWC order whose batch and channel entries must be 1.
class WindowArg {
 public:
  WindowArg(int v) : values_{v} {}                                           // NOLINT
  WindowArg(std::initializer_list<int> v) : values_(v.begin(), v.end()) {}  // NOLINT
  WindowArg(const std::vector<int>& v) : values_(v.begin(), v.end()) {}     // NOLINT
  const std::vector<int64_t>& values() const { return values_; }

 private:
  std::vector<int64_t> values_;
};

/// tf.nn.conv2d: input (N, H, W, C) and filters (KH, KW, C, O) of one floating dtype ->
/// (N, OH, OW, O). padding is "SAME" (OH = ceil(H / stride)) or "VALID"
/// (OH = ceil((H - (KH - 1) * dilation) / stride)).
/// `tf::nn::conv2d(x, w, 1, "SAME")`, `tf::nn::conv2d(x, w, {2, 2}, "VALID", 1)`.
Tensor conv2d(const Tensor& input, const Tensor& filters, const WindowArg& strides, const std::string& padding,
              const WindowArg& dilations = 1);
/// tf.compat.v1.nn.conv2d_backprop_input: the gradient of conv2d with respect to an input of
/// `input_sizes`, given out_backprop (N, OH, OW, O).
Tensor conv2d_backprop_input(const Shape& input_sizes, const Tensor& filters, const Tensor& out_backprop,
                             const WindowArg& strides, const std::string& padding, const WindowArg& dilations = 1);
/// tf.compat.v1.nn.conv2d_backprop_filter: the gradient of conv2d with respect to filters of
/// `filter_sizes`, given the input and out_backprop.
Tensor conv2d_backprop_filter(const Tensor& input, const Shape& filter_sizes, const Tensor& out_backprop,
                              const WindowArg& strides, const std::string& padding, const WindowArg& dilations = 1);
/// tf.nn.conv2d_transpose: input (N, H, W, O), filters (KH, KW, C, O) -> output_shape
/// (N, OH, OW, C); the gradient of conv2d with respect to its input.
Tensor conv2d_transpose(const Tensor& input, const Tensor& filters, const Shape& output_shape,
                        const WindowArg& strides, const std::string& padding, const WindowArg& dilations = 1);

/// tf.nn.max_pool2d: the maximum of each ksize window of input (N, H, W, C); SAME padding never
/// wins the maximum. `tf::nn::max_pool2d(x, 2, 2, "VALID")`.
Tensor max_pool2d(const Tensor& input, const WindowArg& ksize, const WindowArg& strides, const std::string& padding);
/// tf.nn.avg_pool2d: the mean of each window; with SAME padding only the elements inside the
/// input are averaged, as TF.
Tensor avg_pool2d(const Tensor& input, const WindowArg& ksize, const WindowArg& strides, const std::string& padding);

/// tf.nn.bias_add: value (..., C) + bias (C,). `tf::nn::bias_add(tf::matmul(x, w), b)`.
Tensor bias_add(const Tensor& value, const Tensor& bias);

/// tf.nn.moments: the mean and (biased) variance of x over `axes`; float16/bfloat16 inputs are
/// reduced in float32. `auto [mean, variance] = tf::nn::moments(x, {0, 1, 2});`
std::pair<Tensor, Tensor> moments(const Tensor& x, const Axes& axes, bool keepdims = false);
/// tf.nn.batch_normalization: (x - mean) * scale / sqrt(variance + variance_epsilon) + offset,
/// broadcasting mean, variance, offset and scale against x; offset and scale may be std::nullopt.
Tensor batch_normalization(const Tensor& x, const Tensor& mean, const Tensor& variance,
                           const std::optional<Tensor>& offset, const std::optional<Tensor>& scale,
                           double variance_epsilon);

/// tf.compat.v1.nn.fused_batch_norm's keyword arguments.
struct FusedBatchNormOptions {
  std::optional<Tensor> mean, variance;  // (C,); required for inference or a running average
  double epsilon = 0.001;
  bool is_training = true;
  /// Training: the mean/variance outputs are (1 - f) * mean + f * batch statistic (1: the batch's).
  double exponential_avg_factor = 1.0;
};
/// y, and the (running) mean and variance: in training the batch mean and the unbiased
/// (n / (n - 1)) batch variance, averaged into options.mean/variance by exponential_avg_factor;
/// in inference options.mean and options.variance.
struct FusedBatchNormOutputs {
  Tensor y, mean, variance;
};
/// tf.compat.v1.nn.fused_batch_norm over the last (channel) axis of x (rank >= 2; TF allows 4
/// or 5): scale/offset/mean/variance are (C,) float32 (float64 for float64 x). Training
/// normalizes with the batch's biased variance. The op Keras' BatchNormalization uses.
/// `auto [y, mean, var] = tf::nn::fused_batch_norm(x, gamma, beta);`
FusedBatchNormOutputs fused_batch_norm(const Tensor& x, const Tensor& scale, const Tensor& offset,
                                       const FusedBatchNormOptions& options = {});

}  // namespace tapeflow::nn

namespace tapeflow::ops {
extern OpDef Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter, MaxPool, MaxPoolGrad, MaxPoolGradGrad, AvgPool,
    AvgPoolGrad, BiasAdd, BiasAddGrad, FusedBatchNormV3, FusedBatchNormGradV3;

enum class Padding : uint8_t { kValid, kSame };

/// The sliding window of Conv2D and its backprop ops. `sizes` is the shape a backprop op
/// produces (input_sizes / filter_sizes, which TF passes as a tensor).
struct Conv2DAttrs : OpAttrsBase<Conv2DAttrs> {
  int64_t strides[2] = {1, 1}, dilations[2] = {1, 1};  // (height, width)
  Padding padding = Padding::kValid;
  Shape sizes;
  std::string to_string() const override;
};
/// The window of MaxPool, AvgPool and their gradients; `sizes` is AvgPoolGrad's output shape.
struct PoolAttrs : OpAttrsBase<PoolAttrs> {
  int64_t ksize[2] = {1, 1}, strides[2] = {1, 1};
  Padding padding = Padding::kValid;
  Shape sizes;
  std::string to_string() const override;
};
struct FusedBatchNormAttrs : OpAttrsBase<FusedBatchNormAttrs> {
  double epsilon = 0.001, exponential_avg_factor = 1.0;
  bool is_training = true;
  std::string to_string() const override;
};

/// Where a 2-D window op's windows lie (TF's GetWindowedOutputSize): output (batch, out_h,
/// out_w, out_channels); window (i, j) of output pixel (oh, ow) reads input pixel
/// (oh * stride_h - pad_top + i * dilation_h, ow * stride_w - pad_left + j * dilation_w).
struct Window2D {
  int64_t batch = 0, in_h = 0, in_w = 0, channels = 0;
  int64_t k_h = 1, k_w = 1, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t out_h = 0, out_w = 0, out_channels = 0, pad_top = 0, pad_left = 0;
};
/// The window of a convolution of `input` (N, H, W, C) by `filter` (KH, KW, C, O).
Window2D conv2d_window(const Shape& input, const Shape& filter, const Conv2DAttrs& attrs);
/// The window of a pooling of `input` (N, H, W, C).
Window2D pool_window(const Shape& input, const PoolAttrs& attrs);

// The ops themselves (one dispatch each), for the gradient rules.
Tensor conv2d(const Tensor& input, const Tensor& filter, const Conv2DAttrs& attrs);
Tensor conv2d_backprop_input(const Shape& input_sizes, const Tensor& filter, const Tensor& out_backprop,
                             Conv2DAttrs attrs);
Tensor conv2d_backprop_filter(const Tensor& input, const Shape& filter_sizes, const Tensor& out_backprop,
                              Conv2DAttrs attrs);
Tensor max_pool(const Tensor& input, const PoolAttrs& attrs);
/// The gradient of MaxPool: `grad` (output-shaped) routed to the first maximum of each window.
Tensor max_pool_grad(const Tensor& orig_input, const Tensor& orig_output, const Tensor& grad, const PoolAttrs& attrs);
/// The gradient of MaxPoolGrad with respect to its grad: `grad` (input-shaped) read at the
/// first maximum of each window.
Tensor max_pool_grad_grad(const Tensor& orig_input, const Tensor& orig_output, const Tensor& grad,
                          const PoolAttrs& attrs);
Tensor avg_pool(const Tensor& input, const PoolAttrs& attrs);
Tensor avg_pool_grad(const Shape& orig_input_shape, const Tensor& grad, PoolAttrs attrs);
/// The sum of out_backprop (..., C) over all but the last axis.
Tensor bias_add_grad(const Tensor& out_backprop);
/// FusedBatchNormGradV3's outputs x_backprop, scale_backprop, offset_backprop, from the
/// forward's saved mean and biased variance (reserve_space_1/2; reserve_space_3 is empty on CPU).
TensorList fused_batch_norm_grad(const Tensor& y_backprop, const Tensor& x, const Tensor& scale,
                                 const Tensor& reserve_space_1, const Tensor& reserve_space_2,
                                 const Tensor& reserve_space_3, const FusedBatchNormAttrs& attrs);

void register_nn_conv_ops();
}  // namespace tapeflow::ops
