#include "tapeflow/nn/layers/masking.h"

#include <cmath>

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

NotEqual::NotEqual(double value, bool integer, MaskingOptions options)
    : Layer("not_equal", {.name = options.name}), value_(value), integer_(integer) {}

Tensor NotEqual::call(const Tensor& inputs) {
  if (is_floating(inputs.dtype())) return not_equal(inputs, scalar_tensor(value_, inputs.dtype()));
  // Integers (and bool) against an integral value in their own dtype, else (Keras's promotion) in float64.
  if (value_ == std::floor(value_) && inputs.dtype() != DType::kBool)
    return not_equal(inputs, scalar_tensor(int64_t(value_), inputs.dtype()));
  return not_equal(cast(inputs, DType::kFloat64), scalar_tensor(value_, DType::kFloat64));
}

Any::Any(std::optional<int> axis, bool keepdims, MaskingOptions options)
    : Layer("any", {.name = options.name}), axis_(axis), keepdims_(keepdims) {}

Tensor Any::call(const Tensor& inputs) {
  const Tensor b = inputs.dtype() == DType::kBool ? inputs : not_equal(inputs, scalar_tensor(0, inputs.dtype()));
  return axis_ ? reduce_any(b, {*axis_}, keepdims_) : reduce_any(b, {}, keepdims_);
}

}  // namespace tapeflow::keras::layers

namespace tapeflow::keras::ops {
KerasTensor not_equal(const KerasTensor& x, double value) { return layers::NotEqual(value, false)(x); }
KerasTensor not_equal(const KerasTensor& x, int64_t value) { return layers::NotEqual(double(value), true)(x); }
KerasTensor any(const KerasTensor& x, std::optional<int> axis, bool keepdims) {
  return layers::Any(axis, keepdims)(x);
}
}  // namespace tapeflow::keras::ops
