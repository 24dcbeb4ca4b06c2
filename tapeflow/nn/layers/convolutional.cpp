#include "tapeflow/nn/layers/convolutional.h"

#include <algorithm>
#include <cctype>

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

}  // namespace tapeflow::keras::layers
