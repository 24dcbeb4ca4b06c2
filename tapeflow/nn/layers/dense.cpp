#include "tapeflow/nn/layers/dense.h"

#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/linalg.h"

namespace tapeflow::keras::layers {

Dense::Dense(int64_t units, DenseOptions options)
    : Layer("dense", {.name = options.name, .trainable = options.trainable}),
      units_(units),
      options_(std::move(options)) {
  TF_CHECK_ARG(units > 0, "Dense",
               "Received an invalid value for `units`, expected a positive integer. Received: units=", units);
}

void Dense::build(const Shape& input_shape) {
  if (input_shape.rank() < 2)
    TF_THROW(InvalidArgumentError, "", "Input 0 of layer \"", name(),
             "\" is incompatible with the layer: expected min_ndim=2, found ndim=", input_shape.rank(),
             ". Full shape received: ", input_shape.to_string());
  const int64_t in = input_shape.dim(-1);
  add_weight("kernel", {in, units_},
             {.initializer = options_.kernel_initializer,
              .regularizer = options_.kernel_regularizer,
              .dtype = options_.dtype});
  if (options_.use_bias)
    add_weight(
        "bias", {units_},
        {.initializer = options_.bias_initializer, .regularizer = options_.bias_regularizer, .dtype = options_.dtype});
}

Tensor Dense::call(const Tensor& inputs) {
  check_input_rank(inputs, std::nullopt, 2);
  const Variable k = kernel();
  check_input_last_dim(inputs, k.shape()[0]);
  Tensor x = inputs.dtype() == k.dtype() ? inputs : cast(inputs, k.dtype());
  Tensor y = x.ndim() == 2 ? matmul(x, k) : tensordot(x, k, 1);
  if (options_.use_bias) y = y + bias();
  return options_.activation(y);
}

}  // namespace tapeflow::keras::layers
