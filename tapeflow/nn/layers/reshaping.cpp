#include "tapeflow/nn/layers/reshaping.h"

#include <optional>

#include "tapeflow/core/ops/array_ops.h"

namespace tapeflow::keras::layers {

Flatten::Flatten(FlattenOptions options) : Layer("flatten", {.name = options.name}) {}

Tensor Flatten::call(const Tensor& inputs) {
  check_input_rank(inputs, std::nullopt, 1);
  if (inputs.ndim() == 1) return expand_dims(inputs, 1);
  // Traced with unknown dimensions (-1, or a symbolic size below -1), the unknown side becomes
  // reshape's -1, as Keras's (batch, -1).
  const int64_t batch = inputs.shape()[0];
  std::optional<int64_t> features = 1;
  for (int i = 1; i < inputs.ndim() && features; ++i)
    features = inputs.shape()[i] >= 0 ? std::optional<int64_t>(*features * inputs.shape()[i]) : std::nullopt;
  if (batch >= 0) return reshape(inputs, {batch, features ? *features : -1});
  if (!features)
    throw errors::UnimplementedError(name() +
                                     ": Flatten of a tensor whose batch and feature dimensions are both "
                                     "unknown, " +
                                     inputs.shape().to_string() + "; give the feature dimensions");
  return reshape(inputs, {-1, *features});
}

Reshape::Reshape(Shape target_shape, ReshapeOptions options)
    : Layer("reshape", {.name = options.name}), target_shape_(std::move(target_shape)) {
  int unknown = 0;
  for (int64_t d : target_shape_) {
    TF_CHECK_ARG(d > 0 || d == -1, "Reshape", "Reshape target_shape must hold positive sizes or one -1, got ",
                 target_shape_.to_string());
    unknown += d == -1;
  }
  TF_CHECK_ARG(unknown <= 1, "Reshape", "There must be at most one unknown dimension (-1) in target_shape, got ",
               target_shape_.to_string());
}

Tensor Reshape::call(const Tensor& inputs) {
  check_input_rank(inputs, std::nullopt, 1);
  Shape full{inputs.shape()[0]};
  for (int64_t d : target_shape_) full.push_back(d);
  return reshape(inputs, full);
}

}  // namespace tapeflow::keras::layers
