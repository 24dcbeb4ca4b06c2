// The running statistics of FusedBatchNormV3 in training, written once for the CPU and CUDA
// kernels (__host__ __device__): the batch variance made unbiased, averaged into the running
// mean and variance by exponential_avg_factor (TF's formulas).
#pragma once
#include <cstdint>

#include "tapeflow/util/half.h"

namespace tapeflow::kernels {

/// Bessel's correction n / (n - 1) for a batch of `rows` values per channel (1 when rows <= 1):
/// the running variance averages the unbiased batch variance, as TF.
TF_HOST_DEVICE inline double bessel_correction(int64_t rows) {
  return static_cast<double>(rows) / static_cast<double>(rows > 1 ? rows - 1 : 1);
}

/// A running statistic after one batch: (1 - factor) * running + factor * batch. With factor 1
/// the running value is not read (it may be absent), so callers pass 0.
TF_HOST_DEVICE inline double running_average(double running, double batch, double factor) {
  return factor == 1.0 ? batch : (1 - factor) * running + factor * batch;
}

}  // namespace tapeflow::kernels
