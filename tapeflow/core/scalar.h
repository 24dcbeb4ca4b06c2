// Scalar: a C++ number used as an operand (`x + 1`, `x * 2.5f`); it takes the dtype of the
// tensor it meets, as a Python number does in TF.
#pragma once
#include <cstdint>
#include <string>
#include <type_traits>

#include "tapeflow/core/dtype.h"

namespace tapeflow {

class Scalar {
 public:
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  Scalar(T v)  // NOLINT
      : is_integral_(std::is_integral_v<T>),
        is_unsigned_(std::is_unsigned_v<T> && !std::is_same_v<T, bool>),
        d_(static_cast<double>(v)),
        i_(static_cast<int64_t>(v)),
        u_(static_cast<uint64_t>(v)) {}
  Scalar(float16_t v) : d_(float(v)), i_(static_cast<int64_t>(float(v))) {}   // NOLINT
  Scalar(bfloat16_t v) : d_(float(v)), i_(static_cast<int64_t>(float(v))) {}  // NOLINT
  bool is_integral() const noexcept { return is_integral_; }
  double to_double() const noexcept { return d_; }
  int64_t to_int64() const noexcept { return is_integral_ ? i_ : static_cast<int64_t>(d_); }
  /// Whether the number can become an element of `dtype` without loss, as TF's conversion of a
  /// Python number requires: a floating number never becomes an integer or bool tensor (TF: "Cannot
  /// convert 2.5 to EagerTensor of dtype int32"), an integer must lie in the dtype's range, and a
  /// bool tensor takes 0 or 1. Floating dtypes take any number (rounded, as TF does).
  bool fits(DType dtype) const noexcept;
  /// The number as Python prints it ("2.5", "300").
  std::string to_string() const;
  /// The value as a C++ T (T a kernel type).
  template <typename T> T to() const {
    if constexpr (std::is_same_v<T, bool>)
      return is_integral_ ? i_ != 0 : d_ != 0.0;
    else if constexpr (std::is_integral_v<T>)
      return static_cast<T>(to_int64());
    else if constexpr (std::is_floating_point_v<T>)
      return static_cast<T>(d_);
    else
      return T(static_cast<float>(d_));
  }

 private:
  bool is_integral_ = false;
  bool is_unsigned_ = false;  // a uint64 past INT64_MAX must not pass as negative
  double d_ = 0;
  int64_t i_ = 0;
  uint64_t u_ = 0;
};

}  // namespace tapeflow
