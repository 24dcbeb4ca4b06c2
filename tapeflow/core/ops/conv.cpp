// tf.nn.conv2d and its backprop ops: argument checks with TF's messages and output specs.
#include "tapeflow/core/ops/conv.h"

#include <tuple>

namespace tapeflow {
namespace ops {
OpDef Conv2D{.name = "Conv2D"}, Conv2DBackpropInput{.name = "Conv2DBackpropInput"},
    Conv2DBackpropFilter{.name = "Conv2DBackpropFilter"};

void register_conv_ops() {
  for (OpDef* op : {&Conv2D, &Conv2DBackpropInput, &Conv2DBackpropFilter}) register_op(*op);
}

std::string Conv2DAttrs::to_string() const {
  return detail::str_cat("strides=[", strides[0], ", ", strides[1], "], padding=", padding_name(padding),
                         ", dilations=[", dilations[0], ", ", dilations[1], "]");
}

Window2D conv2d_window(const Shape& input, const Shape& filter, const Conv2DAttrs& attrs) {
  Window2D w;
  w.batch = input[0];
  w.in_h = input[1];
  w.in_w = input[2];
  w.channels = input[3];
  w.k_h = filter[0];
  w.k_w = filter[1];
  w.out_channels = filter[3];
  w.stride_h = attrs.strides[0];
  w.stride_w = attrs.strides[1];
  w.dilation_h = attrs.dilations[0];
  w.dilation_w = attrs.dilations[1];
  std::tie(w.out_h, w.pad_top) = window_dim(w.in_h, w.k_h, w.stride_h, w.dilation_h, attrs.padding);
  std::tie(w.out_w, w.pad_left) = window_dim(w.in_w, w.k_w, w.stride_w, w.dilation_w, attrs.padding);
  return w;
}

namespace {
ops::Conv2DAttrs conv_attrs(const char* op, const nn::WindowArg& strides, const std::string& padding,
                            const nn::WindowArg& dilations) {
  ops::Conv2DAttrs a;
  std::tie(a.strides[0], a.strides[1]) = spatial_arg(op, "strides", strides);
  std::tie(a.dilations[0], a.dilations[1]) = spatial_arg(op, "dilations", dilations);
  a.padding = parse_padding(op, padding);
  return a;
}

/// The window of a conv op, with window_dim's error named after `op`.
Window2D checked_conv_window(const char* op, const Shape& input, const Shape& filter, const Conv2DAttrs& attrs) {
  check_rank4(op, "input", input);
  TF_CHECK_ARG(filter.rank() == 4, op, "filter must be 4-dimensional (KH, KW, C, O): ", filter.debug_string());
  TF_CHECK_ARG(filter[2] > 0 && input[3] % filter[2] == 0, op,
               "input depth must be evenly divisible by filter depth: ", input[3], " vs ", filter[2]);
  TF_CHECK_TYPED(input[3] == filter[2], UnimplementedError, op, "grouped convolution (input depth ", input[3],
                 ", filter depth ", filter[2], ") is not supported");
  return named_window(op, [&] { return conv2d_window(input, filter, attrs); });
}
}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& filter, const Conv2DAttrs& attrs) {
  const char* op = Conv2D.name;
  check_floating(op, "input", input.dtype());
  check_same_dtype(op, "filter", filter, input.dtype());
  const Window2D w = checked_conv_window(op, input.shape(), filter.shape(), attrs);
  const Tensor in[2] = {input, filter};
  return dispatch1(Conv2D, in, &attrs, {Shape{w.batch, w.out_h, w.out_w, w.out_channels}, input.dtype()});
}

Tensor conv2d_backprop_input(const Shape& input_sizes, const Tensor& filter, const Tensor& out_backprop,
                             Conv2DAttrs attrs) {
  const char* op = Conv2DBackpropInput.name;
  check_floating(op, "filter", filter.dtype());
  check_same_dtype(op, "out_backprop", out_backprop, filter.dtype());
  const Window2D w = checked_conv_window(op, input_sizes, filter.shape(), attrs);
  check_out_backprop(op, w, out_backprop);
  attrs.sizes = input_sizes;
  const Tensor in[2] = {filter, out_backprop};
  return dispatch1(Conv2DBackpropInput, in, &attrs, {input_sizes, filter.dtype()});
}

Tensor conv2d_backprop_filter(const Tensor& input, const Shape& filter_sizes, const Tensor& out_backprop,
                              Conv2DAttrs attrs) {
  const char* op = Conv2DBackpropFilter.name;
  check_floating(op, "input", input.dtype());
  check_same_dtype(op, "out_backprop", out_backprop, input.dtype());
  const Window2D w = checked_conv_window(op, input.shape(), filter_sizes, attrs);
  check_out_backprop(op, w, out_backprop);
  attrs.sizes = filter_sizes;
  const Tensor in[2] = {input, out_backprop};
  return dispatch1(Conv2DBackpropFilter, in, &attrs, {filter_sizes, input.dtype()});
}
}  // namespace ops

namespace nn {
Tensor conv2d(const Tensor& input, const Tensor& filters, const WindowArg& strides, const std::string& padding,
              const WindowArg& dilations) {
  return ops::conv2d(input, filters, ops::conv_attrs(ops::Conv2D.name, strides, padding, dilations));
}

Tensor conv2d_backprop_input(const Shape& input_sizes, const Tensor& filters, const Tensor& out_backprop,
                             const WindowArg& strides, const std::string& padding, const WindowArg& dilations) {
  const char* op = ops::Conv2DBackpropInput.name;
  return ops::conv2d_backprop_input(input_sizes, filters, out_backprop,
                                    ops::conv_attrs(op, strides, padding, dilations));
}

Tensor conv2d_backprop_filter(const Tensor& input, const Shape& filter_sizes, const Tensor& out_backprop,
                              const WindowArg& strides, const std::string& padding, const WindowArg& dilations) {
  const char* op = ops::Conv2DBackpropFilter.name;
  return ops::conv2d_backprop_filter(input, filter_sizes, out_backprop,
                                     ops::conv_attrs(op, strides, padding, dilations));
}

Tensor conv2d_transpose(const Tensor& input, const Tensor& filters, const Shape& output_shape, const WindowArg& strides,
                        const std::string& padding, const WindowArg& dilations) {
  return conv2d_backprop_input(output_shape, filters, input, strides, padding, dilations);
}
}  // namespace nn

}  // namespace tapeflow
