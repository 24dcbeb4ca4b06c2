// Scalar: a C++ number used as an operand (`x + 1`, `x * 2.5f`); it takes the dtype of the
// tensor it meets, as a Python number does in TF.
#pragma once
#include <cstdint>
#include <type_traits>

#include "tapeflow/core/dtype.h"

namespace tapeflow {

class Scalar {
 public:
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  Scalar(T v) : is_integral_(std::is_integral_v<T>), d_(static_cast<double>(v)), i_(static_cast<int64_t>(v)) {}  // NOLINT
  Scalar(float16_t v) : d_(float(v)), i_(static_cast<int64_t>(float(v))) {}   // NOLINT
  Scalar(bfloat16_t v) : d_(float(v)), i_(static_cast<int64_t>(float(v))) {}  // NOLINT
  bool is_integral() const noexcept { return is_integral_; }
  double to_double() const noexcept { return d_; }
  int64_t to_int64() const noexcept { return is_integral_ ? i_ : static_cast<int64_t>(d_); }
  /// The value as a C++ T (T a kernel type).
  template <typename T>
  T to() const {
    if constexpr (std::is_same_v<T, bool>) return is_integral_ ? i_ != 0 : d_ != 0.0;
    else if constexpr (std::is_integral_v<T>) return static_cast<T>(to_int64());
    else if constexpr (std::is_floating_point_v<T>) return static_cast<T>(d_);
    else return T(static_cast<float>(d_));
  }

 private:
  bool is_integral_ = false;
  double d_ = 0;
  int64_t i_ = 0;
};

}  // namespace tapeflow
