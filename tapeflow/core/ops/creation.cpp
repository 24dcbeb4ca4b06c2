#include "tapeflow/core/ops/creation.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "tapeflow/core/dim_unify.h"
#include "tapeflow/core/ops/copy.h"

namespace tapeflow {
namespace ops {
OpDef Fill{.name = "Fill"}, Range{.name = "Range"}, Const{.name = "Const"};
void register_creation_ops() {
  register_op(Fill);
  register_op(Range);
  register_op(Const);
}
}  // namespace ops

namespace {
/// Host tensors become constants on the device an op would run on now (TF places eager
/// constants on GPU:0 when there is one).
Tensor place_constant(Tensor host) {
  Device d = choose_device(ops::CopyToDevice, {});
  return d.is_cpu() || host.dtype() == DType::kString ? host : host.to(d);
}
void check_count(std::size_t n, const Shape& shape) {
  TF_CHECK_ARG(shape.num_elements() >= 0 && static_cast<int64_t>(n) == shape.num_elements(), "Const", "Expected ",
               shape.num_elements(), " values for shape ", shape.to_string(), ", got ", n);
}
}  // namespace

namespace detail {
Tensor constant_from_doubles(const std::vector<double>& values, const Shape& shape, DType dtype) {
  check_count(values.size(), shape);
  TF_CHECK_ARG(dtype != DType::kString, "Const", "cannot convert numbers to a string tensor");
  Tensor t = Tensor::empty(shape, dtype, kCPU0);
  visit_pod(dtype, "Const", [&]<typename T>() {
    T* p = t.data<T>();
    for (std::size_t i = 0; i < values.size(); ++i) {
      if constexpr (std::is_same_v<T, bool>)
        p[i] = values[i] != 0.0;
      else if constexpr (std::is_integral_v<T>)
        p[i] = static_cast<T>(std::trunc(values[i]));
      else if constexpr (std::is_floating_point_v<T>)
        p[i] = static_cast<T>(values[i]);
      else
        p[i] = T(static_cast<float>(values[i]));
    }
  });
  return place_constant(std::move(t));
}

Tensor constant_from_int64s(const std::vector<int64_t>& values, const Shape& shape, DType dtype) {
  check_count(values.size(), shape);
  TF_CHECK_ARG(dtype != DType::kString, "Const", "cannot convert numbers to a string tensor");
  Tensor t = Tensor::empty(shape, dtype, kCPU0);
  visit_pod(dtype, "Const", [&]<typename T>() {
    T* p = t.data<T>();
    for (std::size_t i = 0; i < values.size(); ++i) {
      if constexpr (std::is_same_v<T, bool>)
        p[i] = values[i] != 0;
      else if constexpr (std::is_arithmetic_v<T>)
        p[i] = static_cast<T>(values[i]);
      else
        p[i] = T(static_cast<float>(values[i]));
    }
  });
  return place_constant(std::move(t));
}

Tensor constant_from_strings(const std::vector<std::string>& values, const Shape& shape) {
  check_count(values.size(), shape);
  Tensor t = Tensor::empty(shape, DType::kString, kCPU0);
  std::string* p = t.data<std::string>();
  for (std::size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return t;
}
}  // namespace detail

Tensor constant(const char* s) { return detail::constant_from_strings({s}, Shape{}); }
Tensor constant(const std::string& s) { return detail::constant_from_strings({s}, Shape{}); }

Tensor from_host_buffer(const void* data, const Shape& shape, DType dtype) {
  TF_CHECK_ARG(dtype != DType::kString, "Const", "from_host_buffer does not take strings");
  Tensor t = Tensor::empty(shape, dtype, kCPU0);
  std::memcpy(t.raw_data(), data, static_cast<std::size_t>(t.size()) * dtype_size(dtype));
  return place_constant(std::move(t));
}

Tensor fill(const Shape& shape, Scalar value, DType dtype) {
  // While tracing, an unknown dimension of the trace is bound at each call (Note [Unifying unknown
  // dimensions]): tf::ones_like of a None batch.
  TF_CHECK_ARG(shape_is_bound(shape), "Fill", "dims must be non-negative, got ", shape.to_string());
  TF_CHECK_ARG(dtype != DType::kString, "Fill", "Fill of string tensors is not supported");
  TF_CHECK_ARG(value.fits(dtype), "Fill", "Cannot convert ", value.to_string(), " to EagerTensor of dtype ",
               dtype_name(dtype), value.is_integral() ? " (out of the dtype's range)" : "");
  ops::FillAttrs attrs(value);
  return dispatch1(ops::Fill, {}, &attrs, {shape, dtype});
}
Tensor zeros(const Shape& shape, DType dtype) { return fill(shape, 0, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return fill(shape, 1, dtype); }
Tensor zeros_like(const Tensor& x, std::optional<DType> dtype) {
  DeviceScope on(x.device());
  return zeros(x.shape(), dtype.value_or(x.dtype()));
}
Tensor ones_like(const Tensor& x, std::optional<DType> dtype) {
  DeviceScope on(x.device());
  return ones(x.shape(), dtype.value_or(x.dtype()));
}

namespace {
// A host tensor for an op that computes its values on the host (eye, linspace): allocated before
// any value is computed, so a huge or overflowing size is a typed error naming the op, not a
// std::vector that throws std::bad_alloc or a wrapped count that overruns its buffer.
Tensor host_tensor(const Shape& shape, DType dtype, const char* op) {
  try {
    return Tensor::empty(shape, dtype, kCPU0);
  } catch (const errors::ResourceExhaustedError& e) {
    throw errors::ResourceExhaustedError(e.message(), op);
  } catch (const errors::InvalidArgumentError& e) { throw errors::InvalidArgumentError(e.message(), op); }
}
template <typename T> T from_double(double v) {
  if constexpr (std::is_same_v<T, bool>)
    return v != 0.0;
  else if constexpr (std::is_arithmetic_v<T>)
    return static_cast<T>(v);
  else
    return T(static_cast<float>(v));
}
}  // namespace

Tensor eye(int64_t num_rows, std::optional<int64_t> num_columns, DType dtype) {
  int64_t cols = num_columns.value_or(num_rows);
  TF_CHECK_ARG(num_rows >= 0 && cols >= 0, "Eye", "num_rows and num_columns must be non-negative, got ", num_rows,
               " and ", cols);
  TF_CHECK_ARG(dtype != DType::kString, "Eye", "eye needs a numeric or bool dtype, got string");
  Tensor t = host_tensor(Shape{num_rows, cols}, dtype, "Eye");
  visit_pod(dtype, "Eye", [&]<typename T>() {
    T* p = t.data<T>();
    std::fill(p, p + t.size(), from_double<T>(0.0));
    for (int64_t i = 0; i < std::min(num_rows, cols); ++i) p[i * cols + i] = from_double<T>(1.0);
  });
  return place_constant(std::move(t));
}

// Note [Range in T's arithmetic]
// TF's Range converts start, limit and delta to the output dtype T first and then works in T:
// the element count is ceil(|(limit - start) / delta|) and element i is start + T(i) * delta, each
// operation rounded to T (Eigen's half and bfloat16 compute in float and round back). Computing in
// double and rounding once gives other last bits, and for float16/bfloat16 another count:
// tf.range(0.3, 500.0, 0.7, dtype=tf.bfloat16) has 716 elements, not 714 (checked against TF 2.21
// by the op table's Range row). The CUDA kernel uses __fmul_rn/__fadd_rn so that no FMA fuses them.
Tensor range(Scalar start, Scalar limit, Scalar delta, std::optional<DType> dtype) {
  bool all_int = start.is_integral() && limit.is_integral() && delta.is_integral();
  DType dt = dtype.value_or(all_int ? DType::kInt32 : DType::kFloat32);
  TF_CHECK_ARG(is_numeric(dt), "Range", "Range needs a numeric dtype, got ", dtype_name(dt));
  TF_CHECK_ARG(delta.to_double() != 0, "Range", "Requires delta != 0: ", delta.to_double());
  double s = start.to_double(), l = limit.to_double(), d = delta.to_double();
  TF_CHECK_ARG(!(d > 0 && s > l) && !(d < 0 && s < l), "Range", "Requires start <= limit when delta > 0: ", s, "/", l);
  // The element count in checked arithmetic: |limit - start| may not fit int64 (INT64_MIN to
  // INT64_MAX), a float quotient may be huge or NaN, and either must not reach the shape wrapped.
  int64_t n = 0;
  if (is_integer(dt)) {
    for (const Scalar* v : {&start, &limit, &delta})
      TF_CHECK_ARG(v->fits(dt), "Range", "Cannot convert ", v->to_string(), " to EagerTensor of dtype ",
                   dtype_name(dt));
    const __int128 diff = static_cast<__int128>(limit.to_int64()) - start.to_int64();
    const __int128 step = delta.to_int64();
    const __int128 count = ((diff < 0 ? -diff : diff) + (step < 0 ? -step : step) - 1) / (step < 0 ? -step : step);
    TF_CHECK_ARG(count <= INT64_MAX, "Range", "Requires ((limit - start) / delta) <= ", INT64_MAX);
    n = static_cast<int64_t>(count);
  } else {
    TF_CHECK_ARG(std::isfinite(s) && std::isfinite(l) && std::isfinite(d), "Range",
                 "Requires finite start, limit and delta, got ", s, ", ", l, ", ", d);
    // TF computes in T: start, limit and delta become T, the count is ceil(|(limit - start) /
    // delta|) in T's arithmetic (float16/bfloat16: in float, rounded to T after each operation),
    // and the kernels compute start + T(i)·delta the same way (Note [Range in T's arithmetic]).
    const double count = visit_floating(dt, "Range", [&]<typename T>() {
      using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
      const T st(s), li(l), de(d);
      s = static_cast<double>(static_cast<C>(st));
      d = static_cast<double>(static_cast<C>(de));
      const T diff(static_cast<C>(li) - static_cast<C>(st));
      const T quotient(static_cast<C>(diff) / static_cast<C>(de));
      return std::ceil(std::abs(static_cast<double>(static_cast<C>(quotient))));
    });
    TF_CHECK_ARG(count < 0x1p63, "Range",  // 2^63: the first double past INT64_MAX; false for inf and NaN
                 "Requires ((limit - start) / delta) <= ", INT64_MAX);
    n = static_cast<int64_t>(count);
  }
  ops::RangeAttrs attrs;
  attrs.start = s;
  attrs.delta = d;
  attrs.istart = start.to_int64();
  attrs.idelta = delta.to_int64();
  return dispatch1(ops::Range, {}, &attrs, {Shape{n}, dt});
}
Tensor range(Scalar limit) { return range(0, limit, 1); }

Tensor linspace(double start, double stop, int64_t num, DType dtype) {
  TF_CHECK_ARG(num > 0, "LinSpace", "Requires num > 0: ", num);
  TF_CHECK_ARG(is_floating(dtype), "LinSpace", "LinSpace needs a floating dtype, got ", dtype_name(dtype));
  Tensor t = host_tensor(Shape{num}, dtype, "LinSpace");
  const double step = num > 1 ? (stop - start) / static_cast<double>(num - 1) : 0.0;
  visit_pod(dtype, "LinSpace", [&]<typename T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < num; ++i) p[i] = from_double<T>(start + static_cast<double>(i) * step);
    if (num > 1) p[num - 1] = from_double<T>(stop);
  });
  return place_constant(std::move(t));
}

Tensor rank(const Tensor& x) { return detail::constant_from_int64s({x.ndim()}, Shape{}, DType::kInt32); }
Tensor shape(const Tensor& x) {
  return detail::constant_from_int64s(x.shape().as_vector(), Shape{x.ndim()}, DType::kInt32);
}
Tensor size(const Tensor& x) { return detail::constant_from_int64s({x.size()}, Shape{}, DType::kInt32); }

}  // namespace tapeflow

namespace tapeflow {
Tensor scalar_tensor(Scalar value, DType dtype) {
  TF_CHECK_ARG(dtype != DType::kString, "Const", "a number cannot be combined with a string tensor");
  // `tf::constant({1, 2}) * 2.5` must not compute with 2 (TF raises the same error).
  TF_CHECK_ARG(value.fits(dtype), "Const", "Cannot convert ", value.to_string(), " to EagerTensor of dtype ",
               dtype_name(dtype), value.is_integral() ? " (out of the dtype's range)" : "",
               "; cast the tensor first (tf::cast)");
  Tensor t = Tensor::empty(Shape{}, dtype, kCPU0);
  visit_pod(dtype, "Const", [&]<typename T>() { *t.data<T>() = value.to<T>(); });
  return t;
}
}  // namespace tapeflow
