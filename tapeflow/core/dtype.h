// DType: the element types a Tensor can hold (TF's tf.dtypes), their sizes and names,
// and dispatch from a runtime dtype to a C++ type for kernels.
#pragma once
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "tapeflow/util/half.h"

namespace tapeflow {

enum class DType : uint8_t {
  kFloat32,
  kFloat64,
  kFloat16,
  kBFloat16,
  kInt8,
  kInt32,
  kInt64,
  kUInt8,
  kBool,
  kString,
};
inline constexpr int kNumDTypes = 10;

inline constexpr DType float32 = DType::kFloat32;
inline constexpr DType float64 = DType::kFloat64;
inline constexpr DType float16 = DType::kFloat16;
inline constexpr DType bfloat16 = DType::kBFloat16;
inline constexpr DType int8 = DType::kInt8;
inline constexpr DType int32 = DType::kInt32;
inline constexpr DType int64 = DType::kInt64;
inline constexpr DType uint8 = DType::kUInt8;
inline constexpr DType bool_ = DType::kBool;
inline constexpr DType string = DType::kString;

/// Bytes per element (a string element is a std::string object).
std::size_t dtype_size(DType dt) noexcept;
/// TF's name: "float32", "int32", "bool", "string", ...
std::string_view dtype_name(DType dt) noexcept;
/// Parses a TF dtype name; throws InvalidArgumentError for an unknown one.
DType dtype_from_name(std::string_view name);
bool is_floating(DType dt) noexcept;  // float16/bfloat16/float32/float64
bool is_integer(DType dt) noexcept;   // int8/int32/int64/uint8
inline bool is_numeric(DType dt) noexcept { return is_floating(dt) || is_integer(dt); }
inline bool is_signed(DType dt) noexcept { return dt != DType::kUInt8 && dt != DType::kBool && dt != DType::kString; }
std::ostream& operator<<(std::ostream& os, DType dt);

/// The C++ type of each dtype, and back.
template <typename T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::kFloat32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::kFloat64; };
template <> struct dtype_of<float16_t> { static constexpr DType value = DType::kFloat16; };
template <> struct dtype_of<bfloat16_t> { static constexpr DType value = DType::kBFloat16; };
template <> struct dtype_of<int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = DType::kUInt8; };
template <> struct dtype_of<bool> { static constexpr DType value = DType::kBool; };
template <> struct dtype_of<std::string> { static constexpr DType value = DType::kString; };
template <typename T> inline constexpr DType dtype_v = dtype_of<T>::value;

namespace detail {
[[noreturn]] void throw_bad_dtype(const char* op, DType dt, const char* expected);
}

/// Calls f.template operator()<T>() with T the C++ type of dt. The *_NUMERIC variants reject
/// bool and string with an InvalidArgumentError naming the op.
#define TF_DTYPE_CASE(ENUM, TYPE) \
  case ::tapeflow::DType::ENUM: return f.template operator()<TYPE>();

template <typename F> decltype(auto) visit_numeric(DType dt, const char* op, F&& f) {
  switch (dt) {
    TF_DTYPE_CASE(kFloat32, float)
    TF_DTYPE_CASE(kFloat64, double)
    TF_DTYPE_CASE(kFloat16, float16_t)
    TF_DTYPE_CASE(kBFloat16, bfloat16_t)
    TF_DTYPE_CASE(kInt8, int8_t)
    TF_DTYPE_CASE(kInt32, int32_t)
    TF_DTYPE_CASE(kInt64, int64_t)
    TF_DTYPE_CASE(kUInt8, uint8_t)
    default: detail::throw_bad_dtype(op, dt, "a numeric dtype");
  }
}
template <typename F> decltype(auto) visit_floating(DType dt, const char* op, F&& f) {
  switch (dt) {
    TF_DTYPE_CASE(kFloat32, float)
    TF_DTYPE_CASE(kFloat64, double)
    TF_DTYPE_CASE(kFloat16, float16_t)
    TF_DTYPE_CASE(kBFloat16, bfloat16_t)
    default: detail::throw_bad_dtype(op, dt, "a floating dtype (float16, bfloat16, float32, float64)");
  }
}
/// Numeric types and bool.
template <typename F> decltype(auto) visit_pod(DType dt, const char* op, F&& f) {
  switch (dt) {
    TF_DTYPE_CASE(kFloat32, float)
    TF_DTYPE_CASE(kFloat64, double)
    TF_DTYPE_CASE(kFloat16, float16_t)
    TF_DTYPE_CASE(kBFloat16, bfloat16_t)
    TF_DTYPE_CASE(kInt8, int8_t)
    TF_DTYPE_CASE(kInt32, int32_t)
    TF_DTYPE_CASE(kInt64, int64_t)
    TF_DTYPE_CASE(kUInt8, uint8_t)
    TF_DTYPE_CASE(kBool, bool)
    default: detail::throw_bad_dtype(op, dt, "a numeric or bool dtype");
  }
}
template <typename F> decltype(auto) visit_all(DType dt, const char* op, F&& f) {
  switch (dt) {
    TF_DTYPE_CASE(kFloat32, float)
    TF_DTYPE_CASE(kFloat64, double)
    TF_DTYPE_CASE(kFloat16, float16_t)
    TF_DTYPE_CASE(kBFloat16, bfloat16_t)
    TF_DTYPE_CASE(kInt8, int8_t)
    TF_DTYPE_CASE(kInt32, int32_t)
    TF_DTYPE_CASE(kInt64, int64_t)
    TF_DTYPE_CASE(kUInt8, uint8_t)
    TF_DTYPE_CASE(kBool, bool)
    TF_DTYPE_CASE(kString, std::string)
  }
  detail::throw_bad_dtype(op, dt, "a known dtype");
}

}  // namespace tapeflow
