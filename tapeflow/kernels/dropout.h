// Dropout's two formulas, written once for the CPU and CUDA kernels (__host__ __device__): the
// keep mask u >= rate of a uniform sample u in x's dtype, and the kept value x / (1 - rate)
// (TF's _dropout). Half types compare and scale in float.
#pragma once
#include <cstdint>

#include "tapeflow/kernels/philox.h"
#include "tapeflow/util/half.h"

namespace tapeflow::kernels {

/// The keep mask of one uniform sample u in [0, 1): 1 when u >= rate.
template <typename T> struct DropoutKeep {
  T rate;
  TF_HOST_DEVICE uint8_t operator()(T u) const {
    if constexpr (philox::is_half_v<T>)
      return static_cast<uint8_t>(static_cast<float>(u) >= static_cast<float>(rate));
    else
      return static_cast<uint8_t>(u >= rate);
  }
};

/// Dropout's output element: x * scale where kept (scale = 1 / (1 - rate)), else 0.
template <typename T> TF_HOST_DEVICE inline T dropout_value(T x, uint8_t keep, T scale) {
  T scaled;
  if constexpr (philox::is_half_v<T>)
    scaled = T(static_cast<float>(x) * static_cast<float>(scale));
  else
    scaled = x * scale;
  return keep ? scaled : T(0.0f);
}

}  // namespace tapeflow::kernels
