// Creating tensors: tf::constant from nested initializer lists or vectors, fill, zeros, ones,
// eye, range, linspace, zeros_like, ones_like. C++ ints become int32 and floating literals
// float32, as Python numbers do in TF; an explicit dtype converts.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/scalar.h"

namespace tapeflow {

namespace detail {
/// The dtype TF infers for a C++ element type: int -> int32, double -> float32 (Python float).
template <typename T> constexpr DType inferred_dtype() {
  if constexpr (std::is_same_v<T, bool>)
    return DType::kBool;
  else if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>)
    return DType::kFloat32;
  else if constexpr (std::is_same_v<T, int> || std::is_same_v<T, short>)
    return DType::kInt32;
  else if constexpr (std::is_same_v<T, long> || std::is_same_v<T, long long>)
    return DType::kInt64;
  else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, const char*>)
    return DType::kString;
  else
    return dtype_v<T>;
}
/// Builds a host tensor from flat values (converted to dtype) and moves it to the default device.
Tensor constant_from_doubles(const std::vector<double>& values, const Shape& shape, DType dtype);
Tensor constant_from_int64s(const std::vector<int64_t>& values, const Shape& shape, DType dtype);
Tensor constant_from_strings(const std::vector<std::string>& values, const Shape& shape);

template <typename T> void flatten_into(std::vector<T>& out, DimVector& dims, int depth, const T& v) {
  (void)dims;
  (void)depth;
  out.push_back(v);
}
template <typename T, typename L>
void flatten_into(std::vector<T>& out, DimVector& dims, int depth, std::initializer_list<L> list);
template <typename T, typename L>
void flatten_into(std::vector<T>& out, DimVector& dims, int depth, std::initializer_list<L> list) {
  if (static_cast<int>(dims.size()) <= depth)
    dims.push_back(static_cast<int64_t>(list.size()));
  else if (dims[static_cast<std::size_t>(depth)] != static_cast<int64_t>(list.size()))
    throw errors::InvalidArgumentError(
        str_cat("Can't convert non-rectangular Python sequence to Tensor. (level ", depth, " has lengths ",
                dims[static_cast<std::size_t>(depth)], " and ", list.size(), ")"),
        "Const");
  for (const L& item : list) flatten_into(out, dims, depth + 1, item);
}

template <typename T, typename L> Tensor constant_nested(std::initializer_list<L> list, std::optional<DType> dtype) {
  std::vector<T> flat;
  DimVector dims;
  flatten_into<T>(flat, dims, 0, list);
  if (list.size() == 0) dims.assign(1, 0);
  Shape shape(dims);
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, const char*>) {
    return constant_from_strings(std::vector<std::string>(flat.begin(), flat.end()), shape);
  } else {
    DType dt = dtype.value_or(inferred_dtype<T>());
    if constexpr (std::is_integral_v<T>) {
      return constant_from_int64s(std::vector<int64_t>(flat.begin(), flat.end()), shape, dt);
    } else {
      std::vector<double> d;
      d.reserve(flat.size());
      for (const T& v : flat) d.push_back(static_cast<double>(v));
      return constant_from_doubles(d, shape, dt);
    }
  }
}
}  // namespace detail

/// tf.constant: `tf::constant({{1, 2}, {3, 4}})` is int32 (2, 2); `tf::constant({2.2, 3.3}, tf::float16)`.
template <typename T> Tensor constant(std::initializer_list<T> v, std::optional<DType> dtype = std::nullopt) {
  return detail::constant_nested<T>(v, dtype);
}
template <typename T>
Tensor constant(std::initializer_list<std::initializer_list<T>> v, std::optional<DType> dtype = std::nullopt) {
  return detail::constant_nested<T>(v, dtype);
}
template <typename T>
Tensor constant(std::initializer_list<std::initializer_list<std::initializer_list<T>>> v,
                std::optional<DType> dtype = std::nullopt) {
  return detail::constant_nested<T>(v, dtype);
}
template <typename T>
Tensor constant(std::initializer_list<std::initializer_list<std::initializer_list<std::initializer_list<T>>>> v,
                std::optional<DType> dtype = std::nullopt) {
  return detail::constant_nested<T>(v, dtype);
}
/// A scalar: `tf::constant(3.0f)`, `tf::constant(4)`, `tf::constant(true)`.
template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
Tensor constant(T v, std::optional<DType> dtype = std::nullopt) {
  DType dt = dtype.value_or(detail::inferred_dtype<T>());
  if constexpr (std::is_integral_v<T>)
    return detail::constant_from_int64s({static_cast<int64_t>(v)}, Shape{}, dt);
  else
    return detail::constant_from_doubles({static_cast<double>(v)}, Shape{}, dt);
}
/// A string scalar: `tf::constant("Gray wolf")`.
Tensor constant(const char* s);
Tensor constant(const std::string& s);
/// From flat values and a shape: `tf::constant(std::vector<float>{...}, {2, 3})`.
template <typename T>
Tensor constant(const std::vector<T>& values, const Shape& shape, std::optional<DType> dtype = std::nullopt) {
  if constexpr (std::is_same_v<T, std::string>) {
    return detail::constant_from_strings(values, shape);
  } else if constexpr (std::is_integral_v<T>) {
    return detail::constant_from_int64s(std::vector<int64_t>(values.begin(), values.end()), shape,
                                        dtype.value_or(detail::inferred_dtype<T>()));
  } else {
    std::vector<double> d;
    d.reserve(values.size());
    for (const T& v : values) d.push_back(static_cast<double>(v));
    return detail::constant_from_doubles(d, shape, dtype.value_or(detail::inferred_dtype<T>()));
  }
}
template <typename T> Tensor constant(const std::vector<T>& values, std::optional<DType> dtype = std::nullopt) {
  return constant(values, Shape{static_cast<int64_t>(values.size())}, dtype);
}
/// Wraps existing host data (copied) of the given dtype: for loaders and tests.
Tensor from_host_buffer(const void* data, const Shape& shape, DType dtype);

/// tf.fill(dims, value): value converted to dtype (float32 default).
Tensor fill(const Shape& shape, Scalar value, DType dtype = DType::kFloat32);
Tensor zeros(const Shape& shape, DType dtype = DType::kFloat32);
Tensor ones(const Shape& shape, DType dtype = DType::kFloat32);
Tensor zeros_like(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor ones_like(const Tensor& x, std::optional<DType> dtype = std::nullopt);
/// Identity matrix (num_rows, num_columns or num_rows).
Tensor eye(int64_t num_rows, std::optional<int64_t> num_columns = std::nullopt, DType dtype = DType::kFloat32);
/// tf.range(start, limit, delta): dtype from the arguments (int32 for ints, float32 otherwise).
Tensor range(Scalar start, Scalar limit, Scalar delta = 1, std::optional<DType> dtype = std::nullopt);
Tensor range(Scalar limit);
/// tf.linspace(start, stop, num): float32 unless given.
Tensor linspace(double start, double stop, int64_t num, DType dtype = DType::kFloat32);

/// tf.rank / tf.shape / tf.size as int32 tensors.
Tensor rank(const Tensor& x);
Tensor shape(const Tensor& x);
Tensor size(const Tensor& x);

namespace ops {
extern OpDef Fill, Range, Const;
struct FillAttrs : OpAttrsBase<FillAttrs> {
  Scalar value;
  explicit FillAttrs(Scalar v) : value(v) {}
};
struct RangeAttrs : OpAttrsBase<RangeAttrs> {
  double start, delta;  // element i = start + i * delta, converted to the output dtype
  int64_t istart, idelta;
};
void register_creation_ops();
}  // namespace ops

}  // namespace tapeflow
