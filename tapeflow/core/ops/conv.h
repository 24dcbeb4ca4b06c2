// tf.nn.conv2d and its gradient ops (TF ops Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter)
// over NHWC images, and conv2d_transpose. Kernels: kernels/{cpu,cuda}/conv; gradients:
// autograd/grads/conv.cpp.
#pragma once
#include <string>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/ops/window.h"

namespace tapeflow::nn {
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
Tensor conv2d_transpose(const Tensor& input, const Tensor& filters, const Shape& output_shape, const WindowArg& strides,
                        const std::string& padding, const WindowArg& dilations = 1);
}  // namespace tapeflow::nn

namespace tapeflow::ops {
extern OpDef Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter;

/// The sliding window of Conv2D and its backprop ops. `sizes` is the shape a backprop op
/// produces (input_sizes / filter_sizes, which TF passes as a tensor).
struct Conv2DAttrs : OpAttrsBase<Conv2DAttrs> {
  int64_t strides[2] = {1, 1}, dilations[2] = {1, 1};  // (height, width)
  Padding padding = Padding::kValid;
  Shape sizes;
  std::string to_string() const override;
};
/// The window of a convolution of `input` (N, H, W, C) by `filter` (KH, KW, C, O).
Window2D conv2d_window(const Shape& input, const Shape& filter, const Conv2DAttrs& attrs);

// The ops themselves (one dispatch each), for the gradient rules.
Tensor conv2d(const Tensor& input, const Tensor& filter, const Conv2DAttrs& attrs);
Tensor conv2d_backprop_input(const Shape& input_sizes, const Tensor& filter, const Tensor& out_backprop,
                             Conv2DAttrs attrs);
Tensor conv2d_backprop_filter(const Tensor& input, const Shape& filter_sizes, const Tensor& out_backprop,
                              Conv2DAttrs attrs);

void register_conv_ops();
}  // namespace tapeflow::ops
