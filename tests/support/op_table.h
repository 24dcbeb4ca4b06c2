// The op table's machinery (issue 18, PyTorch's OpInfo in spirit): an op's row names its
// reference (a long-double formula, so that it is exact to well below a float64 ulp), the dtypes
// it runs in and its error budget in ulps of the output dtype. Sample inputs cover special values
// (±0, subnormals, tiny and huge arguments, ±inf, NaN), a scalar, an empty tensor, a strided view
// and a tensor large enough for the parallel loops; the same rows run on CPU:0 (tests/core) and
// GPU:0 (tests/gpu), each against the reference, never against the other device.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tapeflow/tapeflow.h"

namespace tapeflow::testing::op_table {

using Ref = std::function<long double(long double)>;
using Fn = std::function<Tensor(const Tensor&)>;

/// The floating dtypes' significand bits (without the implicit one) and smallest normal exponent.
struct FloatFormat {
  int mantissa_bits;
  int min_exponent;
};
inline FloatFormat float_format(DType dt) {
  switch (dt) {
    case DType::kFloat64: return {52, -1022};
    case DType::kFloat32: return {23, -126};
    case DType::kFloat16: return {10, -14};
    case DType::kBFloat16: return {7, -126};
    default: return {0, 0};
  }
}

/// The spacing of dtype's numbers at v (subnormals share the smallest normal binade's exponent),
/// so that an error measured in ulps is relative for normal results and absolute in units of the
/// smallest subnormal near zero — never a blanket absolute tolerance.
inline double ulp(double v, DType dt) {
  const FloatFormat f = float_format(dt);
  const int e = v == 0 ? f.min_exponent : std::max(std::ilogb(v), f.min_exponent);
  return std::ldexp(1.0, e - f.mantissa_bits);
}

/// Rounds a reference value to dtype the way a correctly rounded kernel would (through float64,
/// then our cast, itself round-to-nearest-even), so the comparison is between two dtype values.
inline std::vector<double> round_to(const std::vector<double>& v, DType dt) {
  if (dt == DType::kFloat64) return v;
  const Tensor t = constant(v, Shape{static_cast<int64_t>(v.size())}, DType::kFloat64);
  return cast(cast(t, dt), DType::kFloat64).to_vector<double>();
}

/// Special and ordinary inputs of a floating dtype: zeros, the smallest subnormal and normal, tiny
/// arguments (where expm1/log1p/sin/tan must stay accurate), ordinary values, large arguments
/// (saturation, overflow), the largest finite, ±inf, NaN.
inline std::vector<double> special_values(DType dt) {
  const FloatFormat f = float_format(dt);
  const double min_sub = std::ldexp(1.0, f.min_exponent - f.mantissa_bits);
  const double min_norm = std::ldexp(1.0, f.min_exponent);
  const double max_finite = std::ldexp(2.0 - std::ldexp(1.0, -f.mantissa_bits), -f.min_exponent + 1);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> v = {0.0,         -0.0,
                           min_sub,     -min_sub,
                           min_norm,    -min_norm,
                           1e-30,       -1e-30,
                           1e-7,        -1e-7,
                           1e-4,        -1e-4,
                           0.1,         -0.1,
                           0.5,         -0.5,
                           1.0,         -1.0,
                           1.5,         -1.5,
                           2.5,         -2.5,
                           3.0,         -3.0,
                           6.0,         7.25,
                           -7.25,       10.0,
                           -10.0,       17.5,
                           -17.5,       30.0,
                           -30.0,       88.5,
                           -88.5,       100.0,
                           -100.0,      700.0,
                           -745.0,      1e10,
                           -1e10,       max_finite,
                           -max_finite, inf,
                           -inf,        std::numeric_limits<double>::quiet_NaN()};
  return v;
}

/// Ordinary values: n draws in [lo, hi] from a seeded generator (reproducible failures).
inline std::vector<double> uniform_values(int64_t n, double lo, double hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& x : v) x = d(gen);
  return v;
}

/// A value for a failure message, with all the digits that tell two neighbours apart.
inline std::string num(double v) {
  std::ostringstream o;
  o.precision(17);
  o << v;
  return o.str();
}

/// Compares got (any floating dtype) with exact (float64) reference values: within `ulps` ulps
/// of the reference rounded to got's dtype, plus slack[i] where given; NaN where the reference is
/// NaN; ±inf exactly. `where(i)` names element i's inputs in a failure message.
inline void expect_within_ulps(const Tensor& got, const std::vector<double>& exact, double ulps,
                               const std::string& what, const std::function<std::string(std::size_t)>& where,
                               const std::vector<double>& slack = {}) {
  const DType dt = got.dtype();
  const std::vector<double> want = round_to(exact, dt);
  const std::vector<double> g = cast(got, DType::kFloat64).contiguous().to_vector<double>();
  ASSERT_EQ(g.size(), want.size()) << what;
  int failures = 0;
  for (std::size_t i = 0; i < g.size() && failures < 5; ++i) {
    const double extra = slack.empty() ? 0.0 : slack[i];
    const bool ok = std::isnan(want[i]) ? std::isnan(g[i])
                    : std::isinf(want[i])
                        ? g[i] == want[i]
                        : !std::isnan(g[i]) && std::abs(g[i] - want[i]) <= ulps * ulp(want[i], dt) + extra;
    if (!ok) {
      ++failures;
      ADD_FAILURE() << what << " " << dtype_name(dt) << ": at " << where(i) << " got " << g[i] << ", want " << want[i]
                    << " (exact " << exact[i] << "; " << (std::abs(g[i] - want[i]) / ulp(want[i], dt))
                    << " ulps, budget " << ulps << ")";
    }
  }
}

/// Compares got with the reference at its (dtype-rounded) inputs (expect_within_ulps).
///
/// `argument_rounding`: the kernel rounds an argument of an inner function in its compute type
/// (gelu's x·(1/√2) in erfc: the constant and the product, up to one ulp each): the budget adds
/// that error's effect, |x f'(x)| times two ulps of one in the compute type (float for
/// float16/bfloat16), with f' from a long-double central difference.
inline void expect_ulps(const Tensor& got, const std::vector<double>& inputs, const Ref& ref, double ulps,
                        const std::string& what, bool argument_rounding = false) {
  const DType dt = got.dtype();
  std::vector<double> exact(inputs.size()), slack(inputs.size(), 0.0);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    exact[i] = static_cast<double>(ref(static_cast<long double>(inputs[i])));
    if (argument_rounding && std::isfinite(inputs[i]) && inputs[i] != 0) {
      const long double x = inputs[i], h = 1e-7L * std::fabs(x);
      const long double slope = (ref(x + h) - ref(x - h)) / (2 * h);
      slack[i] = static_cast<double>(std::fabs(x * slope)) * std::ldexp(1.0, dt == DType::kFloat64 ? -51 : -22);
    }
  }
  expect_within_ulps(
      got, exact, ulps, what, [&](std::size_t i) { return "x = " + num(inputs[i]); }, slack);
}

/// The dtype sets the tables run their rows in.
inline const std::vector<DType> kFloatingDTypes = {DType::kFloat64, DType::kFloat32, DType::kFloat16, DType::kBFloat16};
inline const std::vector<DType> kIntegerDTypes = {DType::kInt8, DType::kUInt8, DType::kInt32, DType::kInt64};
inline const std::vector<DType> kNumericDTypes = {DType::kFloat64, DType::kFloat32, DType::kFloat16, DType::kBFloat16,
                                                  DType::kInt8,    DType::kUInt8,   DType::kInt32,   DType::kInt64};
/// Runs check(dt, seed) for each dtype of `dtypes`, with the seeds first + step, first + 2 step,
/// ...: a table's rows get the same inputs on every device.
template <typename Check>
void for_each_dtype(const std::vector<DType>& dtypes, uint32_t first, uint32_t step, Check&& check) {
  uint32_t seed = first;
  for (DType dt : dtypes) check(dt, seed += step);
}

}  // namespace tapeflow::testing::op_table
