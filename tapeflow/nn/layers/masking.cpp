#include "tapeflow/nn/layers/masking.h"

#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/reduction.h"

namespace tapeflow::keras::layers {

Masking::Masking(double mask_value, MaskingOptions options)
    : Layer("masking", {.name = options.name}), mask_value_(mask_value) {}

namespace {
// (..., 1) bool: whether a step has a feature other than mask_value.
Tensor kept_steps(const Tensor& inputs, double mask_value, bool keepdims) {
  return reduce_any(not_equal(inputs, scalar_tensor(mask_value, inputs.dtype())), {-1}, keepdims);
}
}  // namespace

Tensor Masking::call(const Tensor& inputs) {
  check_input_rank(inputs, std::nullopt, 2);
  return inputs * cast(kept_steps(inputs, mask_value_, true), inputs.dtype());
}

std::optional<Tensor> Masking::compute_mask(const Tensor& inputs, const std::optional<Tensor>&) const {
  return kept_steps(inputs, mask_value_, false);
}

}  // namespace tapeflow::keras::layers
