// The unary elementwise ops' rows of the op table (tests/support/op_table.h): every floating row
// of core/ops/unary_table.h plus leaky_relu and gelu, each with its exact reference and its ulp
// budget per dtype, and the integer rows with wrapping references. Run on CPU:0 by
// tests/core/op_table_unary_test.cpp and on GPU:0 by tests/gpu/op_table_unary_test.cpp.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "tests/support/op_table.h"

namespace tapeflow::testing::op_table {

/// Error budgets in ulps of the output dtype: float64 and float32 kernels; float16/bfloat16
/// compute in float and round once more, so they may land one ulp of their own from the exact value.
struct Budget {
  double f64, f32, low = 1.0;
  double for_dtype(DType dt) const { return dt == DType::kFloat64 ? f64 : dt == DType::kFloat32 ? f32 : low; }
};
inline constexpr Budget kExact{0, 0, 0};  // correctly rounded by construction (neg, floor, relu...)
// One rounding (square, sqrt, 1/x). In float64 the long-double reference is itself rounded twice
// (64 then 53 bits), which is off by one ulp in about one case in 2048.
inline constexpr Budget kRounded{1, 0.5};
inline constexpr Budget kLibm{2, 2};       // one libm call
inline constexpr Budget kComposite{4, 4};  // a few libm calls and roundings (sigmoid, selu, softplus)
inline constexpr Budget kErfc{5, 3};       // glibc's erfc: up to 5 ulps in double, 3 in float

struct UnaryRow {
  std::string name;
  Fn fn;
  Ref ref;
  Budget budget;
  double lo = -10, hi = 10;        // range of the ordinary (random) inputs
  bool argument_rounding = false;  // see expect_ulps
};

inline long double sigmoid_ref(long double x) { return 1.0L / (1.0L + std::exp(-x)); }
inline long double softplus_ref(long double x) {
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

inline std::vector<UnaryRow> unary_rows() {
  using L = long double;
  const L selu_scale = 1.0507009873554804934193349852946L, selu_alpha = 1.6732632423543772848170429916717L;
  auto nan_or = [](L x, L v) { return std::isnan(x) ? x : v; };
  return {
      {"negative", [](const Tensor& x) { return negative(x); }, [](L x) { return -x; }, kExact},
      {"abs", [](const Tensor& x) { return abs(x); }, [](L x) { return std::fabs(x); }, kExact},
      {"sign", [](const Tensor& x) { return sign(x); }, [](L x) { return x > 0   ? 1.0L
                                                                         : x < 0 ? -1.0L
                                                                                 : x; }, kExact},
      {"square", [](const Tensor& x) { return square(x); }, [](L x) { return x * x; }, kRounded},
      {"reciprocal", [](const Tensor& x) { return reciprocal(x); }, [](L x) { return 1.0L / x; }, kRounded},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, [](L x) { return std::sqrt(x); }, kRounded, 0, 100},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, [](L x) { return 1.0L / std::sqrt(x); }, kLibm, 0, 100},
      {"exp", [](const Tensor& x) { return exp(x); }, [](L x) { return std::exp(x); }, kLibm, -80, 80},
      {"expm1", [](const Tensor& x) { return expm1(x); }, [](L x) { return std::expm1(x); }, kLibm},
      {"log", [](const Tensor& x) { return log(x); }, [](L x) { return std::log(x); }, kLibm, 0, 100},
      {"log1p", [](const Tensor& x) { return log1p(x); }, [](L x) { return std::log1p(x); }, kLibm, -1, 10},
      {"sin", [](const Tensor& x) { return sin(x); }, [](L x) { return std::sin(x); }, kLibm},
      {"cos", [](const Tensor& x) { return cos(x); }, [](L x) { return std::cos(x); }, kLibm},
      {"tan", [](const Tensor& x) { return tan(x); }, [](L x) { return std::tan(x); }, kLibm},
      {"tanh", [](const Tensor& x) { return tanh(x); }, [](L x) { return std::tanh(x); }, kLibm},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, sigmoid_ref, kComposite, -30, 30},
      {"floor", [](const Tensor& x) { return floor(x); }, [](L x) { return std::floor(x); }, kExact},
      {"ceil", [](const Tensor& x) { return ceil(x); }, [](L x) { return std::ceil(x); }, kExact},
      {"round", [](const Tensor& x) { return round(x); }, [](L x) { return std::nearbyint(x); }, kExact},
      {"erf", [](const Tensor& x) { return erf(x); }, [](L x) { return std::erf(x); }, kLibm, -4, 4},
      {"erfc", [](const Tensor& x) { return erfc(x); }, [](L x) { return std::erfc(x); }, kErfc, -4, 10},
      {"relu", [](const Tensor& x) { return nn::relu(x); }, [nan_or](L x) { return nan_or(x, x > 0 ? x : 0.0L); },
       kExact},
      {"relu6", [](const Tensor& x) { return nn::relu6(x); },
       [nan_or](L x) { return nan_or(x, x < 0   ? 0.0L
                                        : x > 6 ? 6.0L
                                                : x); }, kExact},
      {"elu", [](const Tensor& x) { return nn::elu(x); }, [](L x) { return x > 0 ? x : std::expm1(x); }, kLibm},
      {"selu", [](const Tensor& x) { return nn::selu(x); },
       [=](L x) { return selu_scale * (x > 0 ? x : selu_alpha * std::expm1(x)); }, kComposite},
      {"softplus", [](const Tensor& x) { return nn::softplus(x); }, softplus_ref, kComposite, -30, 30},
      {"softsign", [](const Tensor& x) { return nn::softsign(x); }, [](L x) { return x / (1.0L + std::fabs(x)); },
       kComposite},  // ±inf: NaN, as TF and PyTorch
      {"silu", [](const Tensor& x) { return nn::silu(x); }, [](L x) { return x * sigmoid_ref(x); }, kComposite, -30,
       30},
      {"leaky_relu", [](const Tensor& x) { return nn::leaky_relu(x, 0.2f); },
       [](L x) { return x > 0 ? x : static_cast<L>(0.2f) * x; }, kRounded},
      {"gelu", [](const Tensor& x) { return nn::gelu(x); },
       [](L x) { return 0.5L * x * std::erfc(-x / std::sqrt(2.0L)); }, Budget{6, 5}, -6, 6, true},
      // 0.5 x (1 + tanh(z)) = x / (1 + e^-2z), z = √(2/π) (x + 0.044715 x³): z rounds a few times.
      {"gelu_tanh", [](const Tensor& x) { return nn::gelu(x, true); },
       [](L x) {
         const L z = std::sqrt(2.0L / 3.14159265358979323846264338327950288L) * (x + 0.044715L * x * x * x);
         return x / (1.0L + std::exp(-2.0L * z));
       },
       Budget{8, 8}, -12, 6, true},
  };
}

/// Runs one row in dtype dt on the current device: special values, a scalar, an empty tensor, a
/// strided view and a large tensor (the parallel loops), each against the reference.
inline void check_unary_row(const UnaryRow& row, DType dt, uint32_t seed) {
  const double ulps = row.budget.for_dtype(dt);
  const std::string what = row.name;
  auto inputs_of = [&](const std::vector<double>& v, const Shape& s) {
    return cast(constant(v, s, DType::kFloat64), dt);
  };
  auto run = [&](const Tensor& x, const std::string& layout) {
    SCOPED_TRACE(what + " " + std::string(dtype_name(dt)) + " " + layout);
    Tensor y = row.fn(x);
    ASSERT_EQ(y.dtype(), dt);
    ASSERT_EQ(y.shape(), x.shape());
    expect_ulps(y, cast(x, DType::kFloat64).contiguous().to_vector<double>(), row.ref, ulps, what,
                row.argument_rounding);
  };
  const std::vector<double> special = special_values(dt);
  run(inputs_of(special, Shape{static_cast<int64_t>(special.size())}), "special values");
  run(inputs_of({0.75}, Shape{}), "scalar");
  run(inputs_of({}, Shape{0, 3}), "empty");
  {
    Tensor wide = inputs_of(uniform_values(17 * 26, row.lo, row.hi, seed), Shape{17, 26});
    Tensor strided = wide[{all, slice(std::nullopt, std::nullopt, 2)}];
    ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
    run(strided, "strided [:, ::2]");
  }
  run(inputs_of(uniform_values(70001, row.lo, row.hi, seed + 1), Shape{70001}), "large");
}

/// The integer rows: exact, with two's-complement wrap-around as TF (abs and negative of the
/// minimum are the minimum, square wraps).
struct IntegerRow {
  std::string name;
  Fn fn;
  std::function<int64_t(int64_t)> ref;
  bool unsigned_ok;  // uint8 accepted (Signed ops reject it)
};
inline std::vector<IntegerRow> integer_rows() {
  return {
      {"negative", [](const Tensor& x) { return negative(x); }, [](int64_t v) { return int64_t(0 - uint64_t(v)); },
       false},
      {"abs", [](const Tensor& x) { return abs(x); }, [](int64_t v) { return v < 0 ? int64_t(0 - uint64_t(v)) : v; },
       true},
      {"sign", [](const Tensor& x) { return sign(x); }, [](int64_t v) { return int64_t((v > 0) - (v < 0)); }, true},
      {"square", [](const Tensor& x) { return square(x); },
       [](int64_t v) { return int64_t(uint64_t(v) * uint64_t(v)); }, true},
      {"relu", [](const Tensor& x) { return nn::relu(x); }, [](int64_t v) { return v > 0 ? v : 0; }, true},
      {"relu6", [](const Tensor& x) { return nn::relu6(x); }, [](int64_t v) { return v < 0   ? 0
                                                                                     : v > 6 ? 6
                                                                                             : v; },
       true},
  };
}

/// Wraps v into dtype's range (two's complement), as a kernel computing in that dtype does.
inline int64_t wrap_to(int64_t v, DType dt) {
  switch (dt) {
    case DType::kInt8: return static_cast<int8_t>(static_cast<uint8_t>(v));
    case DType::kUInt8: return static_cast<uint8_t>(v);
    case DType::kInt32: return static_cast<int32_t>(static_cast<uint32_t>(v));
    default: return v;
  }
}

inline void check_integer_row(const IntegerRow& row, DType dt) {
  SCOPED_TRACE(row.name + " " + std::string(dtype_name(dt)));
  std::vector<int64_t> v = {0, 1, -1, 2, -2, 5, -5, 6, 7, -7, 11, 100, -100, 127, -128};
  if (dt == DType::kInt32) v.insert(v.end(), {INT32_MAX, INT32_MIN, 46341, -46341, 65536});
  if (dt == DType::kInt64) v.insert(v.end(), {INT64_MAX, INT64_MIN, 3037000500LL, int64_t(1) << 40});
  if (dt == DType::kUInt8) v = {0, 1, 2, 5, 6, 7, 15, 16, 100, 127, 128, 200, 255};
  for (int64_t& x : v) x = wrap_to(x, dt);
  Tensor x = constant(v, Shape{static_cast<int64_t>(v.size())}, dt);
  Tensor y = row.fn(x);
  ASSERT_EQ(y.dtype(), dt);
  std::vector<int64_t> got = cast(y, DType::kInt64).to_vector<int64_t>();
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_EQ(got[i], wrap_to(row.ref(v[i]), dt)) << "x = " << v[i];
}

/// The family's tables on the current device (a DeviceScope picks it), with the same seeds on
/// CPU:0 and GPU:0: floating rows against exact references, integer rows with TF's wrap-around.
inline void check_unary_floating_table() {
  uint32_t seed = 18000;
  for (const UnaryRow& row : unary_rows())
    for (DType dt : kFloatingDTypes) check_unary_row(row, dt, seed += 2);
}
inline void check_unary_integer_table() {
  for (const IntegerRow& row : integer_rows())
    for (DType dt : kIntegerDTypes)
      if (dt != DType::kUInt8 || row.unsigned_ok) check_integer_row(row, dt);
}

}  // namespace tapeflow::testing::op_table
