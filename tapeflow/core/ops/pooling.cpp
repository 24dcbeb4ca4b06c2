// tf.nn's pooling ops: argument checks with TF's messages, window geometry and output specs.
#include "tapeflow/core/ops/pooling.h"

#include <tuple>

#include "tapeflow/core/dim_unify.h"

namespace tapeflow {
namespace ops {
OpDef MaxPool{.name = "MaxPool"}, MaxPoolGrad{.name = "MaxPoolGrad"}, MaxPoolGradGrad{.name = "MaxPoolGradGrad"},
    AvgPool{.name = "AvgPool"}, AvgPoolGrad{.name = "AvgPoolGrad"};

void register_pooling_ops() {
  for (OpDef* op : {&MaxPool, &MaxPoolGrad, &MaxPoolGradGrad, &AvgPool, &AvgPoolGrad}) register_op(*op);
}

std::string PoolAttrs::to_string() const {
  return detail::str_cat("ksize=[", ksize[0], ", ", ksize[1], "], strides=[", strides[0], ", ", strides[1],
                         "], padding=", padding_name(padding));
}

Window2D pool_window(const Shape& input, const PoolAttrs& attrs) {
  Window2D w;
  w.batch = input[0];
  w.in_h = input[1];
  w.in_w = input[2];
  w.channels = w.out_channels = input[3];
  w.k_h = attrs.ksize[0];
  w.k_w = attrs.ksize[1];
  w.stride_h = attrs.strides[0];
  w.stride_w = attrs.strides[1];
  std::tie(w.out_h, w.pad_top) = window_dim(w.in_h, w.k_h, w.stride_h, 1, attrs.padding);
  std::tie(w.out_w, w.pad_left) = window_dim(w.in_w, w.k_w, w.stride_w, 1, attrs.padding);
  return w;
}

namespace {
ops::PoolAttrs pool_attrs(const char* op, const nn::WindowArg& ksize, const nn::WindowArg& strides,
                          const std::string& padding) {
  ops::PoolAttrs a;
  std::tie(a.ksize[0], a.ksize[1]) = spatial_arg(op, "ksize", ksize);
  std::tie(a.strides[0], a.strides[1]) = spatial_arg(op, "strides", strides);
  a.padding = parse_padding(op, padding);
  return a;
}

Window2D checked_pool_window(const char* op, const Shape& input, const PoolAttrs& attrs) {
  check_rank4(op, "input", input);
  return named_window(op, [&] { return pool_window(input, attrs); });
}

/// Checks MaxPoolGrad/MaxPoolGradGrad operands: orig_output is MaxPool(orig_input) and grad
/// has the shape of `grad_like`.
void check_max_pool_grad(const char* op, const Tensor& orig_input, const Tensor& orig_output, const Tensor& grad,
                         const Tensor& grad_like, const PoolAttrs& attrs) {
  check_floating(op, "orig_input", orig_input.dtype());
  check_same_dtype(op, "orig_output", orig_output, orig_input.dtype());
  check_same_dtype(op, "grad", grad, orig_input.dtype());
  const Window2D w = checked_pool_window(op, orig_input.shape(), attrs);
  TF_CHECK_ARG(orig_output.shape() == Shape({w.batch, w.out_h, w.out_w, w.channels}), op, "orig_output shape ",
               orig_output.shape().debug_string(), " is not the pooled shape of orig_input ",
               orig_input.shape().debug_string());
  TF_CHECK_ARG(shapes_match(grad.shape(), grad_like.shape()), op, "grad shape ", grad.shape().debug_string(),
               " must be ", grad_like.shape().debug_string());
}
}  // namespace

Tensor max_pool(const Tensor& input, const PoolAttrs& attrs) {
  check_floating(MaxPool.name, "input", input.dtype());
  const Window2D w = checked_pool_window(MaxPool.name, input.shape(), attrs);
  return dispatch1(MaxPool, std::span<const Tensor>(&input, 1), &attrs,
                   {Shape{w.batch, w.out_h, w.out_w, w.channels}, input.dtype()});
}

Tensor max_pool_grad(const Tensor& orig_input, const Tensor& orig_output, const Tensor& grad, const PoolAttrs& attrs) {
  check_max_pool_grad(MaxPoolGrad.name, orig_input, orig_output, grad, orig_output, attrs);
  const Tensor in[3] = {orig_input, orig_output, grad};
  return dispatch1(MaxPoolGrad, in, &attrs, {orig_input.shape(), orig_input.dtype()});
}

Tensor max_pool_grad_grad(const Tensor& orig_input, const Tensor& orig_output, const Tensor& grad,
                          const PoolAttrs& attrs) {
  check_max_pool_grad(MaxPoolGradGrad.name, orig_input, orig_output, grad, orig_input, attrs);
  const Tensor in[3] = {orig_input, orig_output, grad};
  return dispatch1(MaxPoolGradGrad, in, &attrs, {orig_output.shape(), orig_input.dtype()});
}

Tensor avg_pool(const Tensor& input, const PoolAttrs& attrs) {
  check_floating(AvgPool.name, "input", input.dtype());
  const Window2D w = checked_pool_window(AvgPool.name, input.shape(), attrs);
  return dispatch1(AvgPool, std::span<const Tensor>(&input, 1), &attrs,
                   {Shape{w.batch, w.out_h, w.out_w, w.channels}, input.dtype()});
}

Tensor avg_pool_grad(const Shape& orig_input_shape, const Tensor& grad, PoolAttrs attrs) {
  const char* op = AvgPoolGrad.name;
  check_floating(op, "grad", grad.dtype());
  const Window2D w = checked_pool_window(op, orig_input_shape, attrs);
  TF_CHECK_ARG(grad.shape() == Shape({w.batch, w.out_h, w.out_w, w.channels}), op, "grad shape ",
               grad.shape().debug_string(), " is not the pooled shape of orig_input_shape ",
               orig_input_shape.debug_string());
  attrs.sizes = orig_input_shape;
  return dispatch1(AvgPoolGrad, std::span<const Tensor>(&grad, 1), &attrs, {orig_input_shape, grad.dtype()});
}
}  // namespace ops

namespace nn {
Tensor max_pool2d(const Tensor& input, const WindowArg& ksize, const WindowArg& strides, const std::string& padding) {
  return ops::max_pool(input, ops::pool_attrs(ops::MaxPool.name, ksize, strides, padding));
}

Tensor avg_pool2d(const Tensor& input, const WindowArg& ksize, const WindowArg& strides, const std::string& padding) {
  return ops::avg_pool(input, ops::pool_attrs(ops::AvgPool.name, ksize, strides, padding));
}
}  // namespace nn

}  // namespace tapeflow
