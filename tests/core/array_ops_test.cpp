// Shape ops against NumPy (tests/fixtures/gen_array_ops.py): reshape, transpose, expand_dims,
// squeeze, broadcast_to, concat, stack, unstack, split, tile, pad, reverse, gather, gather_nd,
// one_hot — values, views, non-contiguous inputs, empty tensors and every error.
#include <gtest/gtest.h>

#include "tests/core/fixtures/array_ops_fixtures.h"
#include "tests/core/test_util.h"

namespace {
using tf::testing::expect_values;

tf::Tensor y234() { return tf::reshape(tf::cast(tf::range(24), tf::float64), {2, 3, 4}); }
tf::Shape S(const std::vector<int64_t>& v) { return tf::Shape(v); }

TEST(Reshape, ViewsAndMinusOne) {
  auto y = y234();
  auto r = tf::reshape(y, {4, -1});
  EXPECT_EQ(r.shape(), (tf::Shape{4, 6}));
  EXPECT_EQ(r.storage(), y.storage());
  expect_values(tf::reshape(y, {-1}), {24}, tf::testing::values_as_double(y));
  // A non-contiguous input is copied first.
  auto t = tf::transpose(y);
  auto rt = tf::reshape(t, {-1});
  expect_values(rt[tf::slice(0, 4)], {4}, {0, 12, 4, 16});
  expect_values(tf::reshape(tf::zeros({0, 3}), {3, -1}), {3, 0}, {});
  expect_values(tf::reshape(tf::constant({5}), {}), {}, {5});
}

TEST(Reshape, ErrorsAsTf) {
  auto x = tf::zeros({3, 2, 5});
  EXPECT_TF_ERROR(tf::reshape(x, {7, -1}), tf::errors::InvalidArgumentError,
                  "Input to reshape is a tensor with 30 values, but the requested shape requires a multiple of 7");
  EXPECT_TF_ERROR(tf::reshape(x, {4, 3}), tf::errors::InvalidArgumentError,
                  "Input to reshape is a tensor with 30 values, but the requested shape has 12");
  EXPECT_TF_ERROR(tf::reshape(x, {-1, -1}), tf::errors::InvalidArgumentError, "Only one input size may be -1");
}

TEST(Transpose, ViewsMatchNumPy) {
  auto y = y234();
  auto t = tf::transpose(y, {1, 0, 2});
  EXPECT_EQ(t.storage(), y.storage());
  expect_values(t, S(fixtures::transpose_102_shape), fixtures::transpose_102, 0);
  expect_values(tf::transpose(y), S(fixtures::transpose_default_shape), fixtures::transpose_default, 0);
  expect_values(tf::transpose(y, {-2, -3, -1}), S(fixtures::transpose_102_shape), fixtures::transpose_102, 0);
  EXPECT_TF_ERROR(tf::transpose(y, {0, 1}), tf::errors::InvalidArgumentError, "vector of size 3");
  EXPECT_TF_ERROR(tf::transpose(y, {0, 1, 1}), tf::errors::InvalidArgumentError, "duplicated");
  EXPECT_TF_ERROR(tf::transpose(y, {0, 1, 3}), tf::errors::InvalidArgumentError, "out of range");
}

TEST(ExpandSqueeze, UnitAxes) {
  auto y = y234();
  EXPECT_EQ(tf::expand_dims(y, 0).shape(), (tf::Shape{1, 2, 3, 4}));
  EXPECT_EQ(tf::expand_dims(y, -1).shape(), (tf::Shape{2, 3, 4, 1}));
  EXPECT_EQ(tf::expand_dims(y, 2).shape(), (tf::Shape{2, 3, 1, 4}));
  // On a non-contiguous view: still a view, values intact.
  auto t = tf::expand_dims(tf::transpose(y), 1);
  EXPECT_EQ(t.storage(), y.storage());
  expect_values(tf::squeeze(t), S(fixtures::transpose_default_shape), fixtures::transpose_default, 0);
  EXPECT_EQ(tf::squeeze(tf::zeros({1, 2, 1, 3, 1})).shape(), (tf::Shape{2, 3}));
  EXPECT_EQ(tf::squeeze(tf::zeros({1, 2, 1}), {-1}).shape(), (tf::Shape{1, 2}));
  EXPECT_TF_ERROR(tf::squeeze(y, {1}), tf::errors::InvalidArgumentError, "Can not squeeze dim[1]");
  EXPECT_TF_ERROR(tf::expand_dims(y, 5), tf::errors::InvalidArgumentError, "expand dim index 5");
}

TEST(BroadcastTo, StrideZeroView) {
  auto y = y234();
  auto b = tf::broadcast_to(y[{tf::all, tf::slice(0, 1)}], {2, 3, 4});
  expect_values(b, S(fixtures::broadcast_to_shape), fixtures::broadcast_to, 0);
  expect_values(tf::broadcast_to(tf::constant({1, 2, 3}), {3, 3}), {3, 3}, {1, 2, 3, 1, 2, 3, 1, 2, 3});
  EXPECT_TF_ERROR(tf::broadcast_to(tf::constant({1, 2, 3}), {3, 2}), tf::errors::InvalidArgumentError,
                  "Incompatible shapes");
}

TEST(ConcatStack, MatchNumPy) {
  auto y = y234();
  expect_values(tf::concat({y, y * 10.0}, 1), S(fixtures::concat_axis1_shape), fixtures::concat_axis1, 0);
  expect_values(tf::concat({y, y[{tf::all, tf::all, tf::slice({}, 2)}]}, -1), S(fixtures::concat_axis_neg1_shape),
                fixtures::concat_axis_neg1, 0);
  expect_values(tf::stack({y, y + 100.0}, 1), S(fixtures::stack_axis1_shape), fixtures::stack_axis1, 0);
  expect_values(tf::stack({tf::constant(1), tf::constant(2)}), {2}, {1, 2});
  expect_values(tf::concat({tf::zeros({0, 2}), tf::ones({1, 2})}, 0), {1, 2}, {1, 1});
  EXPECT_TF_ERROR(tf::concat({y, tf::zeros({2, 4, 4}, tf::float64)}, 0), tf::errors::InvalidArgumentError,
                  "Dimension 1 in both shapes must be equal");
  EXPECT_TF_ERROR(tf::concat({y, tf::cast(y, tf::float32)}, 0), tf::errors::InvalidArgumentError, "same dtype");
  EXPECT_TF_ERROR(tf::concat({y}, 3), tf::errors::InvalidArgumentError, "axis 3 is out of bounds");
  EXPECT_TF_ERROR(tf::stack({y, tf::zeros({2, 3})}), tf::errors::InvalidArgumentError,
                  "Shapes of all inputs must match");
}

TEST(SplitUnstack, Views) {
  auto y = y234();
  auto parts = tf::split(y, 2, 2);
  ASSERT_EQ(parts.size(), 2u);
  expect_values(parts[1][{0, 0}], {2}, {2, 3}, 0);
  auto sized = tf::split(y, std::vector<int64_t>{1, -1}, 1);
  EXPECT_EQ(sized[1].shape(), (tf::Shape{2, 2, 4}));
  EXPECT_EQ(sized[1].storage(), y.storage());
  auto rows = tf::unstack(y, 1);
  ASSERT_EQ(rows.size(), 3u);
  expect_values(rows[2][1], {4}, {20, 21, 22, 23}, 0);
  EXPECT_TF_ERROR(tf::split(y, 3, 2), tf::errors::InvalidArgumentError, "evenly divide");
  EXPECT_TF_ERROR(tf::split(y, std::vector<int64_t>{1, 1}, 1), tf::errors::InvalidArgumentError, "Determined shape");
}

TEST(TilePadReverse, MatchNumPy) {
  auto y = y234();
  expect_values(tf::tile(y, {2, 1, 3}), S(fixtures::tile_213_shape), fixtures::tile_213, 0);
  expect_values(tf::pad(y, {{1, 0}, {0, 2}, {1, 1}}, "CONSTANT", -1), S(fixtures::pad_constant_shape),
                fixtures::pad_constant, 0);
  expect_values(tf::pad(y, {{1, 1}, {2, 1}, {3, 0}}, "REFLECT"), S(fixtures::pad_reflect_shape), fixtures::pad_reflect,
                0);
  expect_values(tf::pad(y, {{1, 1}, {2, 1}, {3, 0}}, "SYMMETRIC"), S(fixtures::pad_symmetric_shape),
                fixtures::pad_symmetric, 0);
  expect_values(tf::reverse(y, {0, -1}), S(fixtures::reverse_02_shape), fixtures::reverse_02, 0);
  // Tile of a non-contiguous input.
  expect_values(tf::tile(tf::transpose(tf::constant({{1, 2}, {3, 4}})), {1, 2}), {2, 4}, {1, 3, 1, 3, 2, 4, 2, 4});
  EXPECT_TF_ERROR(tf::tile(y, {2}), tf::errors::InvalidArgumentError, "vector of length 3");
  EXPECT_TF_ERROR(tf::pad(y, {{3, 0}, {0, 0}, {0, 0}}, "REFLECT"), tf::errors::InvalidArgumentError,
                  "no greater than the dimension size");
  EXPECT_TF_ERROR(tf::pad(y, {{0, 0}}), tf::errors::InvalidArgumentError, "rank of inputs");
}

TEST(Gather, MatchNumPy) {
  auto y = y234();
  expect_values(tf::gather(y, tf::constant({2, 0, 2}), 1), S(fixtures::gather_axis1_shape), fixtures::gather_axis1, 0);
  expect_values(tf::gather(y, tf::constant({{3, 0}, {1, 1}}, tf::int64), -1),
                S(fixtures::gather_axis2_2d_indices_shape), fixtures::gather_axis2_2d_indices, 0);
  expect_values(tf::gather_nd(y, tf::constant({{1, 2}, {0, 0}})), S(fixtures::gather_nd_shape), fixtures::gather_nd, 0);
  expect_values(tf::gather_nd(y, tf::constant({{1, 2, 3}, {0, 1, 0}})), S(fixtures::gather_nd_full_shape),
                fixtures::gather_nd_full, 0);
  // batch_dims: per-row picks.
  auto p = tf::constant({{1, 2, 3}, {4, 5, 6}});
  expect_values(tf::gather(p, tf::constant({{2}, {0}}), 1, 1), {2, 1}, {3, 4});
  auto strings = tf::constant(std::vector<std::string>{"a", "b", "c"});
  EXPECT_EQ(tf::gather(strings, tf::constant({2, 0})).to_vector<std::string>(), (std::vector<std::string>{"c", "a"}));
  EXPECT_TF_ERROR(tf::gather(y, tf::constant({0, 7}), 2), tf::errors::InvalidArgumentError,
                  "indices[1] = 7 is not in [0, 4)");
  EXPECT_TF_ERROR(tf::gather(y, tf::constant({0.f})), tf::errors::InvalidArgumentError, "int32 or int64");
  EXPECT_TF_ERROR(tf::gather_nd(y, tf::constant({{2, 0}})), tf::errors::InvalidArgumentError,
                  "does not index into param shape");
}

TEST(OneHot, AsTf) {
  auto o = tf::one_hot(tf::constant({0, 2, -1, 5}), 3);
  expect_values(o, {4, 3}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(o.dtype(), tf::float32);
  auto a0 = tf::one_hot(tf::constant({1, 0}), 3, 5, -1, 0, tf::int32);
  expect_values(a0, {3, 2}, {-1, 5, 5, -1, -1, -1});
  EXPECT_TF_ERROR(tf::one_hot(tf::constant({1.f}), 3), tf::errors::InvalidArgumentError, "indices must be");
  EXPECT_TF_ERROR(tf::one_hot(tf::constant({1}), -1), tf::errors::InvalidArgumentError, "depth must be non-negative");
}

}  // namespace

namespace {
// Issue 19's threaded kernels on inputs above the parallel grain, against element-by-element
// references: pad (CONSTANT: fill, then the interior), unsorted_segment_sum (columns split across
// threads; each output keeps the id order, so float64 sums are exact to the sequential ones),
// where (contiguous select).
TEST(LargeCopies, PadSegmentSumWhereMatchReferences) {
  const int64_t R = 300, C = 517;
  std::vector<double> v(static_cast<std::size_t>(R * C));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>((i * 7919) % 1000) / 7.0 - 60.0;
  const tf::Tensor x = tf::constant(v, tf::Shape{R, C}, tf::float64);

  const std::vector<double> p = tf::pad(x, {{2, 1}, {3, 4}}, "CONSTANT", -5).to_vector<double>();
  ASSERT_EQ(p.size(), static_cast<std::size_t>((R + 3) * (C + 7)));
  for (int64_t i = 0; i < R + 3; ++i)
    for (int64_t j = 0; j < C + 7; ++j) {
      const bool inside = i >= 2 && i < R + 2 && j >= 3 && j < C + 3;
      ASSERT_EQ(p[static_cast<std::size_t>(i * (C + 7) + j)],
                inside ? v[static_cast<std::size_t>((i - 2) * C + j - 3)] : -5.0)
          << i << ", " << j;
    }

  std::vector<int32_t> ids(static_cast<std::size_t>(R));
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>((i * 13) % 41) - 1;  // -1: dropped
  const std::vector<double> s = tf::unsorted_segment_sum(x, tf::constant(ids, tf::Shape{R}), 40).to_vector<double>();
  std::vector<double> want(static_cast<std::size_t>(40 * C), 0.0);
  for (int64_t i = 0; i < R; ++i)
    if (ids[static_cast<std::size_t>(i)] >= 0)
      for (int64_t j = 0; j < C; ++j)
        want[static_cast<std::size_t>(ids[static_cast<std::size_t>(i)] * C + j)] +=
            v[static_cast<std::size_t>(i * C + j)];
  ASSERT_EQ(s, want);

  std::vector<bool> cv(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) cv[i] = v[i] > 0;
  const tf::Tensor cond = tf::greater(x, tf::zeros_like(x));
  const std::vector<double> w = tf::where(cond, x, tf::negative(x)).to_vector<double>();
  for (std::size_t i = 0; i < v.size(); ++i) ASSERT_EQ(w[i], cv[i] ? v[i] : -v[i]) << i;
}

// Outputs of 64 MB or more are written with streaming stores (Note [Streaming stores for large
// outputs]) by tile (Note [Tile reads its input once]), pad, gather, unsorted_segment_sum (Note
// [Segment sums by segment]), transpose and concat. float32 (4099, 4097): rows that start off a
// 16-byte boundary, against element-by-element references, bit for bit (the segment sums add
// in id order in float, as the reference does).
TEST(LargeCopies, StreamedOutputsMatchReferences) {
  const int64_t R = 4099, C = 4097;  // 67.2 MB of float32, above kStreamBytes (64 MiB)
  std::vector<float> v(static_cast<std::size_t>(R * C));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 2654435761u) % 100003) * 0.25f - 9000.f;
  const tf::Tensor x = tf::constant(v, tf::Shape{R, C});
  auto src = [&](int64_t i, int64_t j) { return v[static_cast<std::size_t>(i * C + j)]; };
  // Every element of `got` (rows x cols) against want(i, j); reports the first mismatch.
  auto expect_all = [](const tf::Tensor& got, int64_t rows, int64_t cols, const auto& want, const char* what) {
    ASSERT_EQ(got.shape(), (tf::Shape{rows, cols})) << what;
    const std::vector<float> g = got.to_vector<float>();
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        if (g[static_cast<std::size_t>(i * cols + j)] != want(i, j))
          FAIL() << what << " [" << i << ", " << j << "]: " << g[static_cast<std::size_t>(i * cols + j)] << " vs "
                 << want(i, j);
  };
  expect_all(tf::tile(x, {2, 1}), 2 * R, C, [&](int64_t i, int64_t j) { return src(i % R, j); }, "tile (2, 1)");
  expect_all(tf::tile(x, {1, 2}), R, 2 * C, [&](int64_t i, int64_t j) { return src(i, j % C); }, "tile (1, 2)");
  expect_all(tf::pad(x, {{1, 2}, {3, 1}}, "CONSTANT", -5), R + 3, C + 4,
             [&](int64_t i, int64_t j) {
               return i >= 1 && i <= R && j >= 3 && j < C + 3 ? src(i - 1, j - 3) : -5.f;
             },
             "pad");
  std::vector<int32_t> ids(static_cast<std::size_t>(R));
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>((i * 7919) % 3001) - 1;  // -1 dropped
  const tf::Tensor idx = tf::constant(ids, tf::Shape{R});
  expect_all(tf::gather(x, tf::abs(idx)), R, C,
             [&](int64_t i, int64_t j) { return src(std::abs(ids[static_cast<std::size_t>(i)]), j); }, "gather");
  std::vector<float> sums(static_cast<std::size_t>(R * C), 0.f);
  for (int64_t i = 0; i < R; ++i)
    if (const int64_t s = ids[static_cast<std::size_t>(i)]; s >= 0)
      for (int64_t j = 0; j < C; ++j) sums[static_cast<std::size_t>(s * C + j)] += src(i, j);
  expect_all(tf::unsorted_segment_sum(x, idx, R), R, C,
             [&](int64_t i, int64_t j) { return sums[static_cast<std::size_t>(i * C + j)]; }, "unsorted_segment_sum");
  expect_all(tf::transpose(x).contiguous(), C, R, [&](int64_t i, int64_t j) { return src(j, i); }, "transpose");
  expect_all(tf::concat({x, x}, 1), R, 2 * C, [&](int64_t i, int64_t j) { return src(i, j % C); }, "concat");
}
}  // namespace
