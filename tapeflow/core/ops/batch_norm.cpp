// tf.nn's batch normalization: moments and batch_normalization as compositions of public ops
// (as in TF), FusedBatchNormV3 and its gradient op with TF's argument checks.
#include "tapeflow/core/ops/batch_norm.h"

#include "tapeflow/core/dim_unify.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/unary.h"
#include "tapeflow/core/ops/window.h"

namespace tapeflow {
namespace ops {
OpDef FusedBatchNormV3{.name = "FusedBatchNormV3"}, FusedBatchNormGradV3{.name = "FusedBatchNormGradV3"};

void register_batch_norm_ops() {
  for (OpDef* op : {&FusedBatchNormV3, &FusedBatchNormGradV3}) register_op(*op);
}

std::string FusedBatchNormAttrs::to_string() const {
  return detail::str_cat("epsilon=", epsilon, ", exponential_avg_factor=", exponential_avg_factor,
                         ", is_training=", is_training ? "true" : "false");
}

TensorList fused_batch_norm_grad(const Tensor& y_backprop, const Tensor& x, const Tensor& scale,
                                 const Tensor& reserve_space_1, const Tensor& reserve_space_2,
                                 const Tensor& reserve_space_3, const FusedBatchNormAttrs& attrs) {
  const char* op = FusedBatchNormGradV3.name;
  check_floating(op, "x", x.dtype());
  check_same_dtype(op, "y_backprop", y_backprop, x.dtype());
  TF_CHECK_ARG(shapes_match(y_backprop.shape(), x.shape()), op,
               "x and y_backprop must have same shape, but x has shape ", x.shape().debug_string(),
               " and y_backprop has shape ", y_backprop.shape().debug_string());
  const DType u = x.dtype() == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32;
  const Shape c{x.shape().dim(-1)};
  for (const Tensor* t : {&scale, &reserve_space_1, &reserve_space_2}) {
    TF_CHECK_ARG(t->dtype() == u && t->shape() == c, op, "scale and saved statistics must be ", dtype_name(u), " ",
                 c.debug_string(), ", got ", dtype_name(t->dtype()), " ", t->shape().debug_string());
  }
  const Tensor in[6] = {y_backprop, x, scale, reserve_space_1, reserve_space_2, reserve_space_3};
  const OutputSpec specs[3] = {{x.shape(), x.dtype()}, {c, u}, {c, u}};
  return dispatch(FusedBatchNormGradV3, in, &attrs, specs);
}
}  // namespace ops

namespace nn {
using ops::check_floating;

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
  TF_CHECK_ARG(x.ndim() >= 2, op, "input must be at least 2-dimensional (..., C): ", x.shape().debug_string());
  const int64_t channels = x.shape().dim(-1);
  const DType u = x.dtype() == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32;
  auto check_vector = [&](const char* what, const Tensor& t) {
    TF_CHECK_ARG(t.dtype() == u, op, what, " must be ", dtype_name(u), " for ", dtype_name(x.dtype()), " x, got ",
                 dtype_name(t.dtype()));
    TF_CHECK_ARG(t.ndim() == 1, op, what, " must be 1-dimensional: ", t.shape().debug_string());
    TF_CHECK_ARG(t.shape()[0] == channels, op, what,
                 " must have the same number of elements as the channels of x, got ", t.shape()[0], " and ", channels);
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
