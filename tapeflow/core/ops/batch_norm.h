// tf.nn.moments, batch_normalization (compositions of public ops, as in TF) and
// fused_batch_norm (TF ops FusedBatchNormV3, FusedBatchNormGradV3), over the last (channel) axis.
// Kernels: kernels/{cpu,cuda}/batch_norm; gradients: autograd/grads/batch_norm.cpp.
#pragma once
#include <optional>
#include <utility>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/ops/reduction.h"

namespace tapeflow::nn {
/// tf.nn.moments: the mean and (biased) variance of x over `axes`; float16/bfloat16 inputs are
/// reduced in float32. `auto [mean, variance] = tf::nn::moments(x, {0, 1, 2});`
std::pair<Tensor, Tensor> moments(const Tensor& x, const Axes& axes, bool keepdims = false);
/// tf.nn.batch_normalization: (x - mean) * scale / sqrt(variance + variance_epsilon) + offset,
/// broadcasting mean, variance, offset and scale against x; offset and scale may be std::nullopt.
Tensor batch_normalization(const Tensor& x, const Tensor& mean, const Tensor& variance,
                           const std::optional<Tensor>& offset, const std::optional<Tensor>& scale,
                           double variance_epsilon);

/// tf.compat.v1.nn.fused_batch_norm's keyword arguments.
struct FusedBatchNormOptions {
  std::optional<Tensor> mean, variance;  // (C,); required for inference or a running average
  double epsilon = 0.001;
  bool is_training = true;
  /// Training: the mean/variance outputs are (1 - f) * mean + f * batch statistic (1: the batch's).
  double exponential_avg_factor = 1.0;
};
/// y, and the (running) mean and variance: in training the batch mean and the unbiased
/// (n / (n - 1)) batch variance, averaged into options.mean/variance by exponential_avg_factor;
/// in inference options.mean and options.variance.
struct FusedBatchNormOutputs {
  Tensor y, mean, variance;
};
/// tf.compat.v1.nn.fused_batch_norm over the last (channel) axis of x (rank >= 2; TF allows 4
/// or 5): scale/offset/mean/variance are (C,) float32 (float64 for float64 x). Training
/// normalizes with the batch's biased variance. The op Keras' BatchNormalization uses.
/// `auto [y, mean, var] = tf::nn::fused_batch_norm(x, gamma, beta);`
FusedBatchNormOutputs fused_batch_norm(const Tensor& x, const Tensor& scale, const Tensor& offset,
                                       const FusedBatchNormOptions& options = {});

}  // namespace tapeflow::nn

namespace tapeflow::ops {
extern OpDef FusedBatchNormV3, FusedBatchNormGradV3;
struct FusedBatchNormAttrs : OpAttrsBase<FusedBatchNormAttrs> {
  double epsilon = 0.001, exponential_avg_factor = 1.0;
  bool is_training = true;
  std::string to_string() const override;
};

/// FusedBatchNormGradV3's outputs x_backprop, scale_backprop, offset_backprop, from the
/// forward's saved mean and biased variance (reserve_space_1/2; reserve_space_3 is empty on CPU).
TensorList fused_batch_norm_grad(const Tensor& y_backprop, const Tensor& x, const Tensor& scale,
                                 const Tensor& reserve_space_1, const Tensor& reserve_space_2,
                                 const Tensor& reserve_space_3, const FusedBatchNormAttrs& attrs);

void register_batch_norm_ops();
}  // namespace tapeflow::ops
