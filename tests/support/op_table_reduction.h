// The reductions' rows of the op table (tests/support/op_table.h): reduce_sum/mean/prod/max/min
// over axes (all, one, several, negative, keepdims), reduce_any/all, argmax/argmin and
// cumsum/cumprod (exclusive, reverse), each against a long-double (or exact 128-bit integer)
// reference computed here from the input's values. Sums and products carry a rounding budget
// relative to their condition (n·eps·Σ|x|, never an absolute tolerance). Samples: ordinary
// values, special values (NaN, ±inf propagation), scalars, empty tensors and empty reductions,
// strided views and large tensors (the parallel paths). Run on CPU:0 by
// tests/core/op_table_reduction_test.cpp and on GPU:0 by tests/gpu/op_table_reduction_test.cpp.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tests/support/op_table_binary.h"

namespace tapeflow::testing::op_table {

enum class ReduceKind { kSum, kMean, kProd, kMax, kMin };

struct ReductionRow {
  std::string name;
  std::function<Tensor(const Tensor&, const Axes&, bool)> fn;
  ReduceKind kind;
  double lo = -10, hi = 10;  // ordinary values (products stay near one so that 10^5 factors stay finite)
};

inline std::vector<ReductionRow> reduction_rows() {
  return {
      {"reduce_sum", [](const Tensor& x, const Axes& a, bool k) { return reduce_sum(x, a, k); }, ReduceKind::kSum},
      {"reduce_mean", [](const Tensor& x, const Axes& a, bool k) { return reduce_mean(x, a, k); }, ReduceKind::kMean},
      {"reduce_prod", [](const Tensor& x, const Axes& a, bool k) { return reduce_prod(x, a, k); }, ReduceKind::kProd,
       0.9, 1.1},
      {"reduce_max", [](const Tensor& x, const Axes& a, bool k) { return reduce_max(x, a, k); }, ReduceKind::kMax},
      {"reduce_min", [](const Tensor& x, const Axes& a, bool k) { return reduce_min(x, a, k); }, ReduceKind::kMin},
  };
}

/// For each element of a (row-major) tensor of `shape`, the flat index of its output when `axes`
/// (sorted, non-negative; all when empty and `all`) are reduced.
inline std::vector<int64_t> output_index(const Shape& shape, const std::vector<int64_t>& axes) {
  const int rank = shape.rank();
  std::vector<bool> reduced(static_cast<std::size_t>(rank), false);
  for (int64_t a : axes) reduced[static_cast<std::size_t>(a)] = true;
  std::vector<int64_t> out(static_cast<std::size_t>(shape.num_elements()));
  std::vector<int64_t> idx(static_cast<std::size_t>(rank), 0);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int64_t o = 0;
    for (int d = 0; d < rank; ++d)
      if (!reduced[static_cast<std::size_t>(d)]) o = o * shape[d] + idx[static_cast<std::size_t>(d)];
    out[i] = o;
    for (int d = rank - 1; d >= 0; --d) {
      if (++idx[static_cast<std::size_t>(d)] < shape[d]) break;
      idx[static_cast<std::size_t>(d)] = 0;
    }
  }
  return out;
}

/// The output shape of reducing `axes` (sorted, non-negative).
inline Shape reduced_shape(const Shape& shape, const std::vector<int64_t>& axes, bool keepdims) {
  std::vector<int64_t> dims;
  for (int d = 0; d < shape.rank(); ++d) {
    const bool r = std::find(axes.begin(), axes.end(), d) != axes.end();
    if (!r)
      dims.push_back(shape[d]);
    else if (keepdims)
      dims.push_back(1);
  }
  return Shape(dims);
}

/// The smallest and largest values of an integer dtype (the max and min of nothing, as TF).
inline int64_t integer_lowest(DType dt) {
  switch (dt) {
    case DType::kInt8: return INT8_MIN;
    case DType::kUInt8: return 0;
    case DType::kInt32: return INT32_MIN;
    default: return INT64_MIN;
  }
}
inline int64_t integer_highest(DType dt) {
  switch (dt) {
    case DType::kInt8: return INT8_MAX;
    case DType::kUInt8: return UINT8_MAX;
    case DType::kInt32: return INT32_MAX;
    default: return INT64_MAX;
  }
}

/// Checks one reduction of x over `axes` (empty: all axes) against the reference.
inline void check_reduction(const ReductionRow& row, const Tensor& x, const std::vector<int64_t>& axes_in,
                            bool keepdims, const std::string& layout) {
  const DType dt = x.dtype();
  SCOPED_TRACE(row.name + " " + std::string(dtype_name(dt)) + " " + layout + (keepdims ? " keepdims" : ""));
  std::vector<int64_t> axes = axes_in;
  const bool all_axes = axes.empty();
  if (all_axes)
    for (int d = 0; d < x.shape().rank(); ++d) axes.push_back(d);
  for (int64_t& a : axes) a = a < 0 ? a + x.shape().rank() : a;
  std::sort(axes.begin(), axes.end());
  const Tensor y = row.fn(x, all_axes ? Axes() : Axes(axes_in), keepdims);
  const Shape want_shape = reduced_shape(x.shape(), axes, keepdims);
  ASSERT_EQ(y.shape(), want_shape);
  ASSERT_EQ(y.dtype(), dt);
  const std::vector<int64_t> out = output_index(x.shape(), axes);
  const auto n_out = static_cast<std::size_t>(want_shape.num_elements());
  int64_t count = 1;
  for (int64_t a : axes) count *= x.shape()[static_cast<int>(a)];
  if (is_floating(dt)) {
    const std::vector<double> v = cast(x, DType::kFloat64).contiguous().to_vector<double>();
    const long double inf = std::numeric_limits<long double>::infinity();
    const long double init = row.kind == ReduceKind::kProd  ? 1.0L
                             : row.kind == ReduceKind::kMax ? -inf
                             : row.kind == ReduceKind::kMin ? inf
                                                            : 0.0L;
    std::vector<long double> acc(n_out, init), abs_sum(n_out, 0.0L);
    for (std::size_t i = 0; i < v.size(); ++i) {
      long double& a = acc[static_cast<std::size_t>(out[i])];
      const long double e = v[i];
      switch (row.kind) {
        case ReduceKind::kSum:
        case ReduceKind::kMean: a += e; break;
        case ReduceKind::kProd: a *= e; break;
        case ReduceKind::kMax:
          a = std::isnan(a) || std::isnan(e) ? std::numeric_limits<long double>::quiet_NaN() : std::max(a, e);
          break;
        case ReduceKind::kMin:
          a = std::isnan(a) || std::isnan(e) ? std::numeric_limits<long double>::quiet_NaN() : std::min(a, e);
          break;
      }
      abs_sum[static_cast<std::size_t>(out[i])] += std::fabs(e);
    }
    std::vector<double> exact(n_out), slack(n_out);
    for (std::size_t o = 0; o < n_out; ++o) {
      long double r = acc[o];
      if (row.kind == ReduceKind::kMean) r = count == 0 ? std::numeric_limits<long double>::quiet_NaN() : r / count;
      exact[o] = static_cast<double>(r);
      // Sums and products accumulate in double (Note in kernels/reduction.h): n roundings of at
      // most one double ulp of the running |sum| or product each.
      const long double scale = row.kind == ReduceKind::kProd ? std::fabs(acc[o])
                                : row.kind == ReduceKind::kMax || row.kind == ReduceKind::kMin
                                    ? 0.0L
                                    : abs_sum[o] / (row.kind == ReduceKind::kMean && count > 0 ? count : 1);
      slack[o] = static_cast<double>(scale * static_cast<long double>(count + 1) * std::ldexp(1.0L, -53));
    }
    // One rounding from double (two for float16/bfloat16, through float); in float64 the reference
    // itself is rounded twice.
    const double ulps = row.kind == ReduceKind::kMax || row.kind == ReduceKind::kMin ? 0.0 : 1.0;
    expect_within_ulps(
        y, exact, ulps, row.name, [&](std::size_t o) { return "output " + std::to_string(o); }, slack);
    return;
  }
  const std::vector<int64_t> v = cast(x, DType::kInt64).contiguous().to_vector<int64_t>();
  std::vector<Int128> acc(n_out, row.kind == ReduceKind::kProd ? 1 : 0);
  std::vector<bool> seen(n_out, false);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto o = static_cast<std::size_t>(out[i]);
    Int128& a = acc[o];
    switch (row.kind) {
      case ReduceKind::kSum:
      case ReduceKind::kMean: a += v[i]; break;
      case ReduceKind::kProd: a = static_cast<int64_t>(uint64_t(a) * uint64_t(v[i])); break;
      case ReduceKind::kMax: a = seen[o] ? std::max<Int128>(a, v[i]) : v[i]; break;
      case ReduceKind::kMin: a = seen[o] ? std::min<Int128>(a, v[i]) : v[i]; break;
    }
    seen[o] = true;
  }
  const std::vector<int64_t> got = cast(y, DType::kInt64).contiguous().to_vector<int64_t>();
  for (std::size_t o = 0, failures = 0; o < n_out && failures < 5; ++o) {
    int64_t want;
    if (row.kind == ReduceKind::kMean)  // the sum wraps in 64 bits, the quotient truncates, as TF's
      want = count == 0 ? 0 : wrap_to(static_cast<int64_t>(uint64_t(acc[o])) / count, dt);
    else if (!seen[o] && (row.kind == ReduceKind::kMax || row.kind == ReduceKind::kMin))
      want = row.kind == ReduceKind::kMax ? integer_lowest(dt) : integer_highest(dt);
    else
      want = wrap_to(static_cast<int64_t>(uint64_t(acc[o])), dt);
    if (got[o] != want) {
      ++failures;
      ADD_FAILURE() << "output " << o << ": got " << got[o] << ", want " << want;
    }
  }
}

/// Ordinary values of dtype in [lo, hi] (integers: rounded; uint8: |x|), from a seeded generator.
inline Tensor ordinary_tensor(DType dt, const Shape& shape, double lo, double hi, uint32_t seed) {
  std::vector<double> v =
      uniform_values(shape.num_elements(), is_floating(dt) ? lo : -10, is_floating(dt) ? hi : 10, seed);
  if (!is_floating(dt))
    for (double& x : v) x = dt == DType::kUInt8 ? std::fabs(std::round(x)) : std::round(x);
  return cast(constant(v, shape, DType::kFloat64), dt);
}

/// Special values, three to a row: (s_i, s_{m-1-i}, 1.5), so that reducing axis 1 meets each
/// special value beside another (NaN and ±inf propagation, inf - inf, overflow).
inline Tensor special_rows(DType dt) {
  const std::vector<double> s = special_values(dt);
  std::vector<double> v;
  for (std::size_t i = 0; i < s.size(); ++i) v.insert(v.end(), {s[i], s[s.size() - 1 - i], 1.5});
  return cast(constant(v, Shape{static_cast<int64_t>(s.size()), 3}, DType::kFloat64), dt);
}

/// Runs one reduction row in dtype dt on the current device: axes all/one/several/negative, with
/// and without keepdims; a scalar; empty tensors (empty reductions give the identity); a strided
/// view; special values (floats); large tensors, over everything and along each axis.
inline void check_reduction_row(const ReductionRow& row, DType dt, uint32_t seed) {
  const Tensor x = ordinary_tensor(dt, Shape{5, 6, 7}, row.lo, row.hi, seed);
  for (const std::vector<int64_t>& axes : std::vector<std::vector<int64_t>>{{}, {0}, {1}, {2}, {-1}, {0, 2}, {1, 2}})
    for (bool keepdims : {false, true}) check_reduction(row, x, axes, keepdims, "(5, 6, 7)");
  check_reduction(row, ordinary_tensor(dt, Shape{}, row.lo, row.hi, seed + 1), {}, false, "scalar");
  const Tensor empty = ordinary_tensor(dt, Shape{0, 4}, row.lo, row.hi, seed);
  for (const std::vector<int64_t>& axes : std::vector<std::vector<int64_t>>{{}, {0}, {1}})
    check_reduction(row, empty, axes, false, "empty (0, 4)");
  const Tensor wide = ordinary_tensor(dt, Shape{6, 14, 5}, row.lo, row.hi, seed + 2);
  const Tensor strided = wide[{all, slice(std::nullopt, std::nullopt, 2)}];
  ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
  for (const std::vector<int64_t>& axes : std::vector<std::vector<int64_t>>{{}, {1}, {0, 2}})
    check_reduction(row, strided, axes, false, "strided [:, ::2]");
  if (is_floating(dt)) {
    const Tensor sp = special_rows(dt);
    check_reduction(row, sp, {1}, false, "special values");
    check_reduction(row, sp, {0}, false, "special values");
  } else {  // the extremes: sums and products wrap, means of extremes stay exact
    std::vector<int64_t> v = integer_values(dt);
    v.resize(v.size() / 2 * 2);  // an even count, for the pairs
    const Tensor edges = cast(constant(v, Shape{static_cast<int64_t>(v.size())}, DType::kInt64), dt);
    check_reduction(row, edges, {}, false, "integer edge values");
    check_reduction(row, reshape(edges, Shape{-1, 2}), {1}, false, "integer edge value pairs");
  }
  check_reduction(row, ordinary_tensor(dt, Shape{200003}, row.lo, row.hi, seed + 3), {}, false, "large");
  const Tensor large2 = ordinary_tensor(dt, Shape{1000, 201}, row.lo, row.hi, seed + 4);
  check_reduction(row, large2, {0}, false, "large (1000, 201)");
  check_reduction(row, large2, {1}, false, "large (1000, 201)");
}

/// The position of each element of a row-major tensor of `shape` along `axis`.
inline std::vector<int64_t> position_along(const Shape& shape, int axis) {
  int64_t inner = 1;
  for (int d = axis + 1; d < shape.rank(); ++d) inner *= shape[d];
  std::vector<int64_t> p(static_cast<std::size_t>(shape.num_elements()));
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = (static_cast<int64_t>(i) / inner) % shape[axis];
  return p;
}

/// argmax/argmin of x along axis: the first index of the extreme; a NaN counts as the extreme
/// (as NumPy; TF's CPU kernel skips NaNs instead).
inline void check_arg_reduction(const Tensor& x, int axis, bool is_max, DType output_type, const std::string& layout) {
  SCOPED_TRACE(std::string(is_max ? "argmax " : "argmin ") + std::string(dtype_name(x.dtype())) + " axis " +
               std::to_string(axis) + " " + layout);
  const Tensor y = is_max ? argmax(x, axis, output_type) : argmin(x, axis, output_type);
  const int a = axis < 0 ? axis + x.shape().rank() : axis;
  ASSERT_EQ(y.shape(), reduced_shape(x.shape(), {a}, false));
  ASSERT_EQ(y.dtype(), output_type);
  const std::vector<double> v = cast(x, DType::kFloat64).contiguous().to_vector<double>();
  const std::vector<int64_t> out = output_index(x.shape(), {a}), pos = position_along(x.shape(), a);
  const auto n_out = static_cast<std::size_t>(y.shape().num_elements());
  std::vector<int64_t> best(n_out, -1);
  std::vector<double> best_v(n_out);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto o = static_cast<std::size_t>(out[i]);
    if (best[o] >= 0 && std::isnan(best_v[o])) continue;
    if (best[o] < 0 || std::isnan(v[i]) || (is_max ? v[i] > best_v[o] : v[i] < best_v[o])) {
      best[o] = pos[i];
      best_v[o] = v[i];
    }
  }
  const std::vector<int64_t> got = cast(y, DType::kInt64).contiguous().to_vector<int64_t>();
  for (std::size_t o = 0, failures = 0; o < n_out && failures < 5; ++o)
    if (got[o] != best[o]) {
      ++failures;
      ADD_FAILURE() << "output " << o << ": got " << got[o] << ", want " << best[o];
    }
}

inline void check_arg_rows(DType dt, uint32_t seed) {
  for (bool is_max : {true, false}) {
    // Integers in [-10, 10] tie often: the first index must win.
    const Tensor x = ordinary_tensor(dt, Shape{5, 6, 7}, -10, 10, seed);
    for (int axis : {0, 1, 2, -1}) check_arg_reduction(x, axis, is_max, DType::kInt64, "(5, 6, 7)");
    check_arg_reduction(x, 1, is_max, DType::kInt32, "(5, 6, 7) int32 indices");
    const Tensor wide = ordinary_tensor(dt, Shape{6, 14}, -10, 10, seed + 1);
    const Tensor strided = wide[{all, slice(std::nullopt, std::nullopt, 2)}];
    ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
    check_arg_reduction(strided, 0, is_max, DType::kInt64, "strided");
    check_arg_reduction(strided, 1, is_max, DType::kInt64, "strided");
    check_arg_reduction(ordinary_tensor(dt, Shape{0, 4}, -10, 10, seed), 1, is_max, DType::kInt64, "empty (0, 4)");
    if (is_floating(dt)) {
      const Tensor sp = special_rows(dt);
      check_arg_reduction(sp, 1, is_max, DType::kInt64, "special values");
      check_arg_reduction(sp, 0, is_max, DType::kInt64, "special values");
    }
    if (is_floating(dt)) {
      // Rows of several 64-byte steps (the CPU searches the extreme's position a step at a time):
      // the extremes repeated in later steps, NaNs late in a row, -0 and +0 as the extreme (equal:
      // the first wins), infinities at the end.
      const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
      std::vector<double> v(5 * 100);
      for (std::size_t i = 0; i < v.size(); ++i)
        v[i] = (i / 100 == 3 ? 1.0 : -1.0) * (1.0 + static_cast<double>(i % 7));
      v[37] = v[80] = 3, v[45] = v[90] = -20;             // row 0
      v[170] = v[190] = nan;                              // row 1
      v[250] = -0.0, v[220] = 0.0;                        // row 2: the maximum 0, first at 20
      v[360] = -0.0, v[330] = 0.0;                        // row 3: the minimum 0, first at 30
      v[498] = -inf, v[499] = inf;                        // row 4
      const Tensor rows = cast(constant(v, Shape{5, 100}, DType::kFloat64), dt);
      check_arg_reduction(rows, 1, is_max, DType::kInt64, "long rows with special values");
    }
    check_arg_reduction(ordinary_tensor(dt, Shape{200003}, -1e4, 1e4, seed + 2), 0, is_max, DType::kInt64, "large");
    const Tensor large2 = ordinary_tensor(dt, Shape{1000, 201}, -10, 10, seed + 3);
    check_arg_reduction(large2, 0, is_max, DType::kInt64, "large (1000, 201)");
    check_arg_reduction(large2, 1, is_max, DType::kInt64, "large (1000, 201)");
  }
}

/// cumsum/cumprod of x along axis (exclusive, reverse): prefix sums/products in long double
/// (floats: each within one ulp plus k·eps of the running Σ|x|), exact with wrap-around for ints.
inline void check_scan(const Tensor& x, int axis, bool is_prod, bool exclusive, bool reverse,
                       const std::string& layout) {
  const DType dt = x.dtype();
  SCOPED_TRACE(std::string(is_prod ? "cumprod " : "cumsum ") + std::string(dtype_name(dt)) + " axis " +
               std::to_string(axis) + (exclusive ? " exclusive" : "") + (reverse ? " reverse" : "") + " " + layout);
  const Tensor y = is_prod ? cumprod(x, axis, exclusive, reverse) : cumsum(x, axis, exclusive, reverse);
  ASSERT_EQ(y.shape(), x.shape());
  ASSERT_EQ(y.dtype(), dt);
  const int a = axis < 0 ? axis + x.shape().rank() : axis;
  const std::vector<int64_t> line = output_index(x.shape(), {a}), pos = position_along(x.shape(), a);
  const std::size_t n = static_cast<std::size_t>(x.shape().num_elements());
  // Element order within each line: by position (reversed for reverse), so prefixes run in order.
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
    if (line[i] != line[j]) return line[i] < line[j];
    return reverse ? pos[i] > pos[j] : pos[i] < pos[j];
  });
  if (is_floating(dt)) {
    const std::vector<double> v = cast(x, DType::kFloat64).contiguous().to_vector<double>();
    std::vector<double> exact(n), slack(n);
    long double acc = 0, abs_acc = 0;
    int64_t k = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const std::size_t i = order[j];
      if (j == 0 || line[i] != line[order[j - 1]]) acc = is_prod ? 1 : 0, abs_acc = is_prod ? 1 : 0, k = 0;
      if (!exclusive)
        acc = is_prod ? acc * v[i] : acc + v[i],
        abs_acc = is_prod ? abs_acc * std::fabs(v[i]) : abs_acc + std::fabs(v[i]);
      exact[i] = static_cast<double>(acc);
      slack[i] = static_cast<double>(abs_acc * static_cast<long double>(++k + 1) * std::ldexp(1.0L, -53));
      if (exclusive)
        acc = is_prod ? acc * v[i] : acc + v[i],
        abs_acc = is_prod ? abs_acc * std::fabs(v[i]) : abs_acc + std::fabs(v[i]);
    }
    expect_within_ulps(
        y, exact, 1.0, is_prod ? "cumprod" : "cumsum", [&](std::size_t i) { return "element " + std::to_string(i); },
        slack);
    return;
  }
  const std::vector<int64_t> v = cast(x, DType::kInt64).contiguous().to_vector<int64_t>();
  const std::vector<int64_t> got = cast(y, DType::kInt64).contiguous().to_vector<int64_t>();
  uint64_t acc = 0;
  for (std::size_t j = 0, failures = 0; j < n && failures < 5; ++j) {
    const std::size_t i = order[j];
    if (j == 0 || line[i] != line[order[j - 1]]) acc = is_prod ? 1 : 0;
    if (!exclusive) acc = is_prod ? acc * uint64_t(v[i]) : acc + uint64_t(v[i]);
    const int64_t want = wrap_to(static_cast<int64_t>(acc), dt);
    if (exclusive) acc = is_prod ? acc * uint64_t(v[i]) : acc + uint64_t(v[i]);
    if (got[i] != want) {
      ++failures;
      ADD_FAILURE() << "element " << i << ": got " << got[i] << ", want " << want;
    }
  }
}

inline void check_scan_rows(DType dt, uint32_t seed) {
  for (bool is_prod : {false, true}) {
    const double lo = is_prod ? 0.9 : -10, hi = is_prod ? 1.1 : 10;
    const Tensor x = ordinary_tensor(dt, Shape{5, 6, 7}, lo, hi, seed);
    for (int axis : {0, 1, 2, -1})
      for (bool exclusive : {false, true})
        for (bool reverse : {false, true}) check_scan(x, axis, is_prod, exclusive, reverse, "(5, 6, 7)");
    const Tensor wide = ordinary_tensor(dt, Shape{6, 14}, lo, hi, seed + 1);
    const Tensor strided = wide[{all, slice(std::nullopt, std::nullopt, 2)}];
    ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
    check_scan(strided, 1, is_prod, false, false, "strided");
    check_scan(strided, 0, is_prod, true, true, "strided");
    check_scan(ordinary_tensor(dt, Shape{0, 4}, lo, hi, seed), 0, is_prod, false, false, "empty (0, 4)");
    if (is_floating(dt)) check_scan(special_rows(dt), 1, is_prod, false, false, "special values");
    check_scan(ordinary_tensor(dt, Shape{100003}, lo, hi, seed + 2), 0, is_prod, false, false, "large");
    check_scan(ordinary_tensor(dt, Shape{300, 401}, lo, hi, seed + 3), 0, is_prod, false, true, "large (300, 401)");
  }
}

/// reduce_any/reduce_all over bool: exact, with the empty reductions' identities (false / true).
inline void check_bool_reductions(uint32_t seed) {
  auto bools = [&](const Shape& shape, uint32_t s, int one_in) {
    std::mt19937 gen(s);
    std::vector<bool> v(static_cast<std::size_t>(shape.num_elements()));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = gen() % static_cast<uint32_t>(one_in) != 0;
    return constant(v, shape, DType::kBool);
  };
  for (bool is_any : {true, false}) {
    auto check = [&](const Tensor& x, std::vector<int64_t> axes, bool keepdims, const std::string& layout) {
      SCOPED_TRACE(std::string(is_any ? "reduce_any " : "reduce_all ") + layout);
      const bool all_axes = axes.empty();
      const std::vector<int64_t> given = axes;
      if (all_axes)
        for (int d = 0; d < x.shape().rank(); ++d) axes.push_back(d);
      for (int64_t& a : axes) a = a < 0 ? a + x.shape().rank() : a;
      std::sort(axes.begin(), axes.end());
      const Tensor y = is_any ? reduce_any(x, all_axes ? Axes() : Axes(given), keepdims)
                              : reduce_all(x, all_axes ? Axes() : Axes(given), keepdims);
      ASSERT_EQ(y.shape(), reduced_shape(x.shape(), axes, keepdims));
      ASSERT_EQ(y.dtype(), DType::kBool);
      const std::vector<bool> v = x.contiguous().to_vector<bool>();
      const std::vector<int64_t> out = output_index(x.shape(), axes);
      std::vector<bool> want(static_cast<std::size_t>(y.shape().num_elements()), !is_any);
      for (std::size_t i = 0; i < v.size(); ++i)
        if (v[i] == is_any) want[static_cast<std::size_t>(out[i])] = is_any;
      EXPECT_EQ(y.contiguous().to_vector<bool>(), want);
    };
    // Mostly false for any, mostly true for all, so that both results occur.
    const Tensor mostly_true = bools(Shape{5, 6, 7}, seed, 12);
    const Tensor x = is_any ? logical_not(mostly_true) : mostly_true;
    for (const std::vector<int64_t>& axes : std::vector<std::vector<int64_t>>{{}, {0}, {1}, {2}, {-1}, {0, 2}})
      for (bool keepdims : {false, true}) check(x, axes, keepdims, "(5, 6, 7)");
    check(bools(Shape{0, 4}, seed, 2), {0}, false, "empty (0, 4)");
    check(bools(Shape{0, 4}, seed, 2), {}, false, "empty (0, 4)");
    const Tensor wide = bools(Shape{6, 14}, seed + 1, 2);
    const Tensor strided = wide[{all, slice(std::nullopt, std::nullopt, 2)}];
    ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
    check(strided, {1}, false, "strided");
    check(bools(Shape{200003}, seed + 2, 2), {}, false, "large");
    check(bools(Shape{1000, 201}, seed + 3, 50), {1}, false, "large (1000, 201)");
  }
}

/// The family's tables on the current device (a DeviceScope picks it), each in every numeric
/// dtype with the same seeds on CPU:0 and GPU:0.
inline void check_reduction_table() {
  uint32_t seed = 19000;
  for (const ReductionRow& row : reduction_rows())
    for (DType dt : kNumericDTypes) check_reduction_row(row, dt, seed += 7);
}
inline void check_arg_table() { for_each_dtype(kNumericDTypes, 19500, 7, check_arg_rows); }
inline void check_scan_table() { for_each_dtype(kNumericDTypes, 19700, 7, check_scan_rows); }
inline void check_bool_reduction_table() { check_bool_reductions(19900); }

}  // namespace tapeflow::testing::op_table
