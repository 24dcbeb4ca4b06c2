// tf.nn's layer ops: argument checks with TF's messages, window geometry and output specs.
// batch_normalization and moments are compositions of public ops, as in TF.
#include "tapeflow/core/ops/nn_conv.h"

#include <algorithm>
#include <tuple>

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/math.h"

namespace tapeflow {
namespace ops {
OpDef Conv2D{.name = "Conv2D"}, Conv2DBackpropInput{.name = "Conv2DBackpropInput"},
    Conv2DBackpropFilter{.name = "Conv2DBackpropFilter"}, MaxPool{.name = "MaxPool"},
    MaxPoolGrad{.name = "MaxPoolGrad"}, MaxPoolGradGrad{.name = "MaxPoolGradGrad"}, AvgPool{.name = "AvgPool"},
    AvgPoolGrad{.name = "AvgPoolGrad"}, BiasAdd{.name = "BiasAdd"}, BiasAddGrad{.name = "BiasAddGrad"},
    FusedBatchNormV3{.name = "FusedBatchNormV3"}, FusedBatchNormGradV3{.name = "FusedBatchNormGradV3"};

void register_nn_conv_ops() {
  for (OpDef* op : {&Conv2D, &Conv2DBackpropInput, &Conv2DBackpropFilter, &MaxPool, &MaxPoolGrad, &MaxPoolGradGrad,
                    &AvgPool, &AvgPoolGrad, &BiasAdd, &BiasAddGrad, &FusedBatchNormV3, &FusedBatchNormGradV3})
    register_op(*op);
}

namespace {
const char* padding_name(Padding p) { return p == Padding::kSame ? "SAME" : "VALID"; }
}  // namespace

std::string Conv2DAttrs::to_string() const {
  return detail::str_cat("strides=[", strides[0], ", ", strides[1], "], padding=", padding_name(padding),
                         ", dilations=[", dilations[0], ", ", dilations[1], "]");
}
std::string PoolAttrs::to_string() const {
  return detail::str_cat("ksize=[", ksize[0], ", ", ksize[1], "], strides=[", strides[0], ", ", strides[1],
                         "], padding=", padding_name(padding));
}
std::string FusedBatchNormAttrs::to_string() const {
  return detail::str_cat("epsilon=", epsilon, ", exponential_avg_factor=", exponential_avg_factor,
                         ", is_training=", is_training ? "true" : "false");
}
}  // namespace ops

namespace {
using ops::Padding;

/// TF's spelling of a shape in kernel messages: "[2,3]".
std::string tf_shape(const Shape& s) {
  std::string out = "[";
  for (int i = 0; i < s.rank(); ++i) {
    if (i) out += ',';
    out += std::to_string(s[i]);  // appended, not `"," + str` (GCC 12's false -Wrestrict there)
  }
  return out + "]";
}

/// TF's GetWindowedOutputSize along one spatial dimension: (output size, padding before).
std::pair<int64_t, int64_t> window_dim(int64_t in, int64_t k, int64_t stride, int64_t dilation, Padding padding) {
  const int64_t effective = (k - 1) * dilation + 1;
  int64_t out = 0, pad_before = 0;
  if (padding == Padding::kValid) {
    out = (in - effective + stride) / stride;
    TF_CHECK_ARG(out >= 0, "", "Computed output size would be negative: ", out, " [input_size: ", in,
                 ", effective_filter_size: ", effective, ", stride: ", stride, "]");
  } else {
    out = (in + stride - 1) / stride;
    pad_before = std::max<int64_t>(0, (out - 1) * stride + effective - in) / 2;
  }
  return {out, pad_before};
}

/// (height, width) of a strides/ksize/dilations argument, checked as TF checks it.
std::pair<int64_t, int64_t> spatial(const char* op, const char* what, const nn::WindowArg& arg) {
  const auto& v = arg.values();
  TF_CHECK_ARG(v.size() == 1 || v.size() == 2 || v.size() == 4, op, what, " should be of length 1, 2 or 4 but was ",
               v.size());
  if (v.size() == 4)
    TF_CHECK_ARG(v[0] == 1 && v[3] == 1, op, "Current implementation does not yet support ", what,
                 " in the batch and depth dimensions (", what, " = [", v[0], ", ", v[1], ", ", v[2], ", ", v[3], "])");
  const std::pair<int64_t, int64_t> hw = v.size() == 1 ? std::pair{v[0], v[0]}
                                         : v.size() == 2 ? std::pair{v[0], v[1]}
                                                         : std::pair{v[1], v[2]};
  TF_CHECK_ARG(hw.first > 0 && hw.second > 0, op, "Sliding window ", what, " must be positive, got [", hw.first, ", ",
               hw.second, "]");
  return hw;
}

Padding parse_padding(const char* op, const std::string& padding) {
  if (padding == "SAME") return Padding::kSame;
  TF_CHECK_ARG(padding == "VALID", op, "Value for attr 'padding' of \"", padding,
               "\" is not in the list of allowed values: \"SAME\", \"VALID\"");
  return Padding::kValid;
}

ops::Conv2DAttrs conv_attrs(const char* op, const nn::WindowArg& strides, const std::string& padding,
                            const nn::WindowArg& dilations) {
  ops::Conv2DAttrs a;
  std::tie(a.strides[0], a.strides[1]) = spatial(op, "strides", strides);
  std::tie(a.dilations[0], a.dilations[1]) = spatial(op, "dilations", dilations);
  a.padding = parse_padding(op, padding);
  return a;
}

ops::PoolAttrs pool_attrs(const char* op, const nn::WindowArg& ksize, const nn::WindowArg& strides,
                          const std::string& padding) {
  ops::PoolAttrs a;
  std::tie(a.ksize[0], a.ksize[1]) = spatial(op, "ksize", ksize);
  std::tie(a.strides[0], a.strides[1]) = spatial(op, "strides", strides);
  a.padding = parse_padding(op, padding);
  return a;
}

void check_floating(const char* op, const char* what, DType dt) {
  TF_CHECK_ARG(is_floating(dt), op, what, " must be floating (float16, bfloat16, float32, float64), got ",
               dtype_name(dt), ": use tf::cast");
}
void check_same_dtype(const char* op, const char* what, const Tensor& t, DType want) {
  TF_CHECK_ARG(t.dtype() == want, op, what, " must be ", dtype_name(want), " like the input, got ",
               dtype_name(t.dtype()));
}
void check_rank4(const char* op, const char* what, const Shape& s) {
  TF_CHECK_ARG(s.rank() == 4, op, what, " must be 4-dimensional (N, H, W, C): ", tf_shape(s));
}

/// Checks that a backprop op's out_backprop has the forward's output shape.
void check_out_backprop(const char* op, const ops::Window2D& w, const Tensor& out_backprop) {
  check_rank4(op, "out_backprop", out_backprop.shape());
  const Shape want{w.batch, w.out_h, w.out_w, w.out_channels};
  TF_CHECK_ARG(out_backprop.shape() == want, op, "out_backprop has shape ", tf_shape(out_backprop.shape()),
               " but the convolution's output is ", tf_shape(want));
}
}  // namespace

namespace ops {
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
/// The window of a conv op, with window_dim's error named after `op`.
Window2D checked_conv_window(const char* op, const Shape& input, const Shape& filter, const Conv2DAttrs& attrs) {
  check_rank4(op, "input", input);
  TF_CHECK_ARG(filter.rank() == 4, op, "filter must be 4-dimensional (KH, KW, C, O): ", tf_shape(filter));
  TF_CHECK_ARG(filter[2] > 0 && input[3] % filter[2] == 0, op,
               "input depth must be evenly divisible by filter depth: ", input[3], " vs ", filter[2]);
  TF_CHECK_TYPED(input[3] == filter[2], UnimplementedError, op, "grouped convolution (input depth ", input[3],
                 ", filter depth ", filter[2], ") is not supported");
  try {
    return conv2d_window(input, filter, attrs);
  } catch (const errors::InvalidArgumentError& e) {
    throw errors::InvalidArgumentError(e.message(), op);
  }
}
Window2D checked_pool_window(const char* op, const Shape& input, const PoolAttrs& attrs) {
  check_rank4(op, "input", input);
  try {
    return pool_window(input, attrs);
  } catch (const errors::InvalidArgumentError& e) {
    throw errors::InvalidArgumentError(e.message(), op);
  }
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

Tensor max_pool(const Tensor& input, const PoolAttrs& attrs) {
  check_floating(MaxPool.name, "input", input.dtype());
  const Window2D w = checked_pool_window(MaxPool.name, input.shape(), attrs);
  return dispatch1(MaxPool, std::span<const Tensor>(&input, 1), &attrs,
                   {Shape{w.batch, w.out_h, w.out_w, w.channels}, input.dtype()});
}

namespace {
/// Checks MaxPoolGrad/MaxPoolGradGrad operands: orig_output is MaxPool(orig_input) and grad
/// has the shape of `grad_like`.
void check_max_pool_grad(const char* op, const Tensor& orig_input, const Tensor& orig_output, const Tensor& grad,
                         const Tensor& grad_like, const PoolAttrs& attrs) {
  check_floating(op, "orig_input", orig_input.dtype());
  check_same_dtype(op, "orig_output", orig_output, orig_input.dtype());
  check_same_dtype(op, "grad", grad, orig_input.dtype());
  const Window2D w = checked_pool_window(op, orig_input.shape(), attrs);
  TF_CHECK_ARG(orig_output.shape() == Shape({w.batch, w.out_h, w.out_w, w.channels}), op, "orig_output shape ",
               tf_shape(orig_output.shape()), " is not the pooled shape of orig_input ", tf_shape(orig_input.shape()));
  TF_CHECK_ARG(grad.shape() == grad_like.shape(), op, "grad shape ", tf_shape(grad.shape()), " must be ",
               tf_shape(grad_like.shape()));
}
}  // namespace

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
               tf_shape(grad.shape()), " is not the pooled shape of orig_input_shape ", tf_shape(orig_input_shape));
  attrs.sizes = orig_input_shape;
  return dispatch1(AvgPoolGrad, std::span<const Tensor>(&grad, 1), &attrs, {orig_input_shape, grad.dtype()});
}

Tensor bias_add_grad(const Tensor& out_backprop) {
  const char* op = BiasAddGrad.name;
  TF_CHECK_ARG(is_numeric(out_backprop.dtype()), op, "out_backprop must be numeric, got ",
               dtype_name(out_backprop.dtype()));
  TF_CHECK_ARG(out_backprop.ndim() >= 2, op, "Input tensor must be at least 2D: ", tf_shape(out_backprop.shape()));
  return dispatch1(BiasAddGrad, std::span<const Tensor>(&out_backprop, 1), nullptr,
                   {Shape{out_backprop.shape().dim(-1)}, out_backprop.dtype()});
}

TensorList fused_batch_norm_grad(const Tensor& y_backprop, const Tensor& x, const Tensor& scale,
                                 const Tensor& reserve_space_1, const Tensor& reserve_space_2,
                                 const Tensor& reserve_space_3, const FusedBatchNormAttrs& attrs) {
  const char* op = FusedBatchNormGradV3.name;
  check_floating(op, "x", x.dtype());
  check_same_dtype(op, "y_backprop", y_backprop, x.dtype());
  TF_CHECK_ARG(y_backprop.shape() == x.shape(), op, "x and y_backprop must have same shape, but x has shape ",
               tf_shape(x.shape()), " and y_backprop has shape ", tf_shape(y_backprop.shape()));
  const DType u = x.dtype() == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32;
  const Shape c{x.shape().dim(-1)};
  for (const Tensor* t : {&scale, &reserve_space_1, &reserve_space_2}) {
    TF_CHECK_ARG(t->dtype() == u && t->shape() == c, op, "scale and saved statistics must be ", dtype_name(u), " ",
                 tf_shape(c), ", got ", dtype_name(t->dtype()), " ", tf_shape(t->shape()));
  }
  const Tensor in[6] = {y_backprop, x, scale, reserve_space_1, reserve_space_2, reserve_space_3};
  const OutputSpec specs[3] = {{x.shape(), x.dtype()}, {c, u}, {c, u}};
  return dispatch(FusedBatchNormGradV3, in, &attrs, specs);
}
}  // namespace ops

namespace nn {
Tensor conv2d(const Tensor& input, const Tensor& filters, const WindowArg& strides, const std::string& padding,
              const WindowArg& dilations) {
  return ops::conv2d(input, filters, conv_attrs(ops::Conv2D.name, strides, padding, dilations));
}

Tensor conv2d_backprop_input(const Shape& input_sizes, const Tensor& filters, const Tensor& out_backprop,
                             const WindowArg& strides, const std::string& padding, const WindowArg& dilations) {
  const char* op = ops::Conv2DBackpropInput.name;
  return ops::conv2d_backprop_input(input_sizes, filters, out_backprop, conv_attrs(op, strides, padding, dilations));
}

Tensor conv2d_backprop_filter(const Tensor& input, const Shape& filter_sizes, const Tensor& out_backprop,
                              const WindowArg& strides, const std::string& padding, const WindowArg& dilations) {
  const char* op = ops::Conv2DBackpropFilter.name;
  return ops::conv2d_backprop_filter(input, filter_sizes, out_backprop, conv_attrs(op, strides, padding, dilations));
}

Tensor conv2d_transpose(const Tensor& input, const Tensor& filters, const Shape& output_shape,
                        const WindowArg& strides, const std::string& padding, const WindowArg& dilations) {
  return conv2d_backprop_input(output_shape, filters, input, strides, padding, dilations);
}

Tensor max_pool2d(const Tensor& input, const WindowArg& ksize, const WindowArg& strides, const std::string& padding) {
  return ops::max_pool(input, pool_attrs(ops::MaxPool.name, ksize, strides, padding));
}

Tensor avg_pool2d(const Tensor& input, const WindowArg& ksize, const WindowArg& strides, const std::string& padding) {
  return ops::avg_pool(input, pool_attrs(ops::AvgPool.name, ksize, strides, padding));
}

Tensor bias_add(const Tensor& value, const Tensor& bias) {
  const char* op = ops::BiasAdd.name;
  TF_CHECK_ARG(is_numeric(value.dtype()), op, "value must be numeric, got ", dtype_name(value.dtype()));
  check_same_dtype(op, "bias", bias, value.dtype());
  TF_CHECK_ARG(value.ndim() >= 2, op, "Input tensor must be at least 2D: ", tf_shape(value.shape()));
  TF_CHECK_ARG(bias.ndim() == 1, op, "Biases must be 1D: ", tf_shape(bias.shape()));
  TF_CHECK_ARG(bias.shape()[0] == value.shape().dim(-1), op,
               "Must provide as many biases as the last dimension of the input tensor: ", tf_shape(bias.shape()),
               " vs. ", tf_shape(value.shape()));
  const Tensor in[2] = {value, bias};
  return dispatch1(ops::BiasAdd, in, nullptr, {value.shape(), value.dtype()});
}

std::pair<Tensor, Tensor> moments(const Tensor& x, const Axes& axes, bool keepdims) {
  check_floating("moments", "x", x.dtype());
  // Halves are reduced in float32 (TF does so for float16).
  const bool half = x.dtype() == DType::kFloat16 || x.dtype() == DType::kBFloat16;
  const Tensor y = half ? cast(x, DType::kFloat32) : x;
  Tensor mean = reduce_mean(y, axes, /*keepdims=*/true);
  // TF stops the gradient through `mean` here; d(variance)/d(mean) is zero, so the gradient is
  // the same without it (core cannot reach autograd's stop_gradient).
  Tensor variance = reduce_mean(squared_difference(y, mean), axes, /*keepdims=*/true);
  if (!keepdims) {
    const Shape reduced = ops::reduced_shape(x.shape(), ops::normalize_axes("moments", axes, x.ndim()), false);
    mean = reshape(mean, reduced);
    variance = reshape(variance, reduced);
  }
  if (half) return {cast(mean, x.dtype()), cast(variance, x.dtype())};
  return {mean, variance};
}

Tensor batch_normalization(const Tensor& x, const Tensor& mean, const Tensor& variance,
                           const std::optional<Tensor>& offset, const std::optional<Tensor>& scale,
                           double variance_epsilon) {
  // TF's formula: x * inv + (offset - mean * inv), inv = rsqrt(variance + epsilon) * scale.
  Tensor inv = rsqrt(variance + variance_epsilon);
  if (scale) inv = inv * *scale;
  Tensor shift = offset ? *offset - mean * inv : -(mean * inv);
  if (inv.dtype() != x.dtype()) {
    inv = cast(inv, x.dtype());
    shift = cast(shift, x.dtype());
  }
  return x * inv + shift;
}

FusedBatchNormOutputs fused_batch_norm(const Tensor& x, const Tensor& scale, const Tensor& offset,
                                       const FusedBatchNormOptions& options) {
  const char* op = ops::FusedBatchNormV3.name;
  check_floating(op, "x", x.dtype());
  TF_CHECK_ARG(x.ndim() >= 2, op, "input must be at least 2-dimensional (..., C): ", tf_shape(x.shape()));
  const int64_t channels = x.shape().dim(-1);
  const DType u = x.dtype() == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32;
  auto check_vector = [&](const char* what, const Tensor& t) {
    TF_CHECK_ARG(t.dtype() == u, op, what, " must be ", dtype_name(u), " for ", dtype_name(x.dtype()), " x, got ",
                 dtype_name(t.dtype()));
    TF_CHECK_ARG(t.ndim() == 1, op, what, " must be 1-dimensional: ", tf_shape(t.shape()));
    TF_CHECK_ARG(t.shape()[0] == channels, op, what, " must have the same number of elements as the channels of x, got ",
                 t.shape()[0], " and ", channels);
  };
  check_vector("scale", scale);
  check_vector("offset", offset);
  const bool needs_stats = !options.is_training || options.exponential_avg_factor != 1.0;
  TF_CHECK_ARG(!needs_stats || (options.mean && options.variance), op,
               "mean and variance are required for inference and for exponential_avg_factor != 1");
  const Tensor empty = Tensor::empty(Shape{0}, u, x.device());
  Tensor mean = empty, variance = empty;
  if (needs_stats) {
    check_vector("mean", *options.mean);
    check_vector("variance", *options.variance);
    mean = *options.mean;
    variance = *options.variance;
  }
  ops::FusedBatchNormAttrs attrs;
  attrs.epsilon = options.epsilon;
  attrs.exponential_avg_factor = options.exponential_avg_factor;
  attrs.is_training = options.is_training;
  const Tensor in[5] = {x, scale, offset, mean, variance};
  const Shape c{channels};
  const OutputSpec specs[6] = {{x.shape(), x.dtype()}, {c, u}, {c, u}, {c, u}, {c, u}, {Shape{0}, u}};
  TensorList out = dispatch(ops::FusedBatchNormV3, in, &attrs, specs);
  return {out[0], out[1], out[2]};
}
}  // namespace nn

}  // namespace tapeflow
