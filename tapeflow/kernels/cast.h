// The conversion of one value from one dtype to another (TF's Cast), written once for the CPU
// and CUDA kernels (__host__ __device__). Half types convert through float.
#pragma once
#include <limits>
#include <type_traits>

#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels {

/// v as a To: bool is v != 0; float to int truncates toward zero, and NaN or out-of-range
/// values become 0 (instead of undefined behaviour); the rest is a C++ conversion.
template <typename From, typename To> TF_HOST_DEVICE inline To cast_value(From v) {
  using CF = compute_t<From>;
  const CF c = static_cast<CF>(v);
  if constexpr (std::is_same_v<To, bool>) {
    return c != CF(0);
  } else if constexpr (std::is_integral_v<To> && !std::is_integral_v<CF>) {
    const double d = static_cast<double>(c);
    if (!(d >= static_cast<double>(std::numeric_limits<To>::min()) &&
          d < static_cast<double>(std::numeric_limits<To>::max()) + 1.0))
      return To(0);
    return static_cast<To>(d);
  } else if constexpr (std::is_arithmetic_v<To>) {
    return static_cast<To>(c);
  } else {
    return To(static_cast<float>(c));
  }
}

}  // namespace tapeflow::kernels
