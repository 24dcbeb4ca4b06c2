#include "tapeflow/core/dtype.h"

#include <climits>
#include <sstream>

#include "tapeflow/core/errors.h"
#include "tapeflow/core/scalar.h"

namespace tapeflow {

std::size_t dtype_size(DType dt) noexcept {
  switch (dt) {
    case DType::kFloat32: return 4;
    case DType::kFloat64: return 8;
    case DType::kFloat16: return 2;
    case DType::kBFloat16: return 2;
    case DType::kInt8: return 1;
    case DType::kInt32: return 4;
    case DType::kInt64: return 8;
    case DType::kUInt8: return 1;
    case DType::kBool: return 1;
    case DType::kString: return sizeof(std::string);
  }
  return 0;
}

std::string_view dtype_name(DType dt) noexcept {
  switch (dt) {
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kFloat16: return "float16";
    case DType::kBFloat16: return "bfloat16";
    case DType::kInt8: return "int8";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kUInt8: return "uint8";
    case DType::kBool: return "bool";
    case DType::kString: return "string";
  }
  return "unknown";
}

DType dtype_from_name(std::string_view name) {
  for (int i = 0; i < kNumDTypes; ++i) {
    if (dtype_name(static_cast<DType>(i)) == name) return static_cast<DType>(i);
  }
  if (name == "half") return DType::kFloat16;
  if (name == "double") return DType::kFloat64;
  if (name == "float") return DType::kFloat32;
  TF_THROW(InvalidArgumentError, "", "Unknown dtype '", name,
           "'; expected one of float32 float64 float16 bfloat16 int8 int32 int64 uint8 bool string");
}

bool is_floating(DType dt) noexcept {
  return dt == DType::kFloat32 || dt == DType::kFloat64 || dt == DType::kFloat16 || dt == DType::kBFloat16;
}
bool is_integer(DType dt) noexcept {
  return dt == DType::kInt8 || dt == DType::kInt32 || dt == DType::kInt64 || dt == DType::kUInt8;
}

std::ostream& operator<<(std::ostream& os, DType dt) { return os << dtype_name(dt); }

namespace detail {
void throw_bad_dtype(const char* op, DType dt, const char* expected) {
  TF_THROW(InvalidArgumentError, op ? op : "", op ? op : "", ": got dtype ", dtype_name(dt), ", expected ", expected);
}
}  // namespace detail

}  // namespace tapeflow

namespace tapeflow {

// Scalar's dtype checks live here, beside the dtype facts they use.
bool Scalar::fits(DType dtype) const noexcept {
  if (is_floating(dtype) || dtype == DType::kString) return true;  // strings are refused by their ops
  if (!is_integral_) return false;
  if (is_unsigned_ && u_ > static_cast<uint64_t>(INT64_MAX)) return false;
  int64_t lo = 0, hi = 0;
  switch (dtype) {
    case DType::kInt8: lo = INT8_MIN, hi = INT8_MAX; break;
    case DType::kUInt8: lo = 0, hi = UINT8_MAX; break;
    case DType::kInt32: lo = INT32_MIN, hi = INT32_MAX; break;
    case DType::kInt64: return true;
    case DType::kBool: lo = 0, hi = 1; break;
    default: return true;
  }
  return i_ >= lo && i_ <= hi;
}

std::string Scalar::to_string() const {
  if (is_unsigned_) return std::to_string(u_);
  if (is_integral_) return std::to_string(i_);
  std::ostringstream os;
  os.precision(17);
  os << d_;
  return os.str();
}

}  // namespace tapeflow
