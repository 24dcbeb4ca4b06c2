// The op table's rows of the other families (tests/support/op_table.h): cast between every pair
// of numeric dtypes and bool against an independent round-to-nearest-even (the reference the
// other rows' rounding relies on), matmul against long-double dot products (its budget: one
// rounding plus (k + 2)·eps of Σ|a||b|), softmax/log_softmax and the two cross-entropies against
// long-double formulas, bias_add and its gradient, Fill and Range, the contiguous copy of strided
// views and stop_gradient bit for bit. Run
// on CPU:0 by tests/core/op_table_families_test.cpp and on GPU:0 by
// tests/gpu/op_table_families_test.cpp.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tapeflow/core/ops/copy.h"
#include "tapeflow/core/ops/fused_contraction.h"
#include "tests/support/op_table_array_ops.h"
#include "tests/support/op_table_nn.h"

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

// ---- softmax and log_softmax gradients (_SoftmaxGrad, _LogSoftmaxGrad) ----------------------

/// _SoftmaxGrad(y, dy) = (dy - Σ dy·y) y and _LogSoftmaxGrad(y, dy) = dy - e^y Σ dy over `axis`,
/// against long-double sums at y and dy as given. The budget: 2 ulps, plus the row sum's
/// rounding ((len + 4) eps Σ|term|, sequential's bound, above the kernels' lanes) carried by y
/// (or e^y), and the rounding of dy - s (or e^y, 1 ulp) in the compute type.
inline void check_softmax_grad(const Tensor& y, const Tensor& dy, int axis, bool log, const std::string& layout) {
  const DType dt = y.dtype();
  SCOPED_TRACE(std::string(log ? "_LogSoftmaxGrad " : "_SoftmaxGrad ") + std::string(dtype_name(dt)) + " " + layout);
  const Tensor dx = log ? ops::log_softmax_grad(y, dy, axis) : ops::softmax_grad(y, dy, axis);
  ASSERT_EQ(dx.dtype(), dt);
  ASSERT_EQ(dx.shape(), y.shape());
  const int a = axis < 0 ? axis + y.shape().rank() : axis;
  const std::vector<double> yv = cast(y, DType::kFloat64).contiguous().to_vector<double>();
  const std::vector<double> dv = cast(dy, DType::kFloat64).contiguous().to_vector<double>();
  const std::vector<int64_t> line = output_index(y.shape(), {a});
  const std::size_t lines = static_cast<std::size_t>(y.shape().num_elements() / std::max<int64_t>(1, y.shape()[a]));
  std::vector<long double> sum(lines, 0), abs_sum(lines, 0);
  for (std::size_t i = 0; i < yv.size(); ++i) {
    const long double t = log ? static_cast<long double>(dv[i]) : static_cast<long double>(dv[i]) * yv[i];
    sum[static_cast<std::size_t>(line[i])] += t;
    abs_sum[static_cast<std::size_t>(line[i])] += std::fabs(t);
  }
  const double eps = std::ldexp(1.0, dt == DType::kFloat64 ? -53 : -24);  // float16/bfloat16 compute in float
  const double len = static_cast<double>(y.shape()[a]);
  std::vector<double> exact(yv.size()), slack(yv.size());
  for (std::size_t i = 0; i < yv.size(); ++i) {
    const auto l = static_cast<std::size_t>(line[i]);
    const long double s = sum[l], sum_err = (len + 4) * eps * abs_sum[l];
    if (log) {
      const long double e = std::exp(static_cast<long double>(yv[i]));
      exact[i] = static_cast<double>(dv[i] - e * s);
      slack[i] = static_cast<double>(e * (sum_err + 4 * eps * std::fabs(s)) + 2 * eps * std::fabs(dv[i]));
    } else {
      exact[i] = static_cast<double>((dv[i] - s) * yv[i]);
      slack[i] = static_cast<double>(std::fabs(yv[i]) * (sum_err + 2 * eps * (std::fabs(s) + std::fabs(dv[i]))));
    }
  }
  expect_within_ulps(
      dx, exact, 2.0, log ? "_LogSoftmaxGrad" : "_SoftmaxGrad",
      [&](std::size_t i) {
        return "y = " + num(yv[i]) + ", dy = " + num(dv[i]) + " (element " + std::to_string(i) + ")";
      },
      slack);
}

inline void check_softmax_grad_rows(DType dt, uint32_t seed) {
  for (bool log : {false, true}) {
    // y as the forward makes it (each line a distribution, or its log), dy of either sign.
    auto forward = [&](const Tensor& x, int axis) { return log ? nn::log_softmax(x, axis) : nn::softmax(x, axis); };
    const Tensor x = ordinary_tensor(dt, Shape{7, 13}, -10, 10, seed);
    const Tensor dy = ordinary_tensor(dt, Shape{7, 13}, -2, 2, seed + 1);
    check_softmax_grad(forward(x, -1), dy, -1, log, "(7, 13)");
    check_softmax_grad(forward(x, 0), dy, 0, log, "(7, 13) axis 0");
    const Tensor x3 = ordinary_tensor(dt, Shape{3, 5, 4}, -10, 10, seed + 2);
    check_softmax_grad(forward(x3, 1), ordinary_tensor(dt, Shape{3, 5, 4}, -2, 2, seed + 3), 1, log,
                       "(3, 5, 4) axis 1");
    const Tensor wide = ordinary_tensor(dt, Shape{6, 26}, -2, 2, seed + 4);
    const Tensor strided = wide[{all, slice(std::nullopt, std::nullopt, 2)}];
    ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
    check_softmax_grad(forward(ordinary_tensor(dt, Shape{6, 13}, -10, 10, seed + 5), -1), strided, -1, log,
                       "strided dy");
    check_softmax_grad(ordinary_tensor(dt, Shape{0, 5}, 0, 1, seed), ordinary_tensor(dt, Shape{0, 5}, 0, 1, seed), -1,
                       log, "empty (0, 5)");
    // Special values: a -inf logit (y = 0, or -inf for log), ±inf and NaN in dy, huge dy.
    const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    const Tensor xs =
        cast(constant(std::vector<double>{-inf, 0, 1, 2, 1, 0, 0, 1, 2, 3, -3, 0}, Shape{4, 3}, DType::kFloat64), dt);
    const Tensor dys = cast(
        constant(std::vector<double>{1, -1, 2, inf, 0, 1, nan, 1, 2, 3e4, -3e4, 0.5}, Shape{4, 3}, DType::kFloat64),
        dt);
    check_softmax_grad(forward(xs, -1), dys, -1, log, "special values");
    for (int64_t n : {int64_t{64}, int64_t{257}, int64_t{3000}}) {
      const Shape s{n == 3000 ? 3 : 40, n};
      check_softmax_grad(forward(ordinary_tensor(dt, s, -10, 10, seed + 6), -1),
                         ordinary_tensor(dt, s, -2, 2, seed + 7), -1, log, "large " + s.to_string());
    }
  }
}

// ---- softmax cross-entropies ---------------------------------------------------------------

/// softmax_cross_entropy_with_logits (dense labels) and its sparse form against long-double
/// log-sum-exp: loss = Σ_j labels_j · (log Σ e^(x - max) - (x_j - max)).
inline void check_softmax_cross_entropy(const Tensor& logits, uint32_t seed, const std::string& layout) {
  const DType dt = logits.dtype();
  SCOPED_TRACE(std::string("cross-entropy ") + std::string(dtype_name(dt)) + " " + layout);
  const int64_t n = logits.shape()[0], c = logits.shape()[1];
  const std::vector<double> x = cast(logits, DType::kFloat64).contiguous().to_vector<double>();
  std::vector<long double> lse(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    long double m = -std::numeric_limits<long double>::infinity(), s = 0;
    for (int64_t j = 0; j < c; ++j) m = std::max<long double>(m, x[static_cast<std::size_t>(i * c + j)]);
    for (int64_t j = 0; j < c; ++j) s += std::exp(x[static_cast<std::size_t>(i * c + j)] - m);
    lse[static_cast<std::size_t>(i)] = m + std::log(s);
  }
  const double eps = std::ldexp(1.0, dt == DType::kFloat64 ? -53 : -24);
  // Dense labels: a random distribution per row.
  const std::vector<double> raw = uniform_values(n * c, 0, 1, seed);
  std::vector<double> lab(raw.size());
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t j = 0; j < c; ++j) s += raw[static_cast<std::size_t>(i * c + j)];
    for (int64_t j = 0; j < c; ++j)
      lab[static_cast<std::size_t>(i * c + j)] = raw[static_cast<std::size_t>(i * c + j)] / s;
  }
  const Tensor labels = cast(constant(lab, logits.shape(), DType::kFloat64), dt);
  const std::vector<double> labv = cast(labels, DType::kFloat64).to_vector<double>();  // as rounded to dt
  std::vector<double> exact(static_cast<std::size_t>(n)), slack(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    long double loss = 0, size = 0;
    for (int64_t j = 0; j < c; ++j) {
      const long double t = labv[static_cast<std::size_t>(i * c + j)] *
                            (lse[static_cast<std::size_t>(i)] - x[static_cast<std::size_t>(i * c + j)]);
      loss += t;
      size += std::fabs(t) + std::fabs(labv[static_cast<std::size_t>(i * c + j)] * lse[static_cast<std::size_t>(i)]);
    }
    exact[static_cast<std::size_t>(i)] = static_cast<double>(loss);
    slack[static_cast<std::size_t>(i)] = 4 * eps * static_cast<double>(size) * static_cast<double>(c + 2);
  }
  expect_within_ulps(
      nn::softmax_cross_entropy_with_logits(labels, logits), exact, 2.0, "SoftmaxCrossEntropyWithLogits",
      [](std::size_t i) { return "row " + std::to_string(i); }, slack);
  // Sparse labels: int32 and int64 class ids.
  for (DType it : {DType::kInt32, DType::kInt64}) {
    std::vector<int64_t> ids(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i) ids[static_cast<std::size_t>(i)] = (i * 7 + seed) % c;
    std::vector<double> want(static_cast<std::size_t>(n)), sl(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const long double xj = x[static_cast<std::size_t>(i * c + ids[static_cast<std::size_t>(i)])];
      want[static_cast<std::size_t>(i)] = static_cast<double>(lse[static_cast<std::size_t>(i)] - xj);
      sl[static_cast<std::size_t>(i)] =
          4 * eps * static_cast<double>(std::fabs(lse[static_cast<std::size_t>(i)]) + std::fabs(xj)) * (c + 2);
    }
    expect_within_ulps(
        nn::sparse_softmax_cross_entropy_with_logits(constant(ids, Shape{n}, it), logits), want, 2.0,
        "SparseSoftmaxCrossEntropyWithLogits", [](std::size_t i) { return "row " + std::to_string(i); }, sl);
  }
}

inline void check_softmax_cross_entropy_rows(DType dt, uint32_t seed) {
  check_softmax_cross_entropy(ordinary_tensor(dt, Shape{9, 11}, -8, 8, seed), seed + 1, "(9, 11)");
  const Tensor wide = ordinary_tensor(dt, Shape{6, 10}, -8, 8, seed + 2);
  const Tensor strided = wide[{all, slice(std::nullopt, std::nullopt, 2)}];
  ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
  check_softmax_cross_entropy(strided, seed + 3, "strided");
  check_softmax_cross_entropy(ordinary_tensor(dt, Shape{300, 129}, -8, 8, seed + 4), seed + 5, "large (300, 129)");
}

// ---- bias_add ------------------------------------------------------------------------------

/// bias_add(x, bias) against x + bias per channel (the last axis), correctly rounded (float16 and
/// bfloat16 add in float and round again: one ulp), integers wrapping; and bias_add_grad(dy)
/// against the long-double sum over all but the last axis.
inline void check_bias_add(const Tensor& x, const Tensor& bias, const std::string& layout) {
  const DType dt = x.dtype();
  SCOPED_TRACE(std::string("bias_add ") + std::string(dtype_name(dt)) + " " + layout);
  const Tensor y = nn::bias_add(x, bias);
  ASSERT_EQ(y.dtype(), dt);
  ASSERT_EQ(y.shape(), x.shape());
  const int64_t c = bias.shape()[0], n = x.shape().num_elements();
  const Tensor g = ops::bias_add_grad(x);
  ASSERT_EQ(g.shape(), Shape({c}));
  if (is_integer(dt)) {
    const std::vector<int64_t> xv = cast(x, DType::kInt64).contiguous().to_vector<int64_t>();
    const std::vector<int64_t> bv = cast(bias, DType::kInt64).to_vector<int64_t>();
    std::vector<int64_t> want(static_cast<std::size_t>(n)), sum(static_cast<std::size_t>(c), 0);
    for (int64_t i = 0; i < n; ++i) {
      want[static_cast<std::size_t>(i)] =
          wrap_to(xv[static_cast<std::size_t>(i)] + bv[static_cast<std::size_t>(i % c)], dt);
      sum[static_cast<std::size_t>(i % c)] =
          static_cast<int64_t>(static_cast<uint64_t>(sum[static_cast<std::size_t>(i % c)]) +
                               static_cast<uint64_t>(xv[static_cast<std::size_t>(i)]));
    }
    EXPECT_EQ(cast(y, DType::kInt64).to_vector<int64_t>(), want) << "BiasAdd";
    for (auto& s : sum) s = wrap_to(s, dt);
    EXPECT_EQ(cast(g, DType::kInt64).to_vector<int64_t>(), sum) << "BiasAddGrad";
    return;
  }
  const std::vector<double> xv = cast(x, DType::kFloat64).contiguous().to_vector<double>();
  const std::vector<double> bv = cast(bias, DType::kFloat64).to_vector<double>();
  std::vector<double> exact(static_cast<std::size_t>(n));
  std::vector<long double> sum(static_cast<std::size_t>(c), 0), abs_sum(static_cast<std::size_t>(c), 0);
  for (int64_t i = 0; i < n; ++i) {
    exact[static_cast<std::size_t>(i)] = static_cast<double>(static_cast<long double>(xv[static_cast<std::size_t>(i)]) +
                                                             bv[static_cast<std::size_t>(i % c)]);
    sum[static_cast<std::size_t>(i % c)] += xv[static_cast<std::size_t>(i)];
    abs_sum[static_cast<std::size_t>(i % c)] += std::fabs(xv[static_cast<std::size_t>(i)]);
  }
  const bool half = dt == DType::kFloat16 || dt == DType::kBFloat16;
  expect_within_ulps(y, exact, half ? 1.0 : 0.0, "BiasAdd",
                     [](std::size_t i) { return "element " + std::to_string(i); });
  const double eps = std::ldexp(1.0, dt == DType::kFloat64 ? -53 : -24);
  std::vector<double> gexact(static_cast<std::size_t>(c)), slack(static_cast<std::size_t>(c));
  for (int64_t j = 0; j < c; ++j) {
    gexact[static_cast<std::size_t>(j)] = static_cast<double>(sum[static_cast<std::size_t>(j)]);
    slack[static_cast<std::size_t>(j)] = static_cast<double>(abs_sum[static_cast<std::size_t>(j)]) * eps *
                                         static_cast<double>(n / std::max<int64_t>(c, 1) + 2);
  }
  expect_within_ulps(
      g, gexact, 1.0, "BiasAddGrad", [](std::size_t j) { return "channel " + std::to_string(j); }, slack);
}

inline void check_bias_add_rows(DType dt, uint32_t seed) {
  auto make = [&](const Shape& s, uint32_t sd) { return ordinary_tensor(dt, s, -100, 100, sd); };
  check_bias_add(make({5, 7}, seed), make({7}, seed + 1), "(5, 7)");
  check_bias_add(make({2, 3, 4, 6}, seed + 2), make({6}, seed + 3), "NHWC (2, 3, 4, 6)");
  const Tensor wide = make({5, 14}, seed + 4);
  const Tensor strided = wide[{all, slice(std::nullopt, std::nullopt, 2)}];
  ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
  check_bias_add(strided, make({7}, seed + 5), "strided [:, ::2]");
  check_bias_add(make({0, 4}, seed), make({4}, seed + 6), "empty (0, 4)");
  check_bias_add(make({3000, 37}, seed + 7), make({37}, seed + 8), "large (3000, 37)");
  if (is_floating(dt)) {
    const Tensor s = special_rows(dt);  // (m, 3): every special value against the others'
    check_bias_add(s,
                   cast(constant(std::vector<double>{-0.0, std::numeric_limits<double>::infinity(), 1e-30}, Shape{3},
                                 DType::kFloat64),
                        dt),
                   "special values");
  }
}

// ---- creation: Fill, Range ----------------------------------------------------------------

/// fill(shape, v) holds v in every element, bit for bit; range(start, limit, delta) holds
/// start + i·delta with TF's count ceil((limit - start) / delta): integers exactly, floats bit for
/// bit as TF computes them in their own dtype (checked against TF 2.21, which gives
/// tf.range(0.3, 500.0, 0.7, dtype=tf.bfloat16) 716 elements).
inline void check_creation_rows(DType dt) {
  SCOPED_TRACE(std::string(dtype_name(dt)));
  const std::vector<double> values =
      is_floating(dt)       ? std::vector<double>{-0.0, 1.5, -3.25, std::numeric_limits<double>::infinity(), 1e-30}
      : dt == DType::kBool  ? std::vector<double>{0, 1}
      : dt == DType::kUInt8 ? std::vector<double>{0, 255, 7}
                            : std::vector<double>{-128, 127, 0, -7};
  // A number of the dtype's kind: TF refuses a float for an integer tensor.
  auto scalar_of = [&](double v) {
    return is_floating(dt) ? Scalar(v) : dt == DType::kBool ? Scalar(v != 0) : Scalar(static_cast<int64_t>(v));
  };
  for (double v : values)
    for (const Shape& shape : {Shape{}, Shape{0, 3}, Shape{3, 4}, Shape{70000}}) {
      const Tensor t = fill(shape, scalar_of(v), dt);
      ASSERT_EQ(t.dtype(), dt);
      ASSERT_EQ(t.shape(), shape);
      const Tensor want = cast(constant(v, DType::kFloat64), dt);
      const std::vector<int64_t> keys = value_keys(t), key = value_keys(want);
      for (std::size_t i = 0; i < keys.size(); ++i)
        if (keys[i] != key[0]) {
          ADD_FAILURE() << "Fill " << num(v) << " " << shape << ": element " << i << " differs";
          break;
        }
    }
  if (dt == DType::kBool) return;
  struct R {
    double start, limit, delta;
  };
  const std::vector<R> ranges =
      is_floating(dt)       ? std::vector<R>{{0, 10, 1}, {-3, 7, 0.75},   {10, -10, -1.5}, {0.1, 1.05, 0.1},
                                             {5, 5, 1},  {0, 2000, 0.25}, {0.3, 500, 0.7}, {1000, 0, -3.3}}
      : dt == DType::kUInt8 ? std::vector<R>{{0, 10, 1}, {3, 250, 7}, {5, 5, 1}, {0, 255, 2}}
                            : std::vector<R>{{0, 10, 1}, {-100, 100, 7}, {100, -101, -9}, {5, 5, 1}};
  for (const R& r : ranges) {
    SCOPED_TRACE("range(" + num(r.start) + ", " + num(r.limit) + ", " + num(r.delta) + ")");
    const Tensor t = range(scalar_of(r.start), scalar_of(r.limit), scalar_of(r.delta), dt);
    ASSERT_EQ(t.dtype(), dt);
    if (is_integer(dt)) {
      const auto count = static_cast<int64_t>(std::ceil((static_cast<long double>(r.limit) - r.start) / r.delta));
      ASSERT_EQ(t.shape(), Shape({std::max<int64_t>(count, 0)}));
      std::vector<int64_t> want(static_cast<std::size_t>(t.shape()[0]));
      for (std::size_t i = 0; i < want.size(); ++i)
        want[i] = static_cast<int64_t>(r.start + static_cast<double>(i) * r.delta);
      EXPECT_EQ(cast(t, DType::kInt64).to_vector<int64_t>(), want);
      continue;
    }
    // TF's definition, in dt's arithmetic: every operand and every result rounded to dt
    // (Note [Range in T's arithmetic]); the rounding is this file's own round_nearest_even.
    auto rne = [&](long double v) -> long double { return round_nearest_even(v, dt); };
    const long double s = rne(r.start), l = rne(r.limit), d = rne(r.delta);
    const auto count = static_cast<int64_t>(std::ceil(std::fabs(rne(rne(l - s) / d))));
    ASSERT_EQ(t.shape(), Shape({count}));
    std::vector<double> want(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < want.size(); ++i)
      want[i] = static_cast<double>(rne(s + rne(rne(static_cast<long double>(i)) * d)));
    expect_within_ulps(t, want, 0.0, "Range", [](std::size_t i) { return "element " + std::to_string(i); });
  }
}

// ---- copies: Copy (a strided view made contiguous), StopGradient, Identity ----------------

/// The contiguous copy of strided views (the Copy op, by `contiguous()`) and stop_gradient keep
/// every value bit for bit, in every dtype.
inline void check_copy_rows(DType dt, uint32_t seed) {
  SCOPED_TRACE(std::string(dtype_name(dt)));
  for (const Shape& shape : {Shape{4, 6, 10}, Shape{64, 129, 18}, Shape{3, 0, 8}}) {
    const Tensor wide = distinct_tensor(dt, shape, seed++);
    const Tensor view = wide[{all, slice(std::nullopt, std::nullopt, -1), slice(1, std::nullopt, 2)}];
    ASSERT_FALSE(view.is_contiguous() && view.size() > 0) << "the view must really be strided";
    const Tensor copy = view.contiguous();
    EXPECT_TRUE(copy.is_contiguous());
    // The reference: element (i, j, k) of the view is wide's (i, H-1-j, 1 + 2k).
    const std::vector<int64_t> src = value_keys(wide);
    std::vector<int64_t> map;
    for (int64_t i = 0; i < view.shape()[0]; ++i)
      for (int64_t j = 0; j < view.shape()[1]; ++j)
        for (int64_t k = 0; k < view.shape()[2]; ++k) map.push_back(ravel({i, shape[1] - 1 - j, 1 + 2 * k}, shape));
    expect_moved(copy, dt, view.shape(), src, map, "Copy");
    // _CopyToDevice's kernel (Tensor::to between devices), through the door to CPU:0 and to the
    // current device (GPU:0 in the GPU suite), from the strided view.
    std::vector<Device> targets = {Device("CPU:0")};
    if (wide.device() != targets[0]) targets.push_back(wide.device());
    for (const Device& to : targets) {
      const Tensor moved =
          dispatch1(ops::CopyToDevice, std::span<const Tensor>(&view, 1), nullptr, OutputSpec{view.shape(), dt}, to);
      ASSERT_EQ(moved.device(), to);
      expect_moved(moved, dt, view.shape(), src, map, "_CopyToDevice to " + to.str());
    }
    std::vector<int64_t> all_of(static_cast<std::size_t>(shape.num_elements()));
    for (std::size_t i = 0; i < all_of.size(); ++i) all_of[i] = static_cast<int64_t>(i);
    expect_moved(stop_gradient(wide), dt, shape, src, all_of, "StopGradient");
  }
}

// ---- the fused contractions: _FusedMatMul, _FusedConv2D ----------------------------------------

/// fused_matmul(a, b, bias, relu) and fused_conv2d(x, f, bias, relu) against long-double sums of
/// their products plus the bias, then relu; the budget of matmul's and conv's rows plus the bias's
/// one rounding.
inline void check_fused_contraction_rows(DType dt, uint32_t seed) {
  SCOPED_TRACE(std::string("fused contraction ") + std::string(dtype_name(dt)));
  const double eps = std::ldexp(1.0, dt == DType::kFloat64 ? -53 : -24);
  auto expect_rows = [&](const Tensor& got, const std::vector<long double>& sum, const std::vector<long double>& size,
                         int64_t terms, bool relu, const std::string& what) {
    std::vector<double> exact(sum.size()), slack(sum.size());
    for (std::size_t i = 0; i < sum.size(); ++i) {
      exact[i] = static_cast<double>(relu ? std::max<long double>(sum[i], 0) : sum[i]);
      slack[i] = static_cast<double>(size[i]) * static_cast<double>(terms + 3) * eps;
    }
    expect_within_ulps(
        got, exact, 1.0, what, [](std::size_t i) { return "element " + std::to_string(i); }, slack);
  };
  for (bool relu : {false, true}) {
    for (bool ta : {false, true}) {
      const int64_t m = 6, k = 9, n = 5;
      const Tensor a = ordinary_tensor(dt, ta ? Shape{k, m} : Shape{m, k}, -3, 3, seed++);
      const Tensor b = ordinary_tensor(dt, Shape{k, n}, -3, 3, seed++);
      const Tensor bias = ordinary_tensor(dt, Shape{n}, -3, 3, seed++);
      ops::MatMulAttrs attrs;
      attrs.transpose_a = ta;
      const Tensor y = ops::fused_matmul(a, b, bias, attrs, relu);
      ASSERT_EQ(y.shape(), Shape({m, n}));
      const std::vector<double> av = values_of(a), bv = values_of(b), cv = values_of(bias);
      std::vector<long double> sum(static_cast<std::size_t>(m * n)), size(sum.size());
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          long double acc = cv[static_cast<std::size_t>(j)], abs_acc = std::fabs(acc);
          for (int64_t kk = 0; kk < k; ++kk) {
            const long double t = static_cast<long double>(av[static_cast<std::size_t>(ta ? kk * m + i : i * k + kk)]) *
                                  bv[static_cast<std::size_t>(kk * n + j)];
            acc += t;
            abs_acc += std::fabs(t);
          }
          sum[static_cast<std::size_t>(i * n + j)] = acc;
          size[static_cast<std::size_t>(i * n + j)] = abs_acc;
        }
      expect_rows(y, sum, size, k, relu,
                  std::string("_FusedMatMul") + (relu ? " relu" : "") + (ta ? " transpose_a" : ""));
    }
    for (const std::string padding : {"SAME", "VALID"}) {
      const Tensor x = ordinary_tensor(dt, Shape{2, 7, 6, 3}, -2, 2, seed++);
      const Tensor f = ordinary_tensor(dt, Shape{3, 2, 3, 4}, -2, 2, seed++);
      const Tensor bias = ordinary_tensor(dt, Shape{4}, -2, 2, seed++);
      ops::Conv2DAttrs attrs;
      attrs.strides[0] = attrs.strides[1] = 2;
      attrs.padding = padding == "SAME" ? ops::Padding::kSame : ops::Padding::kValid;
      const Tensor y = ops::fused_conv2d(x, f, bias, attrs, relu);
      const ConvGeometry g = conv_geometry(x.shape(), f.shape(), 2, 1, padding);
      ASSERT_EQ(y.shape(), Shape({g.n, g.h.out, g.w.out, g.o}));
      const std::vector<double> xv = values_of(x), fv = values_of(f), cv = values_of(bias);
      std::vector<long double> sum(static_cast<std::size_t>(y.shape().num_elements())), size(sum.size());
      for (std::size_t o = 0; o < sum.size(); ++o) {
        sum[o] = cv[o % static_cast<std::size_t>(g.o)];
        size[o] = std::fabs(sum[o]);
      }
      for_each_conv_term(g, [&](int64_t xi, int64_t fi, int64_t oi) {
        const long double t =
            static_cast<long double>(xv[static_cast<std::size_t>(xi)]) * fv[static_cast<std::size_t>(fi)];
        sum[static_cast<std::size_t>(oi)] += t;
        size[static_cast<std::size_t>(oi)] += std::fabs(t);
      });
      expect_rows(y, sum, size, 3 * 2 * 3, relu, "_FusedConv2D " + padding + (relu ? " relu" : ""));
    }
    // A NaN in a's first row makes y's first row NaN with Relu too, as the unfused Relu keeps
    // NaN (cuBLASLt's RELU_BIAS epilogue would give 0: the GPU kernel applies Relu on its own).
    std::vector<double> av = values_of(ordinary_tensor(dt, Shape{3, 4}, -3, 3, seed++));
    av[1] = std::numeric_limits<double>::quiet_NaN();
    const Tensor a = cast(constant(av, Shape{3, 4}, DType::kFloat64), dt);
    const Tensor b = ordinary_tensor(dt, Shape{4, 5}, -3, 3, seed++);
    const Tensor bias = ordinary_tensor(dt, Shape{5}, -3, 3, seed++);
    const std::vector<double> got = values_of(ops::fused_matmul(a, b, bias, ops::MatMulAttrs{}, relu));
    for (std::size_t i = 0; i < got.size(); ++i)
      EXPECT_EQ(std::isnan(got[i]), i < 5) << "_FusedMatMul" << (relu ? " relu" : "") << " with a NaN, element " << i;
  }
}

// ---- ops run by graphs and the tape: If, While, PartitionedCall, CustomGradient -------------

/// Inside a Function, tf::cond is an If node and tf::while_loop a While node; a Function called
/// under a tape is a PartitionedCall; tf::custom_gradient records a CustomGradient op. Each is
/// checked against the same arithmetic done here in the dtype (every operation rounded to it by
/// round_nearest_even), bit for bit.
inline void check_graph_op_rows(DType dt, uint32_t seed) {
  SCOPED_TRACE(std::string("graph ops ") + std::string(dtype_name(dt)));
  auto rne = [&](long double v) { return is_floating(dt) ? round_nearest_even(v, dt) : static_cast<double>(v); };
  // Positive values (integers 1 to 11), so that sum(x) > 0 picks the then branch and -x the else.
  const Tensor x =
      is_floating(dt) ? ordinary_tensor(dt, Shape{11}, 0.25, 1.5, seed) : cast(range(Scalar(1), Scalar(12)), dt);
  const std::vector<double> xv = values_of(x);
  auto expect_exact = [&](const Tensor& got, const std::vector<double>& want, const std::string& what) {
    ASSERT_EQ(got.dtype(), dt) << what;
    EXPECT_EQ(values_of(got), want) << what;
  };
  // If: x * x when sum(x) > 0, else -x.
  auto branchy = function([](const Tensor& t) -> Tensor {
    return cond(
        reduce_sum(t) > cast(constant(0), t.dtype()), [&] { return Value(t * t); }, [&] { return Value(negative(t)); });
  });
  std::vector<double> sq(xv.size()), neg(xv.size());
  for (std::size_t i = 0; i < xv.size(); ++i) sq[i] = rne(static_cast<long double>(xv[i]) * xv[i]), neg[i] = -xv[i];
  expect_exact(branchy(x).tensor(), sq, "If (then branch)");
  expect_exact(branchy(negative(x)).tensor(), xv, "If (else branch)");
  // While: five steps of acc = acc * x + 1 (Horner's rule), the count in int32.
  auto horner = function([](const Tensor& t) -> Tensor {
    return while_loop([](const std::vector<Tensor>& v) { return v[0] < constant(5); },
                      [&](const std::vector<Tensor>& v) {
                        return std::vector<Tensor>{v[0] + constant(1), v[1] * t + cast(constant(1), t.dtype())};
                      },
                      {constant(0), zeros_like(t)})[1];
  });
  std::vector<double> h(xv.size(), 0.0);
  for (int step = 0; step < 5; ++step)
    for (std::size_t i = 0; i < xv.size(); ++i)
      h[i] = rne(static_cast<long double>(rne(static_cast<long double>(h[i]) * xv[i])) + 1);
  expect_exact(horner(x).tensor(), h, "While");
  // PartitionedCall: a Function called under a tape.
  auto affine = function([](const Tensor& t) -> Tensor { return t * t + t; });
  {
    GradientTape tape;
    tape.watch(x);
    std::vector<double> want(xv.size());
    for (std::size_t i = 0; i < xv.size(); ++i) want[i] = rne(static_cast<long double>(sq[i]) + xv[i]);
    expect_exact(affine(x).tensor(), want, "PartitionedCall");
  }
  // CustomGradient: forward x * x, gradient 3 * upstream.
  if (is_floating(dt)) {
    auto f = custom_gradient([](const Tensor& t) {
      return std::pair{t * t, [](const Tensor& dy) { return dy * cast(constant(3), dy.dtype()); }};
    });
    GradientTape tape;
    tape.watch(x);
    const Tensor y = f(x);
    tape.stop();
    expect_exact(y, sq, "CustomGradient");
    expect_exact(*tape.gradient(y, x), std::vector<double>(xv.size(), 3.0), "CustomGradient's gradient");
  }
}

// ---- predicates, select, where, top_k, the strided slice's gradient -------------------------

/// is_nan, is_inf, is_finite over every special value against the C library's classification of
/// the same (dtype-rounded) values; logical_not of bool tensors, strided included.
inline void check_predicate_rows(DType dt) {
  SCOPED_TRACE(std::string("predicates ") + std::string(dtype_name(dt)));
  const Tensor x =
      cast(constant(special_values(dt), Shape{static_cast<int64_t>(special_values(dt).size())}, DType::kFloat64), dt);
  const std::vector<double> v = values_of(x);
  auto expect_bools = [&](const Tensor& got, const std::function<bool(double)>& want, const std::string& what) {
    ASSERT_EQ(got.dtype(), DType::kBool) << what;
    const std::vector<int64_t> g = cast(got, DType::kInt64).to_vector<int64_t>();
    for (std::size_t i = 0; i < v.size(); ++i) EXPECT_EQ(g[i] != 0, want(v[i])) << what << " at x = " << num(v[i]);
  };
  expect_bools(
      is_nan(x), [](double a) { return std::isnan(a); }, "IsNan");
  expect_bools(
      is_inf(x), [](double a) { return std::isinf(a); }, "IsInf");
  expect_bools(
      is_finite(x), [](double a) { return std::isfinite(a); }, "IsFinite");
}

inline void check_logical_not_rows(uint32_t seed) {
  for (const Shape& shape : {Shape{}, Shape{0}, Shape{7, 9}, Shape{300, 257}}) {
    const Tensor b = distinct_tensor(DType::kBool, shape, seed++);
    const std::vector<int64_t> bv = value_keys(b);
    std::vector<int64_t> want(bv.size());
    for (std::size_t i = 0; i < bv.size(); ++i) want[i] = !bv[i];
    EXPECT_EQ(value_keys(logical_not(b)), want) << "LogicalNot " << shape;
  }
  const Tensor wide = distinct_tensor(DType::kBool, Shape{5, 12}, seed);
  const Tensor strided = wide[{all, slice(std::nullopt, std::nullopt, 3)}];
  ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
  const std::vector<int64_t> sv = value_keys(strided);
  std::vector<int64_t> want(sv.size());
  for (std::size_t i = 0; i < sv.size(); ++i) want[i] = !sv[i];
  EXPECT_EQ(value_keys(logical_not(strided)), want) << "LogicalNot strided";
}

/// where(cond, x, y) (SelectV2, broadcasting all three) bit for bit against the index maps, and
/// where(cond) (Where) against the row-major coordinates of the true elements.
inline void check_select_where_rows(DType dt, uint32_t seed) {
  SCOPED_TRACE(std::string("select/where ") + std::string(dtype_name(dt)));
  const Shape out{3, 4, 5};
  const Tensor cond = distinct_tensor(DType::kBool, Shape{3, 1, 5}, seed);
  const Tensor x = distinct_tensor(dt, out, seed + 1);
  const Tensor y = distinct_tensor(dt, Shape{1, 4, 1}, seed + 2);
  const std::vector<int64_t> cv = value_keys(cond), xv = value_keys(x), yv = value_keys(y);
  std::vector<int64_t> want;
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 4; ++j)
      for (int64_t k = 0; k < 5; ++k)
        want.push_back(cv[static_cast<std::size_t>(i * 5 + k)] ? xv[static_cast<std::size_t>((i * 4 + j) * 5 + k)]
                                                               : yv[static_cast<std::size_t>(j)]);
  const Tensor got = where(cond, x, y);
  ASSERT_EQ(got.shape(), out);
  EXPECT_EQ(value_keys(got), want) << "SelectV2";
  // A strided x and a scalar y.
  const Tensor wide = distinct_tensor(dt, Shape{3, 4, 10}, seed + 3);
  const Tensor strided = wide[{all, all, slice(std::nullopt, std::nullopt, 2)}];
  ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
  const Tensor scalar = distinct_tensor(dt, Shape{}, seed + 4);
  const std::vector<int64_t> sv = value_keys(strided), sc = value_keys(scalar);
  std::vector<int64_t> want2;
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 4; ++j)
      for (int64_t k = 0; k < 5; ++k)
        want2.push_back(cv[static_cast<std::size_t>(i * 5 + k)] ? sv[static_cast<std::size_t>((i * 4 + j) * 5 + k)]
                                                                : sc[0]);
  EXPECT_EQ(value_keys(where(cond, strided, scalar)), want2) << "SelectV2 strided, scalar";
  // All three of one shape, contiguous: the rows the CPU selects by bit masks.
  const Shape flat{7, 300};
  const Tensor fc = distinct_tensor(DType::kBool, flat, seed + 6), fx = distinct_tensor(dt, flat, seed + 7),
               fy = distinct_tensor(dt, flat, seed + 8);
  const std::vector<int64_t> fcv = value_keys(fc), fxv = value_keys(fx), fyv = value_keys(fy);
  std::vector<int64_t> want3(fcv.size());
  for (std::size_t i = 0; i < want3.size(); ++i) want3[i] = fcv[i] ? fxv[i] : fyv[i];
  EXPECT_EQ(value_keys(where(fc, fx, fy)), want3) << "SelectV2 contiguous, same shapes";
  // Where: coordinates of the true (nonzero) elements of a large condition.
  const Tensor big = distinct_tensor(DType::kBool, Shape{70, 33, 3}, seed + 5);
  const std::vector<int64_t> bv = value_keys(big);
  std::vector<int64_t> coords;
  for (int64_t i = 0; i < static_cast<int64_t>(bv.size()); ++i)
    if (bv[static_cast<std::size_t>(i)]) coords.insert(coords.end(), {i / 99, i / 3 % 33, i % 3});
  const Tensor idx = where(big);
  ASSERT_EQ(idx.dtype(), DType::kInt64);
  ASSERT_EQ(idx.shape(), Shape({static_cast<int64_t>(coords.size() / 3), 3}));
  EXPECT_EQ(idx.to_vector<int64_t>(), coords) << "Where";
  EXPECT_EQ(where(distinct_tensor(DType::kBool, Shape{0, 4}, seed)).shape(), Shape({0, 2}))
      << "Where of an empty tensor";
}

/// top_k(x, k) along the last axis: the k largest values, largest first, ties to the lower index
/// (TF's rule), against a stable sort; k = 0 and k = n included.
inline void check_top_k_rows(DType dt, uint32_t seed) {
  SCOPED_TRACE(std::string("top_k ") + std::string(dtype_name(dt)));
  // Values drawn from a few levels so that ties are frequent.
  std::mt19937 gen(seed);
  const int64_t rows = 6, n = 17;
  std::vector<double> v(static_cast<std::size_t>(rows * n));
  for (double& a : v)
    a = is_floating(dt) ? static_cast<double>(gen() % 9) - 4.5
                        : static_cast<double>(gen() % 9) + (dt == DType::kUInt8 ? 0 : -4);
  if (is_floating(dt)) v[3] = std::numeric_limits<double>::infinity(), v[20] = -std::numeric_limits<double>::infinity();
  const Tensor x = cast(constant(v, Shape{rows, n}, DType::kFloat64), dt);
  const std::vector<double> xv = values_of(x);
  for (int k : {0, 1, 5, static_cast<int>(n)}) {
    const TopK got = top_k(x, k);
    ASSERT_EQ(got.values.shape(), Shape({rows, k}));
    ASSERT_EQ(got.indices.dtype(), DType::kInt32);
    std::vector<double> want_v;
    std::vector<int32_t> want_i;
    for (int64_t r = 0; r < rows; ++r) {
      std::vector<int32_t> order(static_cast<std::size_t>(n));
      for (int32_t j = 0; j < n; ++j) order[static_cast<std::size_t>(j)] = j;
      std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
        return xv[static_cast<std::size_t>(r * n + a)] > xv[static_cast<std::size_t>(r * n + b)];
      });
      for (int j = 0; j < k; ++j) {
        want_i.push_back(order[static_cast<std::size_t>(j)]);
        want_v.push_back(xv[static_cast<std::size_t>(r * n + order[static_cast<std::size_t>(j)])]);
      }
    }
    EXPECT_EQ(values_of(got.values), want_v) << "TopKV2 values, k = " << k;
    EXPECT_EQ(got.indices.to_vector<int32_t>(), want_i) << "TopKV2 indices, k = " << k;
  }
}

/// The gradient of a strided slice (StridedSliceGrad, through the tape): dy scattered into zeros
/// at the slice's positions, every other element 0, bit for bit.
inline void check_strided_slice_grad_rows(DType dt, uint32_t seed) {
  SCOPED_TRACE(std::string("strided slice grad ") + std::string(dtype_name(dt)));
  const Shape shape{4, 6, 5};
  const Tensor x = ordinary_tensor(dt, shape, -3, 3, seed);
  const std::vector<Slice> slices = {slice(std::nullopt, std::nullopt, -1), slice(1, std::nullopt, 2), slice(-4, -1)};
  GradientTape tape;
  tape.watch(x);
  const Tensor y = x[std::vector<Index>(slices.begin(), slices.end())];
  tape.stop();
  const Tensor dy = ordinary_tensor(dt, y.shape(), -3, 3, seed + 1);
  const std::optional<Tensor> dx = tape.gradient(y, x, {.output_gradients = {dy}});
  ASSERT_TRUE(dx.has_value());
  const std::vector<int64_t> i0 = slice_indices(slices[0], shape[0]), i1 = slice_indices(slices[1], shape[1]),
                             i2 = slice_indices(slices[2], shape[2]);
  const std::vector<double> dyv = values_of(dy);
  std::vector<double> want(static_cast<std::size_t>(shape.num_elements()), 0.0);
  std::size_t o = 0;
  for (int64_t a : i0)
    for (int64_t b : i1)
      for (int64_t c : i2) want[static_cast<std::size_t>(ravel({a, b, c}, shape))] = dyv[o++];
  expect_within_ulps(*dx, want, 0.0, "StridedSliceGrad", [](std::size_t i) { return "element " + std::to_string(i); });
}

}  // namespace tapeflow::testing::op_table
