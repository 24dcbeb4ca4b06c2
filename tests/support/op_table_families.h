// The op table's rows of the other families (tests/support/op_table.h): cast between every pair
// of numeric dtypes and bool against an independent round-to-nearest-even (the reference the
// other rows' rounding relies on), matmul against long-double dot products (its budget: one
// rounding plus (k + 2)·eps of Σ|a||b|), softmax/log_softmax against long-double formulas. Run
// on CPU:0 by tests/core/op_table_families_test.cpp and on GPU:0 by
// tests/gpu/op_table_families_test.cpp.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tests/support/op_table_reduction.h"

namespace tapeflow::testing::op_table {

// ---- cast ----------------------------------------------------------------------------------

/// v rounded to nearest-even in a binary format of `mantissa_bits` and smallest normal exponent
/// `min_exponent` (subnormals below it), overflowing to ±inf past the largest finite value: an
/// implementation independent of the cast under test (and of the hardware's conversions).
inline double round_nearest_even(long double v, DType dt) {
  if (dt == DType::kFloat64) return static_cast<double>(v);  // the hardware's own rounding of 64 to 53 bits
  if (std::isnan(v) || std::isinf(v) || v == 0) return static_cast<double>(v);
  const FloatFormat f = float_format(dt);
  const int e = std::max(std::ilogb(v), f.min_exponent);
  const long double q = std::ldexp(1.0L, e - f.mantissa_bits);
  const long double r = std::nearbyint(v / q) * q;  // the default rounding mode: ties to even
  const long double max_finite = std::ldexp(2.0L - std::ldexp(1.0L, -f.mantissa_bits), -f.min_exponent + 1);
  if (std::fabs(r) > max_finite) return v > 0 ? HUGE_VAL : -HUGE_VAL;
  return static_cast<double>(r);
}

/// The values a cast from src to dst is checked at: src's special or edge values that dst can
/// hold (float to integer truncates toward zero; out-of-range and non-finite values are left out:
/// TF's result for them is the platform's).
inline std::vector<long double> cast_inputs(DType src, DType dst) {
  std::vector<long double> v;
  if (src == DType::kBool) return {0, 1};
  if (is_floating(src)) {
    for (double x : special_values(src)) v.push_back(x);
    for (double x :
         {0.5, -0.5, 1.5, 2.5, -2.5, 3.5, 126.7, -127.9, 200.2, 255.9, 65504.0, 65520.0, 1e5, 3.4e38, 3.5e38})
      v.push_back(x);
  } else {
    for (int64_t x : integer_values(src)) v.push_back(static_cast<long double>(x));
    v.push_back(static_cast<long double>(wrap_to((int64_t(1) << 24) + 1, src)));  // not a float32
  }
  // Round to src first (the input tensor holds src's values).
  for (long double& x : v)
    if (is_floating(src)) x = round_nearest_even(x, src);
  if (is_integer(dst)) {
    const long double lo = static_cast<long double>(integer_lowest(dst)),
                      hi = static_cast<long double>(integer_highest(dst));
    std::erase_if(v, [&](long double x) { return !std::isfinite(x) || std::trunc(x) < lo || std::trunc(x) > hi; });
  }
  return v;
}

/// Casts from src to dst on the current device, every value exact: floats round to nearest even,
/// floats to integers truncate, integers wrap, bool is `!= 0` (NaN is true).
inline void check_cast(DType src, DType dst) {
  SCOPED_TRACE(std::string("cast ") + std::string(dtype_name(src)) + " -> " + std::string(dtype_name(dst)));
  const std::vector<long double> in = cast_inputs(src, dst);
  const auto n = static_cast<int64_t>(in.size());
  Tensor x;
  if (is_integer(src) || src == DType::kBool) {
    std::vector<int64_t> iv;
    for (long double v : in) iv.push_back(static_cast<int64_t>(v));
    x = constant(iv, Shape{n}, src);
  } else {
    std::vector<double> dv(in.begin(), in.end());
    x = constant(dv, Shape{n}, src);  // values already in src: the constant's rounding is exact
  }
  const Tensor y = cast(x, dst);
  ASSERT_EQ(y.dtype(), dst);
  ASSERT_EQ(y.shape(), x.shape());
  if (is_floating(dst)) {
    const std::vector<double> got = cast(y, DType::kFloat64).to_vector<double>();
    for (std::size_t i = 0, failures = 0; i < in.size() && failures < 5; ++i) {
      const double want = round_nearest_even(in[i], dst);
      if (!(got[i] == want || (std::isnan(want) && std::isnan(got[i])))) {
        ++failures;
        ADD_FAILURE() << "at " << num(static_cast<double>(in[i])) << ": got " << num(got[i]) << ", want " << num(want);
      }
    }
    return;
  }
  const std::vector<int64_t> got = cast(y, DType::kInt64).to_vector<int64_t>();
  for (std::size_t i = 0, failures = 0; i < in.size() && failures < 5; ++i) {
    const int64_t want = dst == DType::kBool ? int64_t(in[i] != 0 || std::isnan(in[i]))
                         : is_floating(src)  ? static_cast<int64_t>(std::trunc(in[i]))
                                             : wrap_to(static_cast<int64_t>(in[i]), dst);
    if (got[i] != want) {
      ++failures;
      ADD_FAILURE() << "at " << num(static_cast<double>(in[i])) << ": got " << got[i] << ", want " << want;
    }
  }
}

// ---- matmul --------------------------------------------------------------------------------

/// matmul(a, b) of a (M, K) or (B, M, K) and b (K, N) or (B, K, N) (as stored: transposed in
/// their last two axes when asked), against long-double dot products.
inline void check_matmul(const Tensor& a, const Tensor& b, bool ta, bool tb, const std::string& layout) {
  const DType dt = a.dtype();
  SCOPED_TRACE(std::string("matmul ") + std::string(dtype_name(dt)) + " " + layout + (ta ? " transpose_a" : "") +
               (tb ? " transpose_b" : ""));
  const Tensor y = matmul(a, b, ta, tb);
  const int ra = a.shape().rank(), rb = b.shape().rank();
  const int64_t batch = ra == 3 ? a.shape()[0] : rb == 3 ? b.shape()[0] : 1;
  const int64_t m = ta ? a.shape()[ra - 1] : a.shape()[ra - 2], k = ta ? a.shape()[ra - 2] : a.shape()[ra - 1];
  const int64_t n = tb ? b.shape()[rb - 2] : b.shape()[rb - 1];
  ASSERT_EQ(y.dtype(), dt);
  ASSERT_EQ(y.shape(), ra == 3 || rb == 3 ? Shape({batch, m, n}) : Shape({m, n}));
  const std::vector<double> av = cast(a, DType::kFloat64).contiguous().to_vector<double>();
  const std::vector<double> bv = cast(b, DType::kFloat64).contiguous().to_vector<double>();
  auto at = [&](int64_t p, int64_t i, int64_t kk) {  // a's logical (p, i, kk)
    const int64_t base = ra == 3 ? p * m * k : 0;
    return av[static_cast<std::size_t>(base + (ta ? kk * m + i : i * k + kk))];
  };
  auto bt = [&](int64_t p, int64_t kk, int64_t j) {
    const int64_t base = rb == 3 ? p * k * n : 0;
    return bv[static_cast<std::size_t>(base + (tb ? j * k + kk : kk * n + j))];
  };
  const std::size_t count = static_cast<std::size_t>(batch * m * n);
  if (is_integer(dt)) {
    const std::vector<int64_t> got = cast(y, DType::kInt64).to_vector<int64_t>();
    for (std::size_t o = 0, failures = 0; o < count && failures < 5; ++o) {
      const auto p = static_cast<int64_t>(o) / (m * n), i = static_cast<int64_t>(o) / n % m,
                 j = static_cast<int64_t>(o) % n;
      uint64_t s = 0;
      for (int64_t kk = 0; kk < k; ++kk)
        s += uint64_t(static_cast<int64_t>(at(p, i, kk))) * uint64_t(static_cast<int64_t>(bt(p, kk, j)));
      const int64_t want = wrap_to(static_cast<int64_t>(s), dt);
      if (got[o] != want) {
        ++failures;
        ADD_FAILURE() << "output " << o << ": got " << got[o] << ", want " << want;
      }
    }
    return;
  }
  // Products accumulate in float (float16/bfloat16/float32) or double: each of k additions and the
  // product rounds once, relative to the running Σ|a||b|.
  const double eps = std::ldexp(1.0, dt == DType::kFloat64 ? -53 : -24);
  std::vector<double> exact(count), slack(count);
  for (std::size_t o = 0; o < count; ++o) {
    const auto p = static_cast<int64_t>(o) / (m * n), i = static_cast<int64_t>(o) / n % m,
               j = static_cast<int64_t>(o) % n;
    long double s = 0, abs_s = 0;
    for (int64_t kk = 0; kk < k; ++kk) {
      const long double t = static_cast<long double>(at(p, i, kk)) * bt(p, kk, j);
      s += t;
      abs_s += std::fabs(t);
    }
    exact[o] = static_cast<double>(s);
    slack[o] = static_cast<double>(abs_s) * static_cast<double>(k + 2) * eps;
  }
  expect_within_ulps(
      y, exact, 1.0, "matmul", [&](std::size_t o) { return "output " + std::to_string(o); }, slack);
}

inline void check_matmul_rows(DType dt, uint32_t seed) {
  auto make = [&](const Shape& s, uint32_t sd) { return ordinary_tensor(dt, s, -3, 3, sd); };
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      check_matmul(make(ta ? Shape{7, 5} : Shape{5, 7}, seed), make(tb ? Shape{3, 7} : Shape{7, 3}, seed + 1), ta, tb,
                   "(5, 7) x (7, 3)");
  check_matmul(make(Shape{2, 5, 7}, seed + 2), make(Shape{7, 3}, seed + 3), false, false, "batch (2, 5, 7) x (7, 3)");
  check_matmul(make(Shape{2, 5, 7}, seed + 2), make(Shape{2, 7, 3}, seed + 4), false, false, "batch x batch");
  check_matmul(make(Shape{3, 0}, seed), make(Shape{0, 4}, seed), false, false, "k = 0");
  check_matmul(make(Shape{0, 3}, seed), make(Shape{3, 4}, seed + 5), false, false, "m = 0");
  const Tensor wide = make(Shape{5, 14}, seed + 6);
  const Tensor strided = wide[{all, slice(std::nullopt, std::nullopt, 2)}];
  ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
  check_matmul(strided, make(Shape{7, 3}, seed + 7), false, false, "strided [:, ::2]");
  check_matmul(make(Shape{64, 300}, seed + 8), make(Shape{300, 80}, seed + 9), false, false, "large");
  if (is_floating(dt)) {
    const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    const Tensor a = cast(constant(std::vector<double>{inf, 1, nan, 2, 1, -inf}, Shape{3, 2}, DType::kFloat64), dt);
    const Tensor b = cast(constant(std::vector<double>{1, 2, 0, 3, 4, 5}, Shape{2, 3}, DType::kFloat64), dt);
    check_matmul(a, b, false, false, "inf, nan (inf * 0 is nan)");
  }
}

// ---- softmax, log_softmax ------------------------------------------------------------------

/// softmax or log_softmax of a 2-D x along axis against the stable long-double formula
/// (x - max, exp, sum, divide or subtract the log), with each step's rounding as slack.
inline void check_softmax(const Tensor& x, int axis, bool log, const std::string& layout) {
  const DType dt = x.dtype();
  SCOPED_TRACE(std::string(log ? "log_softmax " : "softmax ") + std::string(dtype_name(dt)) + " axis " +
               std::to_string(axis) + " " + layout);
  const Tensor y = log ? nn::log_softmax(x, axis) : nn::softmax(x, axis);
  ASSERT_EQ(y.dtype(), dt);
  ASSERT_EQ(y.shape(), x.shape());
  const int a = axis < 0 ? axis + x.shape().rank() : axis;
  const std::vector<double> v = cast(x, DType::kFloat64).contiguous().to_vector<double>();
  const std::vector<int64_t> line = output_index(x.shape(), {a});
  const std::size_t lines = static_cast<std::size_t>(x.shape().num_elements() / std::max<int64_t>(1, x.shape()[a]));
  const long double inf = std::numeric_limits<long double>::infinity();
  std::vector<long double> mx(lines, -inf), sum(lines, 0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    long double& m = mx[static_cast<std::size_t>(line[i])];
    m = std::isnan(m) || std::isnan(v[i]) ? std::numeric_limits<long double>::quiet_NaN()
                                          : std::max<long double>(m, v[i]);
  }
  for (std::size_t i = 0; i < v.size(); ++i)
    sum[static_cast<std::size_t>(line[i])] += std::exp(v[i] - mx[static_cast<std::size_t>(line[i])]);
  const double eps = std::ldexp(1.0, dt == DType::kFloat64 ? -53 : -24);  // float16/bfloat16 compute in float
  const double len = static_cast<double>(x.shape()[a]);
  std::vector<double> exact(v.size()), slack(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto l = static_cast<std::size_t>(line[i]);
    const long double d = v[i] - mx[l];
    const long double r = log ? d - std::log(sum[l]) : std::exp(d) / sum[l];
    exact[i] = static_cast<double>(r);
    const double scale = std::isfinite(static_cast<double>(d)) ? std::fabs(static_cast<double>(d)) : 0.0;
    slack[i] = log ? 4 * eps * (scale + std::fabs(static_cast<double>(std::log(sum[l]))) + len)
                   : 4 * eps * (scale + len) * std::fabs(static_cast<double>(r));
  }
  expect_within_ulps(
      y, exact, 2.0, log ? "log_softmax" : "softmax",
      [&](std::size_t i) { return "x = " + num(v[i]) + " (element " + std::to_string(i) + ")"; }, slack);
}

inline void check_softmax_rows(DType dt, uint32_t seed) {
  for (bool log : {false, true}) {
    const Tensor x = ordinary_tensor(dt, Shape{7, 13}, -10, 10, seed);
    check_softmax(x, -1, log, "(7, 13)");
    check_softmax(x, 0, log, "(7, 13)");
    const Tensor wide = ordinary_tensor(dt, Shape{6, 26}, -10, 10, seed + 1);
    const Tensor strided = wide[{all, slice(std::nullopt, std::nullopt, 2)}];
    ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
    check_softmax(strided, -1, log, "strided");
    check_softmax(ordinary_tensor(dt, Shape{0, 5}, -10, 10, seed), -1, log, "empty (0, 5)");
    // Rows with ±inf and NaN: an inf logit makes its row NaN (inf - inf), as TF; -inf gives 0.
    const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    check_softmax(cast(constant(std::vector<double>{-inf, 0, 1, inf, 1, 2, nan, 1, 2, 1e4, -1e4, 0}, Shape{4, 3},
                                DType::kFloat64),
                       dt),
                  -1, log, "special values");
    check_softmax(ordinary_tensor(dt, Shape{400, 257}, -10, 10, seed + 2), -1, log, "large (400, 257)");
  }
}

}  // namespace tapeflow::testing::op_table
