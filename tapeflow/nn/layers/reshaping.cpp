#include "tapeflow/nn/layers/reshaping.h"

#include "tapeflow/core/ops/array_ops.h"

namespace tapeflow::keras::layers {

Flatten::Flatten(FlattenOptions options) : Layer("flatten", {.name = options.name}) {}

Tensor Flatten::call(const Tensor& inputs) {
  check_input_rank(inputs, std::nullopt, 1);
  if (inputs.ndim() == 1) return expand_dims(inputs, 1);
  int64_t features = 1;
  for (int i = 1; i < inputs.ndim(); ++i) features *= inputs.shape()[i];
  return reshape(inputs, {inputs.shape()[0], features});
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
