// SparseTensor and tf.sparse ops: the "Sparse tensors" example of TF's tensor guide, construction
// checks, index validation messages, reorder, from_dense, add, reduce_sum and sparse_dense_matmul.
#include <gtest/gtest.h>

#include "tests/core/fixtures/sparse_fixtures.h"
#include "tests/core/test_util.h"

namespace {

using I64 = std::vector<int64_t>;
using tf::sparse::SparseTensor;

TEST(Sparse, TutorialExample) {
  SparseTensor sparse_tensor({{0, 0}, {1, 2}}, tf::constant({1, 2}), {3, 4});
  EXPECT_EQ(sparse_tensor.indices().dtype(), tf::int64);
  EXPECT_EQ(sparse_tensor.indices().shape(), (tf::Shape{2, 2}));
  EXPECT_EQ(sparse_tensor.dense_shape().to_vector<int64_t>(), (I64{3, 4}));
  EXPECT_EQ(sparse_tensor.shape(), (tf::Shape{3, 4}));
  EXPECT_EQ(sparse_tensor.dtype(), tf::int32);
  // The printed form is TF's, its parts printed as tf.Tensor.
  std::ostringstream os, want;
  os << sparse_tensor;
  want << "SparseTensor(indices=" << sparse_tensor.indices() << ", values=" << sparse_tensor.values()
       << ", dense_shape=" << sparse_tensor.dense_shape() << ")";
  EXPECT_EQ(os.str(), want.str());
  EXPECT_EQ(os.str().rfind("SparseTensor(indices=tf.Tensor(", 0), 0u);
  auto dense = tf::sparse::to_dense(sparse_tensor);
  EXPECT_EQ(dense.shape(), (tf::Shape{3, 4}));
  EXPECT_EQ(dense.dtype(), tf::int32);
  EXPECT_EQ(dense.to_vector<int32_t>(), (std::vector<int32_t>{1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0}));
}

TEST(Sparse, TensorConstructorAndShapeChecks) {
  // int32 indices/dense_shape tensors are accepted and stored as int64.
  SparseTensor sp(tf::constant({{0, 1}}), tf::constant({5.f}), tf::constant({2, 2}));
  EXPECT_EQ(sp.indices().dtype(), tf::int64);
  EXPECT_EQ(tf::sparse::to_dense(sp, -1.f).to_vector<float>(), (std::vector<float>{-1, 5, -1, -1}));
  EXPECT_TF_ERROR(SparseTensor(tf::constant({0, 1}), tf::constant({5.f}), tf::constant({2, 2})),
                  tf::errors::InvalidArgumentError, "must have rank 2 (indices)");
  EXPECT_TF_ERROR(SparseTensor(tf::constant({{0, 1}}), tf::constant({5.f, 6.f}), tf::constant({2, 2})),
                  tf::errors::InvalidArgumentError, "indices has 1 rows but values has 2 entries");
  EXPECT_TF_ERROR(SparseTensor(tf::constant({{0, 1}}), tf::constant({5.f}), tf::constant({2, 2, 2})),
                  tf::errors::InvalidArgumentError, "indices have rank 2 but dense_shape has rank 3");
  EXPECT_TF_ERROR(SparseTensor({{0, 1, 2}}, tf::constant({5.f}), {2, 2}), tf::errors::InvalidArgumentError,
                  "each index needs 2 coordinates");
  EXPECT_TF_ERROR(SparseTensor({{0, 0}}, tf::constant({5.f}), {2, -2}), tf::errors::InvalidArgumentError,
                  "dense_shape must be non-negative");
  EXPECT_TF_ERROR(SparseTensor(tf::constant({{0.f, 1.f}}), tf::constant({5.f}), tf::constant({2, 2})),
                  tf::errors::InvalidArgumentError, "indices must be int64");
}

TEST(Sparse, ToDenseValidatesIndices) {
  SparseTensor oob({{0, 0}, {1, 5}}, tf::constant({1, 2}), {3, 4});
  EXPECT_TF_ERROR(tf::sparse::to_dense(oob), tf::errors::InvalidArgumentError,
                  "indices[1] = [1,5] is out of bounds: need 0 <= index < [3,4]");
  SparseTensor unordered({{1, 2}, {0, 0}}, tf::constant({2, 1}), {3, 4});
  EXPECT_TF_ERROR(tf::sparse::to_dense(unordered), tf::errors::InvalidArgumentError,
                  "indices[1] = [0,0] is out of order. Many sparse ops require sorted indices.");
  SparseTensor repeated({{1, 2}, {1, 2}}, tf::constant({2, 1}), {3, 4});
  EXPECT_TF_ERROR(tf::sparse::to_dense(repeated), tf::errors::InvalidArgumentError, "indices[1] = [1,2] is repeated");
  // validate_indices=false accepts any order (bounds are still checked).
  EXPECT_EQ(tf::sparse::to_dense(unordered, std::nullopt, false).to_vector<int32_t>(),
            tf::sparse::to_dense(tf::sparse::reorder(unordered)).to_vector<int32_t>());
  EXPECT_TF_ERROR(tf::sparse::to_dense(oob, std::nullopt, false), tf::errors::InvalidArgumentError, "out of bounds");
}

TEST(Sparse, ReorderSortsRowMajor) {
  SparseTensor sp({{2, 0}, {0, 3}, {1, 1}, {0, 1}}, tf::constant({4.0, 2.0, 3.0, 1.0}, tf::float64), {3, 4});
  auto r = tf::sparse::reorder(sp);
  EXPECT_EQ(r.indices().to_vector<int64_t>(), (I64{0, 1, 0, 3, 1, 1, 2, 0}));
  EXPECT_EQ(r.values().to_vector<double>(), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(r.dense_shape().to_vector<int64_t>(), (I64{3, 4}));
  // Strings reorder too; to_dense fills "" by default.
  SparseTensor words({{1}, {0}}, tf::constant({"b", "a"}), {3});
  EXPECT_EQ(tf::sparse::to_dense(tf::sparse::reorder(words)).to_vector<std::string>(),
            (std::vector<std::string>{"a", "b", ""}));
}

TEST(Sparse, FromDenseRoundTrip) {
  auto x = tf::constant({{0, 7, 0}, {5, 0, 0}});
  auto sp = tf::sparse::from_dense(x);
  EXPECT_EQ(sp.indices().to_vector<int64_t>(), (I64{0, 1, 1, 0}));
  EXPECT_EQ(sp.values().to_vector<int32_t>(), (std::vector<int32_t>{7, 5}));
  EXPECT_EQ(sp.dense_shape().to_vector<int64_t>(), (I64{2, 3}));
  EXPECT_EQ(tf::sparse::to_dense(sp).to_vector<int32_t>(), x.to_vector<int32_t>());
  auto empty = tf::sparse::from_dense(tf::zeros({2, 2}));
  EXPECT_EQ(empty.nnz(), 0);
  EXPECT_EQ(empty.indices().shape(), (tf::Shape{0, 2}));
  auto b = tf::sparse::from_dense(tf::constant({true, false, true}));
  EXPECT_EQ(b.indices().to_vector<int64_t>(), (I64{0, 2}));
}

TEST(Sparse, AddSparseSparseAndSparseDense) {
  SparseTensor a({{0, 0}, {1, 2}}, tf::constant({1.f, 2.f}), {3, 4});
  SparseTensor b({{2, 3}, {1, 2}}, tf::constant({10.f, -2.f}), {3, 4});  // unordered on purpose
  auto c = tf::sparse::add(a, b);
  EXPECT_EQ(c.indices().to_vector<int64_t>(), (I64{0, 0, 1, 2, 2, 3}));
  EXPECT_EQ(c.values().to_vector<float>(), (std::vector<float>{1, 0, 10}));
  auto thresholded = tf::sparse::add(a, b, 0.5);
  EXPECT_EQ(thresholded.indices().to_vector<int64_t>(), (I64{0, 0, 2, 3}));
  auto d = tf::sparse::add(a, tf::ones({3, 4}));
  EXPECT_EQ(d.to_vector<float>(), (std::vector<float>{2, 1, 1, 1, 1, 1, 3, 1, 1, 1, 1, 1}));
  EXPECT_EQ(tf::sparse::add(tf::ones({3, 4}), a).to_vector<float>(), d.to_vector<float>());
  EXPECT_TF_ERROR(tf::sparse::add(a, SparseTensor({{0}}, tf::constant({1.f}), {3})), tf::errors::InvalidArgumentError,
                  "Operands do not have the same ranks or shapes");
  EXPECT_TF_ERROR(tf::sparse::add(a, tf::ones({3, 4}, tf::float64)), tf::errors::InvalidArgumentError, "tf::cast");
  EXPECT_TF_ERROR(tf::sparse::add(a, tf::ones({4, 3})), tf::errors::InvalidArgumentError, "Dimension mismatch");
  EXPECT_TF_ERROR(tf::sparse::add(a, SparseTensor({{5, 0}}, tf::constant({1.f}), {3, 4})),
                  tf::errors::InvalidArgumentError, "indices[0] = [5,0] is out of bounds");
}

TEST(Sparse, ReduceSum) {
  // [[1, 0, 2], [0, 3, 0]]
  SparseTensor sp({{0, 0}, {0, 2}, {1, 1}}, tf::constant({1, 2, 3}), {2, 3});
  EXPECT_EQ(tf::sparse::reduce_sum(sp).item<int32_t>(), 6);
  auto rows = tf::sparse::reduce_sum(sp, std::vector<int>{1});
  EXPECT_EQ(rows.shape(), (tf::Shape{2}));
  EXPECT_EQ(rows.to_vector<int32_t>(), (std::vector<int32_t>{3, 3}));
  auto cols = tf::sparse::reduce_sum(sp, std::vector<int>{-2}, true);
  EXPECT_EQ(cols.shape(), (tf::Shape{1, 3}));
  EXPECT_EQ(cols.to_vector<int32_t>(), (std::vector<int32_t>{1, 3, 2}));
  EXPECT_EQ(tf::sparse::reduce_sum(sp, std::nullopt, true).shape(), (tf::Shape{1, 1}));
  EXPECT_TF_ERROR(tf::sparse::reduce_sum(sp, std::vector<int>{2}), tf::errors::InvalidArgumentError,
                  "Invalid reduction dimension 2");
  SparseTensor words({{0}}, tf::constant({"a"}), {2});
  EXPECT_TF_ERROR(tf::sparse::reduce_sum(words), tf::errors::InvalidArgumentError, "numeric");
}

TEST(Sparse, SparseDenseMatmul) {
  // A = [[1, 0, 2], [0, 3, 0]] (2, 3); B = [[1, 2], [3, 4], [5, 6]] (3, 2).
  SparseTensor a({{0, 0}, {0, 2}, {1, 1}}, tf::constant({1.0, 2.0, 3.0}, tf::float64), {2, 3});
  auto b = tf::constant({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}, tf::float64);
  auto c = tf::sparse::sparse_dense_matmul(a, b);
  EXPECT_EQ(c.shape(), (tf::Shape{2, 2}));
  EXPECT_EQ(c.to_vector<double>(), (std::vector<double>{11, 14, 9, 12}));
  // A^T (3, 2) x B^T? (2, 3): A^T B^T = (B A)^T.
  auto bt = tf::constant({{1.0, 3.0, 5.0}, {2.0, 4.0, 6.0}}, tf::float64);  // B^T (2, 3)
  auto d = tf::sparse::sparse_dense_matmul(a, bt, false, true);
  EXPECT_EQ(d.to_vector<double>(), c.to_vector<double>());
  auto e = tf::sparse::sparse_dense_matmul(a, tf::constant({{1.0}, {2.0}}, tf::float64), true);
  EXPECT_EQ(e.shape(), (tf::Shape{3, 1}));
  EXPECT_EQ(e.to_vector<double>(), (std::vector<double>{1, 6, 2}));
  EXPECT_TF_ERROR(tf::sparse::sparse_dense_matmul(a, tf::constant({{1.0, 2.0}}, tf::float64)),
                  tf::errors::InvalidArgumentError, "inner dimension does not match: 3 vs. 1");
}

// Every op against the NumPy float64 references, in every numeric dtype (the fixture's values are
// exact in each, so only accumulation order could differ).
void check_against_fixture(tf::DType dt) {
  namespace fx = sparse_fixtures;
  using tf::testing::expect_values;
  const bool fl = tf::is_floating(dt);
  auto make = [&](const I64& idx, const std::vector<double>& vals) {
    const auto n = static_cast<int64_t>(vals.size());
    return SparseTensor(tf::constant(idx, tf::Shape{n, 2}), tf::constant(vals, tf::Shape{n}, dt),
                        tf::constant(I64{fx::kM, fx::kK}));
  };
  SparseTensor a = fl ? make(fx::kFloatAIndices, fx::kFloatAValues) : make(fx::kIntAIndices, fx::kIntAValues);
  SparseTensor c = fl ? make(fx::kFloatCIndices, fx::kFloatCValues) : make(fx::kIntCIndices, fx::kIntCValues);
  auto b = tf::constant(fl ? fx::kFloatB : fx::kIntB, tf::Shape{fx::kK, fx::kN}, dt);
  const tf::Shape mk{fx::kM, fx::kK};
  auto a_dense = tf::sparse::to_dense(tf::sparse::reorder(a));
  expect_values(a_dense, mk, fl ? fx::kFloatADense : fx::kIntADense);
  expect_values(tf::sparse::to_dense(tf::sparse::add(a, c)), mk, fl ? fx::kFloatAPlusC : fx::kIntAPlusC);
  expect_values(tf::sparse::add(a, tf::sparse::to_dense(tf::sparse::reorder(c))), mk,
                fl ? fx::kFloatAPlusC : fx::kIntAPlusC);
  expect_values(tf::sparse::sparse_dense_matmul(a, b), tf::Shape{fx::kM, fx::kN},
                fl ? fx::kFloatAMatmulB : fx::kIntAMatmulB);
  expect_values(tf::sparse::sparse_dense_matmul(a, a_dense, true), tf::Shape{fx::kK, fx::kK},
                fl ? fx::kFloatATransposeMatmulA : fx::kIntATransposeMatmulA);
  expect_values(tf::sparse::reduce_sum(a, std::vector<int>{0}), tf::Shape{fx::kK},
                fl ? fx::kFloatASumAxis0 : fx::kIntASumAxis0);
  expect_values(tf::sparse::reduce_sum(a, std::vector<int>{1}), tf::Shape{fx::kM},
                fl ? fx::kFloatASumAxis1 : fx::kIntASumAxis1);
  expect_values(tf::sparse::reduce_sum(a), tf::Shape{}, {fl ? fx::kFloatASum : fx::kIntASum});
  expect_values(tf::sparse::to_dense(tf::sparse::from_dense(a_dense)), mk, fl ? fx::kFloatADense : fx::kIntADense);
}

TEST(Sparse, FixtureFloat32) { check_against_fixture(tf::float32); }
TEST(Sparse, FixtureFloat64) { check_against_fixture(tf::float64); }
TEST(Sparse, FixtureFloat16) { check_against_fixture(tf::float16); }
TEST(Sparse, FixtureBFloat16) { check_against_fixture(tf::bfloat16); }
TEST(Sparse, FixtureInt8) { check_against_fixture(tf::int8); }
TEST(Sparse, FixtureUInt8) { check_against_fixture(tf::uint8); }
TEST(Sparse, FixtureInt32) { check_against_fixture(tf::int32); }
TEST(Sparse, FixtureInt64) { check_against_fixture(tf::int64); }

TEST(Sparse, NonContiguousValuesAndEmpty) {
  // values = every other element of [1, 9, 2, 9, 3, 9] (a strided view).
  auto base = tf::constant({1, 9, 2, 9, 3, 9});
  auto strided = tf::detail::make_view(base.storage(), tf::Shape{3}, tf::DimVector{2}, 0, tf::int32, base.device());
  SparseTensor sp({{0, 1}, {1, 0}, {1, 1}}, strided, {2, 2});
  EXPECT_EQ(tf::sparse::to_dense(sp).to_vector<int32_t>(), (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(tf::sparse::reduce_sum(sp, std::vector<int>{0}).to_vector<int32_t>(), (std::vector<int32_t>{2, 4}));
  // No entries at all: dense is all default, sums are zero.
  SparseTensor none(tf::constant(I64{}, tf::Shape{0, 2}), tf::constant(std::vector<float>{}), tf::constant(I64{2, 3}));
  EXPECT_EQ(tf::sparse::to_dense(none, 4.f).to_vector<float>(), (std::vector<float>(6, 4.f)));
  EXPECT_EQ(tf::sparse::reduce_sum(none).item<float>(), 0.f);
  EXPECT_EQ(tf::sparse::add(none, none).nnz(), 0);
  // A 0-d dense shape: one scalar entry at index [].
  SparseTensor scalar(tf::constant(I64{}, tf::Shape{1, 0}), tf::constant({5}), tf::constant(I64{}, tf::Shape{0}));
  EXPECT_EQ(tf::sparse::to_dense(scalar).shape(), tf::Shape{});
  EXPECT_EQ(tf::sparse::to_dense(scalar).item<int32_t>(), 5);
}

}  // namespace
