#include "tapeflow/nn/layers/pooling.h"

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/conv.h"
#include "tapeflow/core/ops/pooling.h"
#include "tapeflow/core/ops/reduction.h"

namespace tapeflow::keras::layers {

Pool2D::Pool2D(Kind kind, const std::string& default_name, Pool2DOptions options)
    : Layer(default_name, {.name = options.name}), kind_(kind), options_(std::move(options)) {
  const char* layer = kind == Kind::kMax ? "MaxPooling2D" : "AveragePooling2D";
  if (!options_.strides) options_.strides = options_.pool_size;
  detail::check_positive(options_.pool_size, "pool_size", layer);
  detail::check_positive(*options_.strides, "strides", layer);
  options_.padding = detail::standardize_padding(options_.padding, layer);
}

Tensor Pool2D::call(const Tensor& inputs) {
  check_input_rank(inputs, 4);
  const nn::WindowArg ksize{int(options_.pool_size.h), int(options_.pool_size.w)};
  const nn::WindowArg strides{int(options_.strides->h), int(options_.strides->w)};
  const std::string padding = options_.padding == "same" ? "SAME" : "VALID";
  return kind_ == Kind::kMax ? nn::max_pool2d(inputs, ksize, strides, padding)
                             : nn::avg_pool2d(inputs, ksize, strides, padding);
}

MaxPool2D::MaxPool2D(Pool2DOptions options) : Pool2D(Kind::kMax, "max_pooling2d", std::move(options)) {}

AveragePool2D::AveragePool2D(Pool2DOptions options) : Pool2D(Kind::kAverage, "average_pooling2d", std::move(options)) {}

GlobalAveragePooling2D::GlobalAveragePooling2D(GlobalPool2DOptions options)
    : Layer("global_average_pooling2d", {.name = options.name}), keepdims_(options.keepdims) {}

Tensor GlobalAveragePooling2D::call(const Tensor& inputs) {
  check_input_rank(inputs, 4);
  return reduce_mean(inputs, {1, 2}, keepdims_);
}

GlobalMaxPooling2D::GlobalMaxPooling2D(GlobalPool2DOptions options)
    : Layer("global_max_pooling2d", {.name = options.name}), keepdims_(options.keepdims) {}

Tensor GlobalMaxPooling2D::call(const Tensor& inputs) {
  check_input_rank(inputs, 4);
  return reduce_max(inputs, {1, 2}, keepdims_);
}

GlobalAveragePooling1D::GlobalAveragePooling1D(GlobalPool1DOptions options)
    : Layer("global_average_pooling1d", {.name = options.name}), keepdims_(options.keepdims) {}

Tensor GlobalAveragePooling1D::call(const Tensor& inputs) {
  check_input_rank(inputs, 3);
  return reduce_mean(inputs, 1, keepdims_);
}

Tensor GlobalAveragePooling1D::call_masked(const Tensor& inputs, bool, const std::optional<Tensor>& mask) {
  if (!mask) return call(inputs);
  check_input_rank(inputs, 3);
  TF_CHECK_ARG(mask->shape() == Shape({inputs.shape()[0], inputs.shape()[1]}), "", "Layer \"", name(),
               "\": the mask must have shape (batch, steps) = (", inputs.shape()[0], ", ", inputs.shape()[1],
               "); received ", mask->shape().to_string());
  const Tensor kept = expand_dims(cast(*mask, inputs.dtype()), 2);  // Keras: sum(x * m) / sum(m)
  return reduce_sum(inputs * kept, 1, keepdims_) / reduce_sum(kept, 1, keepdims_);
}

GlobalMaxPooling1D::GlobalMaxPooling1D(GlobalPool1DOptions options)
    : Layer("global_max_pooling1d", {.name = options.name}), keepdims_(options.keepdims) {}

Tensor GlobalMaxPooling1D::call(const Tensor& inputs) {
  check_input_rank(inputs, 3);
  return reduce_max(inputs, 1, keepdims_);
}

}  // namespace tapeflow::keras::layers
