// FusedBatchNormV3 and FusedBatchNormGradV3 on oneDNN over the last (channel) axis of x, viewed
// as a (rows, C) matrix, float32 and bfloat16 x with float32 per-channel vectors; for
// kernels/cpu/batch_norm.cpp. Each returns false when oneDNN does not run the call (see
// onednn_conv.h): the caller then runs its own kernel.
#pragma once
#include <cstdint>

#include "tapeflow/core/dtype.h"

namespace tapeflow::kernels::cpu {

/// The per-channel vectors of a batch normalization, all (C,) float32.
struct BatchNormChannels {
  const float* scale = nullptr;
  const float* offset = nullptr;  // forward only
  const float* mean = nullptr;    // inference, and the gradient: the statistics to use
  const float* variance = nullptr;
};

/// y = (x - mean) / sqrt(variance + epsilon) * scale + offset. Training normalizes with the
/// batch's mean and biased variance and writes them to batch_mean/batch_variance; inference
/// uses ch.mean/ch.variance (batch_mean/batch_variance are not written).
bool onednn_fused_batch_norm(DType dt, int64_t rows, int64_t c, double epsilon, bool is_training, const void* x,
                             const BatchNormChannels& ch, void* y, float* batch_mean, float* batch_variance);
/// dx, d_scale = sum(dy * x_hat), d_offset = sum(dy) from dy and x (rows, C) and the forward's
/// ch.mean/ch.variance; training's dx also flows through the batch statistics, inference's does not.
bool onednn_fused_batch_norm_grad(DType dt, int64_t rows, int64_t c, double epsilon, bool is_training, const void* dy,
                                  const void* x, const BatchNormChannels& ch, void* dx, float* d_scale,
                                  float* d_offset);

}  // namespace tapeflow::kernels::cpu
