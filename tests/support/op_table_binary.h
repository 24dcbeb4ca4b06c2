// The binary elementwise ops' rows of the op table (tests/support/op_table.h): every row of
// core/ops/binary_table.h (and the aliases mod, truediv), each with an exact long-double
// reference for the floating dtypes, an exact 128-bit reference with TF's wrap-around for the
// integers, and its ulp budget per dtype. Sample inputs: every pair of special values (NaN and
// ±inf propagation, signed zeros, subnormals, overflow), broadcasting both ways, scalars, empty
// tensors, strided views and a large tensor for the parallel loops. Run on CPU:0 by
// tests/core/op_table_binary_test.cpp and on GPU:0 by tests/gpu/op_table_binary_test.cpp.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tests/support/op_table_unary.h"

namespace tapeflow::testing::op_table {

__extension__ typedef __int128 Int128;

using Fn2 = std::function<Tensor(const Tensor&, const Tensor&)>;
/// A floating row's exact reference; `compute` is the dtype the kernel computes in (float for
/// float16/bfloat16), for a row whose TF kernel rounds an intermediate (floordiv's quotient).
using Ref2 = std::function<long double(long double, long double, DType compute)>;
/// An integer row's exact reference; the result wraps to the dtype (wrap_to) afterwards.
using IntRef2 = std::function<Int128(Int128, Int128)>;

struct BinaryRow {
  std::string name;
  Fn2 fn;
  Ref2 ref;                  // null: no floating dtypes
  Budget budget;             // of the floating dtypes
  IntRef2 int_ref;           // null: no integer dtypes
  bool bool_out = false;     // comparisons: bool output, compared exactly
  double lo = -10, hi = 10;  // range of the ordinary (random) inputs
  double b_lo = -10, b_hi = 10;
  // Integer divisors of 0 (floordiv, floormod) and negative exponents (pow) are errors on CPU
  // (checked by IntegerEdgeCasesAreErrors) and TF's GPU values: the value sweep leaves them out.
  bool b_nonzero = false, b_nonnegative = false;
};

/// a^b modulo 2^64 by squaring, as the kernel wraps (b >= 0).
inline Int128 wrapping_pow(Int128 a, Int128 b) {
  uint64_t r = 1, x = static_cast<uint64_t>(a);
  for (auto e = static_cast<uint64_t>(b); e > 0; e >>= 1) {
    if (e & 1) r *= x;
    x *= x;
  }
  return static_cast<Int128>(static_cast<int64_t>(r));
}
inline Int128 floor_div(Int128 a, Int128 b) {
  Int128 q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}
inline Int128 floor_mod(Int128 a, Int128 b) {
  Int128 r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}
/// x rounded to the compute dtype (TF's floordiv floors the quotient rounded there).
inline long double in_compute(long double x, DType compute) {
  return compute == DType::kFloat64 ? static_cast<long double>(static_cast<double>(x))
                                    : static_cast<long double>(static_cast<float>(x));
}
inline long double nan_or(long double a, long double b, long double v) {
  return std::isnan(a) ? a : std::isnan(b) ? b : v;
}

inline std::vector<BinaryRow> binary_rows() {
  using L = long double;
  using I = Int128;
  auto cmp = [](auto f) { return [f](L a, L b, DType) { return f(a, b) ? 1.0L : 0.0L; }; };
  auto icmp = [](auto f) { return [f](I a, I b) { return f(a, b) ? I(1) : I(0); }; };
  const Budget kQuotientFloor{1, 0, 0};   // floor of the quotient rounded as the kernel's
  const Budget kRoundedSum{1, 0.5, 1.0};  // fmod is exact, then one rounding (two for float16)
  const Budget kTwoRoundings{3, 2, 1};    // (a - b)², as TF computes it
  const Budget kPow{2, 4, 1};             // glibc's pow/powf: under 1 ulp; CUDA's powf: up to 4
  auto floormod_ref = [](L a, L b, DType) {
    L r = std::fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
  };
  return {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }, [](L a, L b, DType) { return a + b; },
       kRounded, [](I a, I b) { return a + b; }},
      {"subtract", [](const Tensor& a, const Tensor& b) { return subtract(a, b); },
       [](L a, L b, DType) { return a - b; }, kRounded, [](I a, I b) { return a - b; }},
      {"multiply", [](const Tensor& a, const Tensor& b) { return multiply(a, b); },
       [](L a, L b, DType) { return a * b; }, kRounded,
       [](I a, I b) { return static_cast<I>(static_cast<int64_t>(uint64_t(a) * uint64_t(b))); }},
      {"divide", [](const Tensor& a, const Tensor& b) { return divide(a, b); }, [](L a, L b, DType) { return a / b; },
       kRounded, nullptr},
      {"truediv", [](const Tensor& a, const Tensor& b) { return truediv(a, b); }, [](L a, L b, DType) { return a / b; },
       kRounded, nullptr},
      {"floordiv", [](const Tensor& a, const Tensor& b) { return floordiv(a, b); },
       [](L a, L b, DType c) { return std::floor(in_compute(a / b, c)); }, kQuotientFloor, floor_div, false, -10, 10,
       -10, 10, true},
      {"floormod", [](const Tensor& a, const Tensor& b) { return floormod(a, b); }, floormod_ref, kRoundedSum,
       floor_mod, false, -10, 10, -10, 10, true},
      {"mod", [](const Tensor& a, const Tensor& b) { return mod(a, b); }, floormod_ref, kRoundedSum, floor_mod, false,
       -10, 10, -10, 10, true},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); },
       [](L a, L b, DType) { return std::pow(a, b); }, kPow, wrapping_pow, false, 0, 10, -10, 10, false, true},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); },
       [](L a, L b, DType) { return nan_or(a, b, std::max(a, b)); }, kExact, [](I a, I b) { return std::max(a, b); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); },
       [](L a, L b, DType) { return nan_or(a, b, std::min(a, b)); }, kExact, [](I a, I b) { return std::min(a, b); }},
      {"squared_difference", [](const Tensor& a, const Tensor& b) { return squared_difference(a, b); },
       [](L a, L b, DType) { return (a - b) * (a - b); }, kTwoRoundings,
       [](I a, I b) {
         const uint64_t d = uint64_t(a - b);
         return static_cast<I>(static_cast<int64_t>(d * d));
       }},
      {"equal", [](const Tensor& a, const Tensor& b) { return equal(a, b); }, cmp(std::equal_to<L>()), kExact,
       icmp(std::equal_to<I>()), true},
      {"not_equal", [](const Tensor& a, const Tensor& b) { return not_equal(a, b); }, cmp(std::not_equal_to<L>()),
       kExact, icmp(std::not_equal_to<I>()), true},
      {"less", [](const Tensor& a, const Tensor& b) { return less(a, b); }, cmp(std::less<L>()), kExact,
       icmp(std::less<I>()), true},
      {"less_equal", [](const Tensor& a, const Tensor& b) { return less_equal(a, b); }, cmp(std::less_equal<L>()),
       kExact, icmp(std::less_equal<I>()), true},
      {"greater", [](const Tensor& a, const Tensor& b) { return greater(a, b); }, cmp(std::greater<L>()), kExact,
       icmp(std::greater<I>()), true},
      {"greater_equal", [](const Tensor& a, const Tensor& b) { return greater_equal(a, b); },
       cmp(std::greater_equal<L>()), kExact, icmp(std::greater_equal<I>()), true},
  };
}

/// Runs fn on (a, b) and checks the output's shape, dtype and every value against the reference.
inline void check_binary_sample(const BinaryRow& row, const Tensor& a, const Tensor& b, const std::string& layout) {
  const DType dt = a.dtype();
  SCOPED_TRACE(row.name + " " + std::string(dtype_name(dt)) + " " + layout);
  const Tensor y = row.fn(a, b);
  const Shape shape = broadcast_shapes(row.name.c_str(), a.shape(), b.shape());
  ASSERT_EQ(y.shape(), shape);
  const bool int_divide = !is_floating(dt) && (row.name == "divide" || row.name == "truediv");
  const DType want_dt = row.bool_out ? DType::kBool
                        : int_divide ? (dt == DType::kInt8 || dt == DType::kUInt8 ? DType::kFloat32 : DType::kFloat64)
                                     : dt;
  ASSERT_EQ(y.dtype(), want_dt);
  if (is_floating(dt) || int_divide) {
    const std::vector<double> x = cast(broadcast_to(a, shape), DType::kFloat64).contiguous().to_vector<double>();
    const std::vector<double> z = cast(broadcast_to(b, shape), DType::kFloat64).contiguous().to_vector<double>();
    const DType compute = dt == DType::kFloat64 || int_divide ? want_dt : DType::kFloat32;
    std::vector<double> exact(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) exact[i] = static_cast<double>(row.ref(x[i], z[i], compute));
    auto where = [&](std::size_t i) { return "(" + num(x[i]) + ", " + num(z[i]) + ")"; };
    if (row.bool_out) {
      const std::vector<bool> got = y.contiguous().to_vector<bool>();
      for (std::size_t i = 0, failures = 0; i < got.size() && failures < 5; ++i)
        if (got[i] != (exact[i] != 0)) {
          ++failures;
          ADD_FAILURE() << row.name << " " << dtype_name(dt) << " at " << where(i) << ": got " << got[i];
        }
      return;
    }
    expect_within_ulps(y, exact, row.budget.for_dtype(want_dt), row.name, where);
    return;
  }
  const std::vector<int64_t> x = cast(broadcast_to(a, shape), DType::kInt64).contiguous().to_vector<int64_t>();
  const std::vector<int64_t> z = cast(broadcast_to(b, shape), DType::kInt64).contiguous().to_vector<int64_t>();
  const std::vector<int64_t> got = cast(y, DType::kInt64).contiguous().to_vector<int64_t>();
  for (std::size_t i = 0, failures = 0; i < got.size() && failures < 5; ++i) {
    const Int128 r = row.int_ref(x[i], z[i]);
    const int64_t want = row.bool_out ? static_cast<int64_t>(r) : wrap_to(static_cast<int64_t>(uint64_t(r)), dt);
    if (got[i] != want) {
      ++failures;
      ADD_FAILURE() << row.name << " " << dtype_name(dt) << " at (" << x[i] << ", " << z[i] << "): got " << got[i]
                    << ", want " << want;
    }
  }
}

/// The integer edge values of dtype: small values of both signs, the extremes and their
/// neighbours, and the values whose squares or products just overflow.
inline std::vector<int64_t> integer_values(DType dt) {
  std::vector<int64_t> v = {0, 1, -1, 2, -2, 3, -3, 7, -7, 10, -10, 100, -100, 127, -128, 126, -127};
  if (dt == DType::kUInt8) v = {0, 1, 2, 3, 7, 10, 15, 16, 100, 127, 128, 200, 254, 255};
  if (dt == DType::kInt32)
    v.insert(v.end(), {INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1, 46341, -46341, 65536});
  if (dt == DType::kInt64)
    v.insert(v.end(), {INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1, 3037000500LL, -3037000500LL,
                       int64_t(1) << 32, 33, 62, 63, 64});
  for (int64_t& x : v) x = wrap_to(x, dt);
  return v;
}

/// Every pair of values, as two same-shape vectors, leaving out the integer pairs the row excludes.
template <typename V>
std::pair<std::vector<V>, std::vector<V>> all_pairs(const std::vector<V>& v, const BinaryRow& row, bool integer) {
  std::pair<std::vector<V>, std::vector<V>> p;
  for (V x : v)
    for (V y : v) {
      if (integer && ((row.b_nonzero && y == V(0)) || (row.b_nonnegative && y < V(0)))) continue;
      p.first.push_back(x);
      p.second.push_back(y);
    }
  return p;
}

/// Runs one row in dtype dt on the current device: every pair of special (or integer edge)
/// values, dense and broadcast ((n, 1) against (1, n)); a scalar on either side and both; empty
/// tensors; strided views (asserted non-contiguous), alone and broadcast; a large tensor (the
/// parallel loops), dense and broadcast.
inline void check_binary_row(const BinaryRow& row, DType dt, uint32_t seed) {
  const bool floating = is_floating(dt);
  auto make = [&](const std::vector<double>& v, const Shape& s) { return cast(constant(v, s, DType::kFloat64), dt); };
  auto fix = [&](std::vector<double> v, bool is_b) {  // ordinary values in the row's domain
    for (double& x : v) {
      if (floating) continue;
      x = std::round(x);
      if (is_b && row.b_nonzero && x == 0) x = 1;
      if (is_b && row.b_nonnegative && x < 0) x = -x;
      if (dt == DType::kUInt8) x = std::fabs(x);
    }
    return v;
  };
  auto ordinary = [&](int64_t n, bool is_b, uint32_t s, const Shape& shape) {
    return make(fix(uniform_values(n, is_b ? row.b_lo : row.lo, is_b ? row.b_hi : row.hi, s), is_b), shape);
  };
  // Every pair of special values, dense and broadcast.
  if (floating) {
    std::vector<double> special = special_values(dt);
    const auto [x, y] = all_pairs(special, row, false);
    const auto n = static_cast<int64_t>(x.size()), m = static_cast<int64_t>(special.size());
    check_binary_sample(row, make(x, Shape{n}), make(y, Shape{n}), "special value pairs");
    check_binary_sample(row, make(special, Shape{m, 1}), make(special, Shape{1, m}), "special values (n, 1) x (1, n)");
  } else {
    const std::vector<int64_t> v = integer_values(dt);
    const auto [x, y] = all_pairs(v, row, true);
    const auto n = static_cast<int64_t>(x.size());
    check_binary_sample(row, cast(constant(x, Shape{n}, DType::kInt64), dt),
                        cast(constant(y, Shape{n}, DType::kInt64), dt), "integer edge pairs");
  }
  const Tensor s1 = ordinary(1, false, seed, Shape{}), s2 = ordinary(1, true, seed + 1, Shape{});
  const Tensor v1 = ordinary(7, false, seed + 2, Shape{7}), v2 = ordinary(7, true, seed + 3, Shape{7});
  check_binary_sample(row, s1, v2, "scalar x (7,)");
  check_binary_sample(row, v1, s2, "(7,) x scalar");
  check_binary_sample(row, s1, s2, "scalar x scalar");
  check_binary_sample(row, ordinary(0, false, seed, Shape{0, 3}), ordinary(3, true, seed + 4, Shape{3}),
                      "empty (0, 3) x (3,)");
  check_binary_sample(row, ordinary(0, false, seed, Shape{0}), s2, "empty (0,) x scalar");
  {
    const Tensor wa = ordinary(17 * 26, false, seed + 5, Shape{17, 26});
    const Tensor wb = ordinary(34 * 13, true, seed + 6, Shape{34, 13});
    const Tensor sa = wa[{all, slice(std::nullopt, std::nullopt, 2)}];  // (17, 13), strides (26, 2)
    const Tensor sb = wb[{slice(std::nullopt, std::nullopt, 2), all}];  // (17, 13), strides (26, 1)
    ASSERT_FALSE(sa.is_contiguous()) << "the strided case must really be strided";
    ASSERT_FALSE(sb.is_contiguous()) << "the strided case must really be strided";
    check_binary_sample(row, sa, sb, "strided [:, ::2] x [::2, :]");
    check_binary_sample(row, sa, ordinary(13, true, seed + 7, Shape{13}), "strided x (13,) broadcast");
    check_binary_sample(row, ordinary(17, false, seed + 8, Shape{17, 1}), sb, "(17, 1) x strided");
  }
  const int64_t large = 120001;  // > 100k elements: the parallel loops, with an odd tail
  check_binary_sample(row, ordinary(large, false, seed + 9, Shape{large}),
                      ordinary(large, true, seed + 10, Shape{large}), "large");
  // Broadcast rows past the parallel grain (32768 elements), kept small: every row and dtype runs it.
  check_binary_sample(row, ordinary(120 * 301, false, seed + 11, Shape{120, 301}),
                      ordinary(301, true, seed + 12, Shape{301}), "large (120, 301) x (301,)");
}

/// The bool rows: logical_and, logical_or and the equality ops over bool, exact.
struct BoolRow {
  std::string name;
  Fn2 fn;
  std::function<bool(bool, bool)> ref;
};
inline std::vector<BoolRow> bool_rows() {
  return {
      {"logical_and", [](const Tensor& a, const Tensor& b) { return logical_and(a, b); },
       [](bool a, bool b) { return a && b; }},
      {"logical_or", [](const Tensor& a, const Tensor& b) { return logical_or(a, b); },
       [](bool a, bool b) { return a || b; }},
      {"equal", [](const Tensor& a, const Tensor& b) { return equal(a, b); }, [](bool a, bool b) { return a == b; }},
      {"not_equal", [](const Tensor& a, const Tensor& b) { return not_equal(a, b); },
       [](bool a, bool b) { return a != b; }},
  };
}

/// Runs a bool row on the current device: the four pairs, dense and broadcast, scalars, empty,
/// strided and large.
inline void check_bool_row(const BoolRow& row, uint32_t seed) {
  auto bools = [&](int64_t n, uint32_t s, const Shape& shape) {
    std::mt19937 gen(s);
    std::vector<bool> v(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = (gen() & 1) != 0;
    return constant(v, shape, DType::kBool);
  };
  auto check = [&](const Tensor& a, const Tensor& b, const std::string& layout) {
    SCOPED_TRACE(row.name + " bool " + layout);
    const Shape shape = broadcast_shapes(row.name.c_str(), a.shape(), b.shape());
    const Tensor y = row.fn(a, b);
    ASSERT_EQ(y.shape(), shape);
    ASSERT_EQ(y.dtype(), DType::kBool);
    const std::vector<bool> x = broadcast_to(a, shape).contiguous().to_vector<bool>();
    const std::vector<bool> z = broadcast_to(b, shape).contiguous().to_vector<bool>();
    const std::vector<bool> got = y.contiguous().to_vector<bool>();
    for (std::size_t i = 0, failures = 0; i < got.size() && failures < 5; ++i)
      if (got[i] != row.ref(x[i], z[i])) {
        ++failures;
        ADD_FAILURE() << "at (" << x[i] << ", " << z[i] << "): got " << got[i];
      }
  };
  check(constant(std::vector<bool>{false, false, true, true}, Shape{4}, DType::kBool),
        constant(std::vector<bool>{false, true, false, true}, Shape{4}, DType::kBool), "all pairs");
  check(constant(std::vector<bool>{false, true}, Shape{2, 1}, DType::kBool),
        constant(std::vector<bool>{false, true}, Shape{1, 2}, DType::kBool), "(2, 1) x (1, 2)");
  check(bools(1, seed, Shape{}), bools(7, seed + 1, Shape{7}), "scalar x (7,)");
  check(bools(7, seed + 2, Shape{7}), bools(1, seed + 3, Shape{}), "(7,) x scalar");
  check(bools(0, seed, Shape{0, 3}), bools(3, seed + 4, Shape{3}), "empty");
  const Tensor wide = bools(17 * 26, seed + 5, Shape{17, 26});
  const Tensor strided = wide[{all, slice(std::nullopt, std::nullopt, 2)}];
  ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
  check(strided, bools(17 * 13, seed + 6, Shape{17, 13}), "strided");
  check(bools(120001, seed + 7, Shape{120001}), bools(120001, seed + 8, Shape{120001}), "large");
}

/// The family's tables on the current device (a DeviceScope picks it), with the same seeds on
/// CPU:0 and GPU:0: floating rows against exact references, integer rows with TF's wrap-around,
/// the bool rows.
inline void check_binary_floating_table() {
  uint32_t seed = 18100;
  for (const BinaryRow& row : binary_rows())
    for (DType dt : kFloatingDTypes) check_binary_row(row, dt, seed += 13);
}
inline void check_binary_integer_table() {
  uint32_t seed = 18500;
  for (const BinaryRow& row : binary_rows())
    for (DType dt : kIntegerDTypes) check_binary_row(row, dt, seed += 13);
}
inline void check_bool_table() {
  uint32_t seed = 18900;
  for (const BoolRow& row : bool_rows()) check_bool_row(row, seed += 13);
}

}  // namespace tapeflow::testing::op_table
