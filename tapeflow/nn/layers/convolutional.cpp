#include "tapeflow/nn/layers/convolutional.h"

#include <algorithm>
#include <cctype>

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/bias_add.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/conv.h"

namespace tapeflow::keras::layers {

namespace detail {
std::string standardize_padding(const std::string& padding, const std::string& layer) {
  std::string p = padding;
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  TF_CHECK_ARG(p == "valid" || p == "same", layer,
               "The `padding` argument must be one of \"valid\", \"same\". Received: padding=", padding);
  return p;
}

void check_positive(const IntPair& v, const char* what, const std::string& layer) {
  TF_CHECK_ARG(v.h > 0 && v.w > 0, layer, "The `", what,
               "` argument must be a tuple of 2 positive integers. Received: ", what, "=", v.to_string());
}
}  // namespace detail

Conv2D::Conv2D(int64_t filters, IntPair kernel_size, Conv2DOptions options)
    : Layer("conv2d", {.name = options.name, .trainable = options.trainable}),
      filters_(filters),
      kernel_size_(kernel_size),
      options_(std::move(options)) {
  TF_CHECK_ARG(filters > 0, "Conv2D",
               "Invalid value for argument `filters`. Expected a strictly positive value. Received filters=", filters);
  detail::check_positive(kernel_size_, "kernel_size", "Conv2D");
  detail::check_positive(options_.strides, "strides", "Conv2D");
  detail::check_positive(options_.dilation_rate, "dilation_rate", "Conv2D");
  const IntPair& s = options_.strides;
  const IntPair& d = options_.dilation_rate;
  TF_CHECK_ARG(std::max(s.h, s.w) == 1 || std::max(d.h, d.w) == 1, "Conv2D",
               "`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: strides=", s.to_string(),
               " and dilation_rate=", d.to_string());
  options_.padding = detail::standardize_padding(options_.padding, "Conv2D");
}

void Conv2D::build(const Shape& input_shape) {
  if (input_shape.rank() != 4)
    TF_THROW(InvalidArgumentError, "", "Input 0 of layer \"", name(),
             "\" is incompatible with the layer: expected ndim=4, found ndim=", input_shape.rank(),
             ". Full shape received: ", input_shape.to_string());
  const int64_t in = input_shape.dim(-1);
  add_weight("kernel", {kernel_size_.h, kernel_size_.w, in, filters_},
             {.initializer = options_.kernel_initializer,
              .regularizer = options_.kernel_regularizer,
              .dtype = options_.dtype});
  if (options_.use_bias)
    add_weight(
        "bias", {filters_},
        {.initializer = options_.bias_initializer, .regularizer = options_.bias_regularizer, .dtype = options_.dtype});
}

Tensor Conv2D::call(const Tensor& inputs) {
  check_input_rank(inputs, 4);
  const Variable k = kernel();
  check_input_last_dim(inputs, k.shape()[2]);
  const Tensor x = inputs.dtype() == k.dtype() ? inputs : cast(inputs, k.dtype());
  const auto [sh, sw] = std::pair(int(options_.strides.h), int(options_.strides.w));
  const auto [dh, dw] = std::pair(int(options_.dilation_rate.h), int(options_.dilation_rate.w));
  Tensor y = nn::conv2d(x, k, {sh, sw}, options_.padding == "same" ? "SAME" : "VALID", {dh, dw});
  if (options_.use_bias) y = nn::bias_add(y, bias());
  return options_.activation(y);
}

namespace {
void check_filters(int64_t filters, const char* layer) {
  TF_CHECK_ARG(filters > 0, layer,
               "Invalid value for argument `filters`. Expected a strictly positive value. Received filters=", filters);
}
void check_rank(const Layer& layer, const Shape& input_shape, int ndim) {
  if (input_shape.rank() != ndim)
    TF_THROW(InvalidArgumentError, "", "Input 0 of layer \"", layer.name(),
             "\" is incompatible with the layer: expected ndim=", ndim, ", found ndim=", input_shape.rank(),
             ". Full shape received: ", input_shape.to_string());
}
}  // namespace

Conv1D::Conv1D(int64_t filters, int64_t kernel_size, Conv1DOptions options)
    : Layer("conv1d", {.name = options.name, .trainable = options.trainable}),
      filters_(filters),
      kernel_size_(kernel_size),
      options_(std::move(options)) {
  check_filters(filters, "Conv1D");
  TF_CHECK_ARG(kernel_size > 0, "Conv1D",
               "The `kernel_size` argument must be a positive integer. Received: kernel_size=", kernel_size);
  TF_CHECK_ARG(options_.strides > 0, "Conv1D",
               "The `strides` argument must be a positive integer. Received: strides=", options_.strides);
  TF_CHECK_ARG(
      options_.dilation_rate > 0, "Conv1D",
      "The `dilation_rate` argument must be a positive integer. Received: dilation_rate=", options_.dilation_rate);
  TF_CHECK_ARG(options_.strides == 1 || options_.dilation_rate == 1, "Conv1D",
               "`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: strides=",
               options_.strides, " and dilation_rate=", options_.dilation_rate);
  std::string p = options_.padding;
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  options_.padding = p == "causal" ? p : detail::standardize_padding(options_.padding, "Conv1D");
}

void Conv1D::build(const Shape& input_shape) {
  check_rank(*this, input_shape, 3);
  add_weight("kernel", {kernel_size_, input_shape.dim(-1), filters_},
             {.initializer = options_.kernel_initializer,
              .regularizer = options_.kernel_regularizer,
              .dtype = options_.dtype});
  if (options_.use_bias)
    add_weight(
        "bias", {filters_},
        {.initializer = options_.bias_initializer, .regularizer = options_.bias_regularizer, .dtype = options_.dtype});
}

Tensor Conv1D::call(const Tensor& inputs) {
  check_input_rank(inputs, 3);
  const Variable k = kernel();
  check_input_last_dim(inputs, k.shape()[1]);
  Tensor x = inputs.dtype() == k.dtype() ? inputs : cast(inputs, k.dtype());
  std::string padding = options_.padding == "same" ? "SAME" : "VALID";
  if (options_.padding == "causal") x = pad(x, {{0, 0}, {options_.dilation_rate * (kernel_size_ - 1), 0}, {0, 0}});
  // (B, T, C) as (B, 1, T, C) images and the kernel as (1, K, C, filters).
  Tensor y = nn::conv2d(expand_dims(x, 1), expand_dims(k, 0), {1, int(options_.strides)}, padding,
                        {1, int(options_.dilation_rate)});
  y = squeeze(y, {1});
  if (options_.use_bias) y = nn::bias_add(y, bias());
  return options_.activation(y);
}

Conv2DTranspose::Conv2DTranspose(int64_t filters, IntPair kernel_size, Conv2DTransposeOptions options)
    : Layer("conv2d_transpose", {.name = options.name, .trainable = options.trainable}),
      filters_(filters),
      kernel_size_(kernel_size),
      options_(std::move(options)) {
  check_filters(filters, "Conv2DTranspose");
  detail::check_positive(kernel_size_, "kernel_size", "Conv2DTranspose");
  detail::check_positive(options_.strides, "strides", "Conv2DTranspose");
  detail::check_positive(options_.dilation_rate, "dilation_rate", "Conv2DTranspose");
  options_.padding = detail::standardize_padding(options_.padding, "Conv2DTranspose");
  if (const auto& p = options_.output_padding) {
    TF_CHECK_ARG(p->h >= 0 && p->w >= 0 && p->h < options_.strides.h && p->w < options_.strides.w, "Conv2DTranspose",
                 "Strides ", options_.strides.to_string(), " must be greater than output padding ", p->to_string());
  }
}

void Conv2DTranspose::build(const Shape& input_shape) {
  check_rank(*this, input_shape, 4);
  add_weight("kernel", {kernel_size_.h, kernel_size_.w, filters_, input_shape.dim(-1)},
             {.initializer = options_.kernel_initializer,
              .regularizer = options_.kernel_regularizer,
              .dtype = options_.dtype});
  if (options_.use_bias)
    add_weight(
        "bias", {filters_},
        {.initializer = options_.bias_initializer, .regularizer = options_.bias_regularizer, .dtype = options_.dtype});
}

namespace {
// Keras's deconv_output_length.
int64_t deconv_length(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, const std::string& padding,
                      std::optional<int64_t> output_padding) {
  const int64_t k = kernel + (kernel - 1) * (dilation - 1);
  if (!output_padding) return padding == "valid" ? in * stride + std::max<int64_t>(k - stride, 0) : in * stride;
  const int64_t pad = padding == "same" ? k / 2 : 0;
  return (in - 1) * stride + k - 2 * pad + *output_padding;
}
}  // namespace

Tensor Conv2DTranspose::call(const Tensor& inputs) {
  check_input_rank(inputs, 4);
  const Variable k = kernel();
  check_input_last_dim(inputs, k.shape()[3]);
  const Tensor x = inputs.dtype() == k.dtype() ? inputs : cast(inputs, k.dtype());
  const IntPair &s = options_.strides, &d = options_.dilation_rate;
  const auto& op = options_.output_padding;
  const int64_t oh = deconv_length(x.shape()[1], kernel_size_.h, s.h, d.h, options_.padding,
                                   op ? std::optional<int64_t>(op->h) : std::nullopt);
  const int64_t ow = deconv_length(x.shape()[2], kernel_size_.w, s.w, d.w, options_.padding,
                                   op ? std::optional<int64_t>(op->w) : std::nullopt);
  Tensor y = nn::conv2d_transpose(x, k, Shape{x.shape()[0], oh, ow, filters_}, {int(s.h), int(s.w)},
                                  options_.padding == "same" ? "SAME" : "VALID", {int(d.h), int(d.w)});
  if (options_.use_bias) y = nn::bias_add(y, bias());
  return options_.activation(y);
}

}  // namespace tapeflow::keras::layers
