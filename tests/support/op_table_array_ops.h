// The op table's rows of the array ops (tests/support/op_table.h): the ops that move elements —
// Transpose, ConcatV2, Pack, Tile, PadV2 and MirrorPad, ReverseV2, GatherV2, GatherNd,
// StridedSlice, BroadcastTo, Reshape/ExpandDims/Squeeze — and the two that compute a little,
// OneHot and UnsortedSegmentSum. A mover's reference is an index map written here from TF's
// definition (out element i comes from input element map[i], or is the fill value): the result
// must hold the very same values, bit for bit (NaN, -0.0, subnormals, the integer extremes), in
// every dtype. Samples: every dtype, special values, scalars where the op takes them, empty
// tensors, strided (non-contiguous) inputs, and a large case for the parallel paths. Run on
// CPU:0 by tests/core/op_table_array_ops_test.cpp and on GPU:0 by
// tests/gpu/op_table_array_ops_test.cpp.
#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "tests/support/op_table_reduction.h"

namespace tapeflow::testing::op_table {

inline const std::vector<DType> kArrayDTypes = {DType::kFloat64,  DType::kFloat32, DType::kFloat16,
                                                DType::kBFloat16, DType::kInt8,    DType::kUInt8,
                                                DType::kInt32,    DType::kInt64,   DType::kBool};

/// What identifies an element's value exactly: a float's float64 bit pattern (every NaN alike),
/// an integer's value, a bool's 0 or 1.
inline std::vector<int64_t> value_keys(const Tensor& t) {
  if (is_floating(t.dtype())) {
    std::vector<double> v = cast(t, DType::kFloat64).contiguous().to_vector<double>();
    std::vector<int64_t> k(v.size());
    for (std::size_t i = 0; i < v.size(); ++i)
      k[i] = std::isnan(v[i]) ? std::numeric_limits<int64_t>::min() : std::bit_cast<int64_t>(v[i]);
    return k;
  }
  return cast(t, DType::kInt64).contiguous().to_vector<int64_t>();
}

/// A tensor of `shape` whose elements are told apart by their values where the dtype allows:
/// a seeded draw of the dtype's special and edge values and ordinary ones.
inline Tensor distinct_tensor(DType dt, const Shape& shape, uint32_t seed) {
  const auto n = static_cast<std::size_t>(shape.num_elements());
  std::mt19937 gen(seed);
  if (dt == DType::kBool) {
    std::vector<int64_t> v(n);
    for (auto& x : v) x = static_cast<int64_t>(gen() % 2);
    return cast(constant(v, shape, DType::kInt64), DType::kBool);
  }
  if (is_integer(dt)) {
    const std::vector<int64_t> edges = integer_values(dt);
    std::vector<int64_t> v(n);
    for (std::size_t i = 0; i < n; ++i)
      v[i] = gen() % 4 == 0 ? edges[gen() % edges.size()] : wrap_to(static_cast<int64_t>(i * 37 + seed % 101), dt);
    return constant(v, shape, dt);
  }
  const std::vector<double> specials = special_values(dt);
  std::vector<double> v = uniform_values(static_cast<int64_t>(n), -100, 100, seed);
  for (std::size_t i = 0; i < n; ++i)
    if (gen() % 4 == 0) v[i] = specials[gen() % specials.size()];
  if (n > 1) v[n / 2] = -0.0;  // told apart from +0.0 by its sign bit
  return cast(constant(v, shape, DType::kFloat64), dt);
}

inline std::vector<int64_t> unravel(int64_t i, const Shape& s) {
  std::vector<int64_t> idx(static_cast<std::size_t>(s.rank()));
  for (int d = s.rank() - 1; d >= 0; --d) {
    idx[static_cast<std::size_t>(d)] = s[d] > 0 ? i % s[d] : 0;
    i = s[d] > 0 ? i / s[d] : 0;
  }
  return idx;
}

inline int64_t ravel(const std::vector<int64_t>& idx, const Shape& s) {
  int64_t i = 0;
  for (int d = 0; d < s.rank(); ++d) i = i * s[d] + idx[static_cast<std::size_t>(d)];
  return i;
}

/// got[i] must hold source[map[i]] exactly, or the fill value's key where map[i] < 0.
inline void expect_moved(const Tensor& got, DType dt, const Shape& want_shape, const std::vector<int64_t>& source,
                         const std::vector<int64_t>& map, const std::string& what, int64_t fill = 0) {
  ASSERT_EQ(got.dtype(), dt) << what;
  ASSERT_EQ(got.shape(), want_shape) << what;
  ASSERT_EQ(static_cast<int64_t>(map.size()), want_shape.num_elements()) << what << ": the reference's map";
  const std::vector<int64_t> g = value_keys(got);
  int failures = 0;
  for (std::size_t i = 0; i < g.size() && failures < 5; ++i) {
    const int64_t want = map[i] >= 0 ? source[static_cast<std::size_t>(map[i])] : fill;
    if (g[i] != want) {
      ++failures;
      ADD_FAILURE() << what << " " << dtype_name(dt) << ": element " << i << " (from "
                    << (map[i] >= 0 ? "input element " + std::to_string(map[i]) : std::string("the fill value"))
                    << ") holds key " << g[i] << ", want " << want;
    }
  }
}

/// The map of an op whose output element at index `o` (of out_shape) comes from input index
/// from(o) of in_shape, or from the fill value when from returns an empty vector.
inline std::vector<int64_t> index_map(const Shape& out_shape, const Shape& in_shape,
                                      const std::function<std::vector<int64_t>(const std::vector<int64_t>&)>& from) {
  std::vector<int64_t> map(static_cast<std::size_t>(out_shape.num_elements()));
  for (int64_t i = 0; i < out_shape.num_elements(); ++i) {
    const std::vector<int64_t> src = from(unravel(i, out_shape));
    map[static_cast<std::size_t>(i)] = src.empty() ? -1 : ravel(src, in_shape);
  }
  return map;
}

// ---- the movers ----------------------------------------------------------------------------

inline void check_transpose(const Tensor& x, const std::vector<int>& perm, const std::string& layout) {
  SCOPED_TRACE("transpose " + layout);
  std::vector<int64_t> dims;
  for (int p : perm) dims.push_back(x.shape()[p]);
  const Shape out(dims);
  const auto map = index_map(out, x.shape(), [&](const std::vector<int64_t>& o) {
    std::vector<int64_t> in(perm.size());
    for (std::size_t d = 0; d < perm.size(); ++d) in[static_cast<std::size_t>(perm[d])] = o[d];
    return in;
  });
  // A transpose is a view: made contiguous, its elements are moved by the Transpose kernel.
  expect_moved(transpose(x, perm).contiguous(), x.dtype(), out, value_keys(x), map, "Transpose");
}

inline void check_concat_stack(const std::vector<Tensor>& parts, int axis, const std::string& layout) {
  SCOPED_TRACE("concat/stack axis " + std::to_string(axis) + " " + layout);
  const DType dt = parts[0].dtype();
  std::vector<int64_t> source;
  std::vector<int64_t> offset;
  for (const Tensor& p : parts) {
    offset.push_back(static_cast<int64_t>(source.size()));
    const std::vector<int64_t> k = value_keys(p);
    source.insert(source.end(), k.begin(), k.end());
  }
  const int rank = parts[0].shape().rank();
  if (rank > 0) {
    // ConcatV2: along axis, part j covers [start_j, start_j + size_j).
    Shape cat = parts[0].shape();
    int64_t total = 0;
    for (const Tensor& p : parts) total += p.shape()[axis];
    cat[axis] = total;
    std::vector<int64_t> map(static_cast<std::size_t>(cat.num_elements()));
    for (int64_t i = 0; i < cat.num_elements(); ++i) {
      std::vector<int64_t> o = unravel(i, cat);
      std::size_t j = 0;
      while (o[static_cast<std::size_t>(axis)] >= parts[j].shape()[axis])
        o[static_cast<std::size_t>(axis)] -= parts[j++].shape()[axis];
      map[static_cast<std::size_t>(i)] = offset[j] + ravel(o, parts[j].shape());
    }
    expect_moved(concat(parts, axis), dt, cat, source, map, "ConcatV2");
  }
  // Pack: a new axis of size parts.size() at `axis` (parts of one shape only).
  if (std::all_of(parts.begin(), parts.end(), [&](const Tensor& p) { return p.shape() == parts[0].shape(); })) {
    std::vector<int64_t> dims;
    for (int d = 0; d < rank; ++d) dims.push_back(parts[0].shape()[d]);
    dims.insert(dims.begin() + axis, static_cast<int64_t>(parts.size()));
    const Shape packed(dims);
    std::vector<int64_t> pmap(static_cast<std::size_t>(packed.num_elements()));
    for (int64_t i = 0; i < packed.num_elements(); ++i) {
      std::vector<int64_t> o = unravel(i, packed);
      const auto j = static_cast<std::size_t>(o[static_cast<std::size_t>(axis)]);
      o.erase(o.begin() + axis);
      pmap[static_cast<std::size_t>(i)] = offset[j] + ravel(o, parts[j].shape());
    }
    expect_moved(stack(parts, axis), dt, packed, source, pmap, "Pack");
  }
}

inline void check_tile(const Tensor& x, const std::vector<int64_t>& multiples, const std::string& layout) {
  SCOPED_TRACE("tile " + layout);
  Shape out = x.shape();
  for (int d = 0; d < out.rank(); ++d) out[d] *= multiples[static_cast<std::size_t>(d)];
  const auto map = index_map(out, x.shape(), [&](const std::vector<int64_t>& o) {
    std::vector<int64_t> in = o;
    for (int d = 0; d < out.rank(); ++d) in[static_cast<std::size_t>(d)] %= x.shape()[d];
    return in;
  });
  expect_moved(tile(x, multiples), x.dtype(), out, value_keys(x), map, "Tile");
}

/// PadV2 (CONSTANT, with a fill value) and MirrorPad (REFLECT: the edge not repeated; SYMMETRIC:
/// repeated).
inline void check_pad(const Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& paddings,
                      const std::string& mode, const std::string& layout) {
  SCOPED_TRACE("pad " + mode + " " + layout);
  Shape out = x.shape();
  for (int d = 0; d < out.rank(); ++d)
    out[d] += paddings[static_cast<std::size_t>(d)].first + paddings[static_cast<std::size_t>(d)].second;
  const auto map = index_map(out, x.shape(), [&](const std::vector<int64_t>& o) -> std::vector<int64_t> {
    std::vector<int64_t> in = o;
    for (int d = 0; d < out.rank(); ++d) {
      const int64_t n = x.shape()[d];
      int64_t i = o[static_cast<std::size_t>(d)] - paddings[static_cast<std::size_t>(d)].first;
      if (i < 0 || i >= n) {
        if (mode == "CONSTANT") return {};
        if (mode == "REFLECT")
          i = i < 0 ? -i : 2 * (n - 1) - i;
        else
          i = i < 0 ? -i - 1 : 2 * n - 1 - i;
      }
      in[static_cast<std::size_t>(d)] = i;
    }
    return in;
  });
  const DType dt = x.dtype();
  const Scalar fill = dt == DType::kBool ? Scalar(true) : is_floating(dt) ? Scalar(-2.5) : Scalar(7);
  const int64_t fill_key =
      value_keys(cast(constant(std::vector<double>{fill.to_double()}, Shape{}, DType::kFloat64), dt))[0];
  expect_moved(pad(x, paddings, mode, fill), dt, out, value_keys(x), map, mode == "CONSTANT" ? "PadV2" : "MirrorPad",
               fill_key);
}

inline void check_reverse(const Tensor& x, const std::vector<int>& axes, const std::string& layout) {
  SCOPED_TRACE("reverse " + layout);
  const auto map = index_map(x.shape(), x.shape(), [&](const std::vector<int64_t>& o) {
    std::vector<int64_t> in = o;
    for (int a : axes) {
      const int d = a < 0 ? a + x.shape().rank() : a;
      in[static_cast<std::size_t>(d)] = x.shape()[d] - 1 - o[static_cast<std::size_t>(d)];
    }
    return in;
  });
  expect_moved(reverse(x, axes), x.dtype(), x.shape(), value_keys(x), map, "ReverseV2");
}

/// GatherV2 along `axis` with batch_dims 0 or 1, and GatherNd, with int32 and int64 indices.
inline void check_gather(const Tensor& params, const Tensor& indices, int axis, int batch_dims,
                         const std::string& layout) {
  SCOPED_TRACE("gather axis " + std::to_string(axis) + " batch_dims " + std::to_string(batch_dims) + " " + layout);
  const Shape& p = params.shape();
  const std::vector<int64_t> ind = cast(indices, DType::kInt64).contiguous().to_vector<int64_t>();
  std::vector<int64_t> dims;
  for (int d = 0; d < axis; ++d) dims.push_back(p[d]);
  for (int d = batch_dims; d < indices.shape().rank(); ++d) dims.push_back(indices.shape()[d]);
  for (int d = axis + 1; d < p.rank(); ++d) dims.push_back(p[d]);
  const Shape out(dims);
  const int index_rank = indices.shape().rank() - batch_dims;
  const auto map = index_map(out, p, [&](const std::vector<int64_t>& o) {
    std::vector<int64_t> in(o.begin(), o.begin() + axis);
    // The indices element: the batch coordinates, then the index axes of the output.
    std::vector<int64_t> at(o.begin(), o.begin() + batch_dims);
    at.insert(at.end(), o.begin() + axis, o.begin() + axis + index_rank);
    in.push_back(ind[static_cast<std::size_t>(ravel(at, indices.shape()))]);
    in.insert(in.end(), o.begin() + axis + index_rank, o.end());
    return in;
  });
  expect_moved(gather(params, indices, axis, batch_dims), params.dtype(), out, value_keys(params), map, "GatherV2");
}

inline void check_gather_nd(const Tensor& params, const Tensor& indices, const std::string& layout) {
  SCOPED_TRACE("gather_nd " + layout);
  const Shape& p = params.shape();
  const int64_t depth = indices.shape()[indices.shape().rank() - 1];
  const std::vector<int64_t> ind = cast(indices, DType::kInt64).contiguous().to_vector<int64_t>();
  std::vector<int64_t> dims;
  for (int d = 0; d + 1 < indices.shape().rank(); ++d) dims.push_back(indices.shape()[d]);
  for (int d = static_cast<int>(depth); d < p.rank(); ++d) dims.push_back(p[d]);
  const Shape out(dims);
  const int lead = indices.shape().rank() - 1;
  const auto map = index_map(out, p, [&](const std::vector<int64_t>& o) {
    const int64_t row = ravel(std::vector<int64_t>(o.begin(), o.begin() + lead),
                              Shape(std::vector<int64_t>(dims.begin(), dims.begin() + lead)));
    std::vector<int64_t> in;
    for (int64_t k = 0; k < depth; ++k) in.push_back(ind[static_cast<std::size_t>(row * depth + k)]);
    in.insert(in.end(), o.begin() + lead, o.end());
    return in;
  });
  expect_moved(gather_nd(params, indices), params.dtype(), out, value_keys(params), map, "GatherNd");
}

/// Python's slice(start, stop, step).indices(n) as the list of picked indices.
inline std::vector<int64_t> slice_indices(const Slice& s, int64_t n) {
  const int64_t step = s.step.value_or(1);
  auto clamp = [&](std::optional<int64_t> v, int64_t dflt) {
    if (!v) return dflt;
    int64_t i = *v < 0 ? *v + n : *v;
    return step > 0 ? std::clamp<int64_t>(i, 0, n) : std::clamp<int64_t>(i, -1, n - 1);
  };
  const int64_t start = clamp(s.start, step > 0 ? 0 : n - 1), stop = clamp(s.stop, step > 0 ? n : -1);
  std::vector<int64_t> out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(i);
  return out;
}

/// StridedSlice of a 3-D x by one slice per axis (negative steps and bounds included).
inline void check_strided_slice(const Tensor& x, const std::vector<Slice>& slices, const std::string& layout) {
  SCOPED_TRACE("strided_slice " + layout);
  std::vector<std::vector<int64_t>> picks;
  std::vector<int64_t> dims;
  for (int d = 0; d < x.shape().rank(); ++d) {
    picks.push_back(slice_indices(slices[static_cast<std::size_t>(d)], x.shape()[d]));
    dims.push_back(static_cast<int64_t>(picks.back().size()));
  }
  const Shape out(dims);
  const auto map = index_map(out, x.shape(), [&](const std::vector<int64_t>& o) {
    std::vector<int64_t> in(o.size());
    for (std::size_t d = 0; d < o.size(); ++d) in[d] = picks[d][static_cast<std::size_t>(o[d])];
    return in;
  });
  std::vector<Index> index(slices.begin(), slices.end());
  expect_moved(x[index].contiguous(), x.dtype(), out, value_keys(x), map, "StridedSlice");
}

inline void check_broadcast_reshape(const Tensor& x, const std::string& layout) {
  SCOPED_TRACE("broadcast_to/reshape " + layout);
  // x is (a, 1, c): broadcast to (2, a, 3, c).
  const Shape& s = x.shape();
  const Shape out{2, s[0], 3, s[2]};
  const auto map = index_map(out, s, [&](const std::vector<int64_t>& o) {
    return std::vector<int64_t>{o[1], 0, o[3]};
  });
  const std::vector<int64_t> keys = value_keys(x);
  expect_moved(broadcast_to(x, out).contiguous(), x.dtype(), out, keys, map, "BroadcastTo");
  std::vector<int64_t> same(keys.size());
  for (std::size_t i = 0; i < same.size(); ++i) same[i] = static_cast<int64_t>(i);
  expect_moved(reshape(x, {-1}), x.dtype(), Shape{s.num_elements()}, keys, same, "Reshape");
  expect_moved(squeeze(x, {1}), x.dtype(), Shape{s[0], s[2]}, keys, same, "Squeeze");
  expect_moved(expand_dims(x, -1), x.dtype(), Shape{s[0], 1, s[2], 1}, keys, same, "ExpandDims");
  expect_moved(identity(x), x.dtype(), s, keys, same, "Identity");
}

// ---- OneHot and UnsortedSegmentSum ---------------------------------------------------------

inline void check_one_hot(DType dt, uint32_t seed) {
  SCOPED_TRACE(std::string("one_hot ") + std::string(dtype_name(dt)));
  // Indices in [-2, depth + 1]: the out-of-range ones give all-off rows, as TF.
  const int64_t depth = 5;
  std::mt19937 gen(seed);
  std::vector<int64_t> ind(12);
  for (auto& i : ind) i = static_cast<int64_t>(gen() % (depth + 4)) - 2;
  const Tensor indices = constant(ind, Shape{3, 4}, DType::kInt64);
  const Scalar on = dt == DType::kBool ? Scalar(true) : Scalar(3), off = dt == DType::kBool    ? Scalar(false)
                                                                         : dt == DType::kUInt8 ? Scalar(2)
                                                                                               : Scalar(-1);
  if (dt == DType::kUInt8)  // a value the dtype cannot hold raises, as TF's conversion does
    EXPECT_THROW(one_hot(indices, depth, 1, -1, -1, dt), errors::InvalidArgumentError);
  const auto key = [&](const Scalar& v) {
    return value_keys(cast(constant(std::vector<double>{v.to_double()}, Shape{}, DType::kFloat64), dt))[0];
  };
  for (int axis : {-1, 0, 1}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    const Tensor y = one_hot(indices, depth, on, off, axis, dt);
    std::vector<int64_t> dims = {3, 4};
    const int a = axis < 0 ? 2 : axis;
    dims.insert(dims.begin() + a, depth);
    ASSERT_EQ(y.shape(), Shape(dims));
    const std::vector<int64_t> g = value_keys(y);
    for (std::size_t i = 0; i < g.size(); ++i) {
      std::vector<int64_t> o = unravel(static_cast<int64_t>(i), y.shape());
      const int64_t j = o[static_cast<std::size_t>(a)];
      o.erase(o.begin() + a);
      const bool hot = ind[static_cast<std::size_t>(o[0] * 4 + o[1])] == j;
      EXPECT_EQ(g[i], hot ? key(on) : key(off)) << "element " << i;
    }
  }
}

/// UnsortedSegmentSum of data (rows by segment_ids, ids outside [0, num_segments) dropped):
/// integers wrap exactly, floats within the (terms + 2)·eps·Σ|x| budget of their sums.
inline void check_unsorted_segment_sum(const Tensor& data, const std::vector<int64_t>& ids, int64_t num_segments,
                                       const std::string& layout) {
  const DType dt = data.dtype();
  SCOPED_TRACE(std::string("unsorted_segment_sum ") + std::string(dtype_name(dt)) + " " + layout);
  const int64_t rows = data.shape()[0];
  const int64_t width = rows > 0 ? data.shape().num_elements() / rows : 0;
  Shape out = data.shape();
  out[0] = num_segments;
  const Tensor y = unsorted_segment_sum(data, constant(ids, Shape{rows}, DType::kInt32), num_segments);
  ASSERT_EQ(y.dtype(), dt);
  ASSERT_EQ(y.shape(), out);
  const auto count = static_cast<std::size_t>(out.num_elements());
  if (is_integer(dt)) {
    const std::vector<int64_t> v = value_keys(data), g = value_keys(y);
    std::vector<uint64_t> sum(count, 0);
    for (int64_t r = 0; r < rows; ++r)
      if (ids[static_cast<std::size_t>(r)] >= 0 && ids[static_cast<std::size_t>(r)] < num_segments)
        for (int64_t k = 0; k < width; ++k)
          sum[static_cast<std::size_t>(ids[static_cast<std::size_t>(r)] * width + k)] +=
              static_cast<uint64_t>(v[static_cast<std::size_t>(r * width + k)]);
    for (std::size_t i = 0; i < count; ++i)
      EXPECT_EQ(g[i], wrap_to(static_cast<int64_t>(sum[i]), dt)) << "element " << i;
    return;
  }
  const std::vector<double> v = cast(data, DType::kFloat64).contiguous().to_vector<double>();
  std::vector<long double> sum(count, 0), abs_sum(count, 0);
  std::vector<int64_t> terms(count, 0);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t s = ids[static_cast<std::size_t>(r)];
    if (s < 0 || s >= num_segments) continue;
    for (int64_t k = 0; k < width; ++k) {
      const auto o = static_cast<std::size_t>(s * width + k);
      sum[o] += v[static_cast<std::size_t>(r * width + k)];
      abs_sum[o] += std::fabs(v[static_cast<std::size_t>(r * width + k)]);
      ++terms[o];
    }
  }
  std::vector<double> exact(count), slack(count);
  const double eps = std::ldexp(1.0, dt == DType::kFloat64 ? -53 : -24);
  for (std::size_t i = 0; i < count; ++i) {
    exact[i] = static_cast<double>(sum[i]);
    slack[i] = static_cast<double>(abs_sum[i]) * static_cast<double>(terms[i] + 2) * eps;
  }
  expect_within_ulps(
      y, exact, 1.0, "UnsortedSegmentSum", [](std::size_t i) { return "element " + std::to_string(i); }, slack);
}

// ---- the rows ------------------------------------------------------------------------------

inline void check_movers(DType dt, uint32_t seed) {
  SCOPED_TRACE(std::string(dtype_name(dt)));
  const Tensor x = distinct_tensor(dt, Shape{3, 4, 5}, seed);
  const Tensor wide = distinct_tensor(dt, Shape{3, 4, 10}, seed + 1);
  const Tensor strided = wide[{all, all, slice(std::nullopt, std::nullopt, 2)}];
  ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
  const Tensor large = distinct_tensor(dt, Shape{64, 129, 9}, seed + 2);
  const Tensor empty = distinct_tensor(dt, Shape{3, 0, 5}, seed + 3);
  for (const auto& [t, name] : std::vector<std::pair<Tensor, std::string>>{{x, "(3, 4, 5)"},
                                                                           {strided, "strided [..., ::2]"},
                                                                           {large, "large (64, 129, 9)"},
                                                                           {empty, "empty (3, 0, 5)"}}) {
    SCOPED_TRACE(name);
    check_transpose(t, {2, 0, 1}, name);
    check_transpose(t, {1, 0, 2}, name);
    check_tile(t, {2, 1, 3}, name);
    check_tile(t, {3, 2, 1}, name);  // blocks of whole rows (large: Note [Tile reads its input once])
    check_tile(t, {2, 1, 1}, name);  // one block: x itself, twice
    check_reverse(t, {0, 2}, name);
    check_reverse(t, {-2}, name);
    check_pad(t, {{1, 2}, {0, 0}, {2, 1}}, "CONSTANT", name);
    if (t.shape()[1] >= 3 && t.shape()[2] >= 3) {
      check_pad(t, {{0, 0}, {2, 1}, {1, 2}}, "REFLECT", name);
      check_pad(t, {{0, 0}, {2, 3}, {3, 2}}, "SYMMETRIC", name);
    }
    check_strided_slice(t, {slice(std::nullopt, std::nullopt, -1), slice(1, std::nullopt), slice(-1, 0, -2)}, name);
    check_strided_slice(t, {slice(1, 3), slice(std::nullopt, std::nullopt, 3), slice(-4, -1)}, name);
  }
  check_concat_stack({x, strided}, 0, "(3, 4, 5) + strided");
  check_concat_stack({x, strided, x}, 2, "three parts");
  check_concat_stack({x, distinct_tensor(dt, Shape{3, 0, 5}, seed + 4)}, 1, "an empty part");
  check_concat_stack({large, large}, 1, "large");
  check_concat_stack({distinct_tensor(dt, Shape{}, seed + 5), distinct_tensor(dt, Shape{}, seed + 6)}, 0, "scalars");
  const Tensor idx32 = constant(std::vector<int64_t>{2, 0, 3, 3, 1}, Shape{5}, DType::kInt32);
  const Tensor idx64 = constant(std::vector<int64_t>{4, 0, 1, 4, 2, 2}, Shape{2, 3}, DType::kInt64);
  check_gather(x, idx32, 1, 0, "(3, 4, 5) axis 1, int32 indices");
  check_gather(x, idx64, 2, 0, "(3, 4, 5) axis 2, 2-D int64 indices");
  check_gather(strided, idx32, 1, 0, "strided params");
  check_gather(x, constant(std::vector<int64_t>{1, 3, 0, 2, 2, 1}, Shape{3, 2}, DType::kInt64), 1, 1, "batch_dims 1");
  check_gather(large, constant(std::vector<int64_t>{128, 0, 64, 7}, Shape{4}, DType::kInt32), 1, 0, "large");
  check_gather_nd(x, constant(std::vector<int64_t>{2, 3, 0, 1, 1, 0}, Shape{3, 2}, DType::kInt64), "pairs");
  check_gather_nd(x, constant(std::vector<int64_t>{2, 3, 4, 0, 0, 0}, Shape{2, 3}, DType::kInt32), "elements");
  check_gather_nd(strided, constant(std::vector<int64_t>{1, 2, 0}, Shape{3, 1}, DType::kInt64), "strided rows");
  check_broadcast_reshape(distinct_tensor(dt, Shape{4, 1, 3}, seed + 7), "(4, 1, 3)");
}

inline void check_segment_sum_rows(DType dt, uint32_t seed) {
  const std::vector<int64_t> ids = {0, 2, -1, 2, 5, 1, 0, 7, 2};  // -1 and 7 are dropped (7 >= num_segments)
  check_unsorted_segment_sum(ordinary_tensor(dt, Shape{9, 4}, -5, 5, seed), ids, 6, "(9, 4)");
  const Tensor wide = ordinary_tensor(dt, Shape{9, 8}, -5, 5, seed + 1);
  const Tensor strided = wide[{all, slice(std::nullopt, std::nullopt, 2)}];
  ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
  check_unsorted_segment_sum(strided, ids, 6, "strided");
  check_unsorted_segment_sum(ordinary_tensor(dt, Shape{0, 3}, -5, 5, seed), {}, 3, "no rows");
  std::vector<int64_t> many(4000);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = static_cast<int64_t>((i * 7) % 13);
  check_unsorted_segment_sum(ordinary_tensor(dt, Shape{4000, 17}, -5, 5, seed + 2), many, 13, "large");
  // Many segments and wide rows: float16/bfloat16 sum in column chunks (several here).
  std::vector<int64_t> spread(300);
  for (std::size_t i = 0; i < spread.size(); ++i) spread[i] = static_cast<int64_t>((i * 4099) % 5000);
  spread[7] = spread[8];  // a segment with two rows
  check_unsorted_segment_sum(ordinary_tensor(dt, Shape{300, 150}, -5, 5, seed + 3), spread, 5000, "5000 segments");
  // Rows of 600 elements, 512 bytes and more in every dtype: summed segment by segment (Note
  // [Segment sums by segment]), float16/bfloat16 and float64 over several column chunks.
  std::vector<int64_t> few(300);
  for (std::size_t i = 0; i < few.size(); ++i) few[i] = static_cast<int64_t>((i * 37) % 211) - 3;  // -3..-1 dropped
  check_unsorted_segment_sum(ordinary_tensor(dt, Shape{300, 2100}, -5, 5, seed + 4), few, 200, "wide rows");
}

/// The family's tables on the current device (a DeviceScope picks it), with the same seeds on
/// CPU:0 and GPU:0.
inline void check_movers_table() { for_each_dtype(kArrayDTypes, 25000, 101, check_movers); }
inline void check_one_hot_table() { for_each_dtype(kArrayDTypes, 25500, 101, check_one_hot); }
inline void check_segment_sum_table() { for_each_dtype(kNumericDTypes, 26000, 101, check_segment_sum_rows); }

}  // namespace tapeflow::testing::op_table
