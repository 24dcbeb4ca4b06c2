// The batch-norm work around cuDNN's calls (batch_norm.cpp), as host launchers of the kernels in
// batch_norm_stats.cu: turning cuDNN's saved inverse standard deviation into the CPU kernel's
// reserve spaces and running statistics, the reverse for the gradient, and the whole gradient
// of the inference (frozen statistics) mode, which cuDNN does not have. U is float or double
// (the per-channel dtype); T is x's dtype.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "tapeflow/core/dtype.h"

namespace tapeflow::kernels::cuda {

/// Per channel: reserve_var = 1 / inv_std^2 - epsilon (the biased batch variance), and the
/// running statistics the CPU kernel outputs: with factor 1 the batch mean and unbiased variance,
/// else (1 - factor) * old + factor * batch (old_mean/old_var may be null when factor is 1).
void batch_norm_finalize(DType u, const void* mean, const void* inv_std, const void* old_mean, const void* old_var,
                         void* out_mean, void* out_var, void* reserve_var, int64_t channels, int64_t rows,
                         double epsilon, double factor, cudaStream_t stream);
/// inv_std = 1 / sqrt(var + epsilon) per channel.
void batch_norm_inv_std(DType u, const void* var, void* inv_std, int64_t channels, double epsilon, cudaStream_t stream);
/// FusedBatchNormGradV3 with is_training = false on (rows, C) data: dx = dy * scale * inv_std,
/// d_scale = sum(dy * (x - mean)) * inv_std, d_offset = sum(dy), inv_std = 1 / sqrt(var + epsilon).
void batch_norm_frozen_grad(DType t, const void* dy, const void* x, const void* scale, const void* mean,
                            const void* var, void* dx, void* d_scale, void* d_offset, int64_t rows, int64_t channels,
                            double epsilon, int device, cudaStream_t stream);

}  // namespace tapeflow::kernels::cuda
