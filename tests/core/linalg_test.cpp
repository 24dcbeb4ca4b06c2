// tf.matmul and tf.tensordot against NumPy float64 references (tests/fixtures/gen_linalg.py):
// every transpose combination, broadcast batch dims, transposed and sliced views, every dtype,
// empty and K = 0 products, and TF's errors.
#include <gtest/gtest.h>

#include "tests/core/fixtures/linalg_fixtures.h"
#include "tests/core/test_util.h"

namespace {
namespace fx = ::fixtures::linalg;
using tf::testing::expect_values;

tf::Tensor from(const fx::Case& c, tf::DType dt = tf::float64) {
  return tf::constant(c.values, tf::Shape(c.shape), dt);
}
tf::Shape shape_of(const fx::Case& c) { return tf::Shape(c.shape); }
void expect_case(const tf::Tensor& got, const fx::Case& want, double tol = -1) {
  expect_values(got, shape_of(want), want.values, tol);
}

TEST(MatMul, TwoMatricesMatchNumPy) {
  for (tf::DType dt : {tf::float64, tf::float32}) {
    auto y = tf::matmul(from(fx::a, dt), from(fx::b, dt));
    EXPECT_EQ(y.dtype(), dt);
    expect_case(y, fx::ab);
  }
}

TEST(MatMul, EveryTransposeCombination) {
  // Contiguous transposed data with the flags, and transpose views with the flags (BLAS reads
  // both in place).
  auto a = from(fx::a), b = from(fx::b), at = from(fx::a_t), bt = from(fx::b_t);
  expect_case(tf::matmul(at, b, {.transpose_a = true}), fx::ab);
  expect_case(tf::matmul(a, bt, {.transpose_b = true}), fx::ab);
  expect_case(tf::matmul(at, bt, {.transpose_a = true, .transpose_b = true}), fx::ab);
  expect_case(tf::matmul(at, bt, true, true), fx::ab);
  expect_case(tf::matmul(at, b, {.adjoint_a = true}), fx::ab);
  expect_case(tf::matmul(a, bt, {.adjoint_b = true}), fx::ab);
  auto a_view = tf::transpose(at), b_view = tf::transpose(bt);  // (3, 4), (4, 5), column-major
  ASSERT_FALSE(a_view.is_contiguous());
  expect_case(tf::matmul(a_view, b_view), fx::ab);
  expect_case(tf::matmul(tf::transpose(a), b_view, {.transpose_a = true}), fx::ab);
  expect_case(tf::matmul(tf::cast(a_view, tf::float32), tf::cast(tf::transpose(b), tf::float32), {.transpose_b = true}),
              fx::ab);
}

TEST(MatMul, BatchDimsBroadcast) {
  auto y = tf::matmul(from(fx::ba), from(fx::bb));  // (2, 1, 3, 4) x (5, 4, 2)
  expect_case(y, fx::ba_bb);
  expect_case(tf::matmul(from(fx::ba, tf::float32), from(fx::bb, tf::float32)), fx::ba_bb);
  // The same with transposed operands given as views of transposed data.
  auto ba_t = tf::transpose(from(fx::ba), {0, 1, 3, 2});
  auto bb_t = tf::transpose(from(fx::bb), {0, 2, 1});
  expect_case(tf::matmul(ba_t, bb_t, {.transpose_a = true, .transpose_b = true}), fx::ba_bb);
  // A batch of matrices times one matrix, and one matrix times a batch.
  expect_case(tf::matmul(from(fx::x3), from(fx::b)), fx::x3_b);
  auto x3 = from(fx::x3);
  auto first = tf::matmul(x3[0], tf::transpose(x3, {0, 2, 1}));  // (3, 4) x (4, 4, 3) -> (4, 3, 3)
  ASSERT_EQ(first.shape(), (tf::Shape{4, 3, 3}));
  auto ref = tf::matmul(tf::broadcast_to(x3[0], {4, 3, 4}), x3, {.transpose_b = true});
  expect_values(first, ref.shape(), ref.to_vector<double>());
}

TEST(MatMul, SlicedViews) {
  auto wide = from(fx::wide);                         // (3, 6)
  auto cols = wide[{tf::all, tf::slice(1, 5)}];       // row stride 6: read in place
  auto step = wide[{tf::all, tf::slice({}, {}, 2)}];  // column stride 2: copied first
  auto b = from(fx::b);
  expect_case(tf::matmul(cols, b), fx::wide_cols_b);
  expect_case(tf::matmul(step, b[tf::slice({}, 3)]), fx::wide_step_b);
  expect_case(tf::matmul(tf::cast(step, tf::float32), tf::cast(b, tf::float32)[tf::slice({}, 3)]), fx::wide_step_b);
  // Reversed rows (negative stride) are copied too.
  auto rev = tf::reverse(from(fx::a), {0});
  auto want = tf::reverse(from(fx::ab), {0});
  expect_values(tf::matmul(rev, b), want.shape(), want.to_vector<double>());
}

TEST(MatMul, LargeAndManySmall) {
  expect_case(tf::matmul(from(fx::big_a, tf::float32), from(fx::big_b, tf::float32)), fx::big_ab, 1e-5);
  expect_case(tf::matmul(from(fx::big_a), from(fx::big_b)), fx::big_ab);
  // 16 products of 8x8: spread over threads, one BLAS call each.
  expect_case(tf::matmul(from(fx::sm_a, tf::float32), from(fx::sm_b, tf::float32)), fx::sm_ab, 1e-5);
  expect_case(tf::matmul(from(fx::sm_a), from(fx::sm_b)), fx::sm_ab);
}

TEST(MatMul, EveryDtype) {
  // Quarter-integers are exact in every floating dtype; x4 makes them integers for the int dtypes.
  for (tf::DType dt : {tf::float64, tf::float32, tf::float16, tf::bfloat16}) {
    SCOPED_TRACE(tf::dtype_name(dt));
    auto y = tf::matmul(from(fx::qa, dt), from(fx::qb, dt));
    EXPECT_EQ(y.dtype(), dt);
    expect_case(y, fx::qa_qb);
    // A transposed view in the half path as well.
    expect_case(tf::matmul(from(fx::qa, dt), tf::transpose(tf::transpose(from(fx::qb, dt)))), fx::qa_qb);
  }
  std::vector<double> want16;
  for (double v : fx::qa_qb.values) want16.push_back(v * 16);
  for (tf::DType dt : {tf::int32, tf::int64}) {
    SCOPED_TRACE(tf::dtype_name(dt));
    auto qa = tf::cast(from(fx::qa) * 4.0, dt), qb = tf::cast(from(fx::qb) * 4.0, dt);
    auto y = tf::matmul(qa, qb);
    EXPECT_EQ(y.dtype(), dt);
    expect_values(y, shape_of(fx::qa_qb), want16, 0);
    // Transposed operands, read through their strides.
    expect_values(
        tf::matmul(tf::transpose(qa, {0, 2, 1}), tf::transpose(qb), {.transpose_a = true, .transpose_b = true}),
        shape_of(fx::qa_qb), want16, 0);
  }
}

TEST(MatMul, IntegerOverflowWrapsAsTf) {
  auto a = tf::constant({{65536, 65536}});
  auto b = tf::constant({{65536}, {1}});
  // 2^32 + 65536 wraps to 65536 in int32.
  EXPECT_EQ(tf::matmul(a, b).to_vector<int32_t>(), std::vector<int32_t>{65536});
}

template <typename T>
std::vector<T> wrapping_matmul(const std::vector<T>& a, const std::vector<T>& b, int64_t m, int64_t k, int64_t n) {
  using U = std::make_unsigned_t<T>;
  std::vector<T> c(static_cast<std::size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      U sum = 0;
      for (int64_t kk = 0; kk < k; ++kk)
        sum += static_cast<U>(a[static_cast<std::size_t>(i * k + kk)]) *
               static_cast<U>(b[static_cast<std::size_t>(kk * n + j)]);
      c[static_cast<std::size_t>(i * n + j)] = static_cast<T>(sum);
    }
  return c;
}

TEST(MatMul, SmallIntegerMatricesWrapAtEveryWidth) {
  // The small-matrix path sums in blocks of columns: every width around the block size, with
  // values whose products wrap.
  for (int64_t n : {1, 7, 8, 9, 10, 16, 19}) {
    SCOPED_TRACE(n);
    auto a = tf::random::uniform({5, 6}, {.minval = -1 << 30, .maxval = 1 << 30, .dtype = tf::int32, .seed = 1});
    auto b = tf::random::uniform({6, n}, {.minval = -1 << 30, .maxval = 1 << 30, .dtype = tf::int32, .seed = 2});
    EXPECT_EQ(tf::matmul(a, b).to_vector<int32_t>(),
              wrapping_matmul(a.to_vector<int32_t>(), b.to_vector<int32_t>(), 5, 6, n));
    auto a64 = tf::cast(a, tf::int64), b64 = tf::cast(b, tf::int64) * tf::constant(int64_t{1} << 33);
    EXPECT_EQ(tf::matmul(a64, b64).to_vector<int64_t>(),
              wrapping_matmul(a64.to_vector<int64_t>(), b64.to_vector<int64_t>(), 5, 6, n));
  }
}

TEST(MatMul, EmptyAndZeroInnerDimension) {
  auto e = tf::matmul(tf::zeros({0, 3}), tf::ones({3, 4}));
  EXPECT_EQ(e.shape(), (tf::Shape{0, 4}));
  // K = 0: an empty sum is zero.
  for (tf::DType dt : {tf::float32, tf::float64, tf::float16, tf::int32}) {
    auto z = tf::matmul(tf::zeros({2, 3, 0}, dt), tf::zeros({0, 4}, dt));
    expect_values(z, {2, 3, 4}, std::vector<double>(24, 0.0), 0);
  }
  EXPECT_EQ(tf::matmul(tf::zeros({0, 2, 3}), tf::ones({3, 4})).shape(), (tf::Shape{0, 2, 4}));
  EXPECT_EQ(tf::matmul(tf::zeros({2, 0}), tf::ones({0, 0})).shape(), (tf::Shape{2, 0}));
}

TEST(MatMul, OpNamesAsTf) {
  EXPECT_EQ(tf::find_op("MatMul"), &tf::ops::MatMul);
  EXPECT_EQ(tf::find_op("BatchMatMulV2"), &tf::ops::BatchMatMulV2);
}

TEST(MatMul, ErrorsAsTf) {
  using tf::errors::InvalidArgumentError;
  EXPECT_TF_ERROR(tf::matmul(tf::ones({3}), tf::ones({3, 2})), InvalidArgumentError, "In[0] ndims must be >= 2: 1");
  EXPECT_TF_ERROR(tf::matmul(tf::ones({2, 3}), tf::ones({3})), InvalidArgumentError, "In[1] ndims must be >= 2: 1");
  EXPECT_TF_ERROR(tf::matmul(tf::ones({2, 3}), tf::ones({4, 5})), InvalidArgumentError,
                  "Matrix size-incompatible: In[0]: [2,3], In[1]: [4,5]");
  EXPECT_TF_ERROR(tf::matmul(tf::ones({2, 3}), tf::ones({2, 3}), {.transpose_b = false}), InvalidArgumentError,
                  "[Op:MatMul]");
  EXPECT_TF_ERROR(tf::matmul(tf::ones({2, 2, 3}), tf::ones({2, 4})), InvalidArgumentError,
                  "Matrix size-incompatible: In[0]: [2,2,3], In[1]: [2,4]");
  EXPECT_TF_ERROR(tf::matmul(tf::ones({2, 2, 3}), tf::ones({3, 3, 4})), InvalidArgumentError,
                  "must have compatible batch dimensions: [2,2,3] vs. [3,3,4]");
  EXPECT_TF_ERROR(tf::matmul(tf::ones({2, 2}), tf::ones({2, 2}, tf::float64)), InvalidArgumentError,
                  "expected to be a float32 tensor but is a float64 tensor");
  EXPECT_TF_ERROR(tf::matmul(tf::ones({2, 2}, tf::int8), tf::ones({2, 2}, tf::int8)), InvalidArgumentError,
                  "MatMul is not defined for dtype int8");
  EXPECT_TF_ERROR(tf::matmul(tf::ones({2, 2}), tf::ones({2, 2}), {.transpose_a = true, .adjoint_a = true}),
                  InvalidArgumentError, "Only one of transpose_a and adjoint_a");
}

TEST(Tensordot, MatchesNumPy) {
  auto ta = from(fx::ta), tb = from(fx::tb), tc = from(fx::tc);
  expect_case(tf::tensordot(ta, tb, 1), fx::td_1);
  expect_case(tf::tensordot(ta, tb, {{1, 2}, {1, 0}}), fx::td_pairs);
  expect_case(tf::tensordot(ta, tb, {{-2, -1}, {1, 0}}), fx::td_pairs);
  expect_case(tf::tensordot(ta, ta, {{0}, {0}}), fx::td_lead);   // a read transposed in place
  expect_case(tf::tensordot(ta, tc, {{2}, {1}}), fx::td_trail);  // b read transposed in place
  auto a2 = from(fx::a)[{tf::slice({}, 2), tf::slice({}, 2)}], b2 = from(fx::b)[{tf::slice({}, 2), tf::slice({}, 3)}];
  expect_case(tf::tensordot(a2, b2, 0), fx::td_0);
  expect_case(tf::tensordot(from(fx::a), from(fx::b), 1), fx::ab);
}

TEST(Tensordot, Errors) {
  using tf::errors::InvalidArgumentError;
  EXPECT_TF_ERROR(tf::tensordot(tf::ones({2, 3}), tf::ones({4, 5}), 1), InvalidArgumentError,
                  "contracted dimensions must match");
  EXPECT_TF_ERROR(tf::tensordot(tf::ones({2, 3}), tf::ones({3}), 3), InvalidArgumentError, "'axes' must not be larger");
  EXPECT_TF_ERROR(tf::tensordot(tf::ones({2, 3}), tf::ones({3}), {{1, 0}, {0}}), InvalidArgumentError,
                  "Different number of contraction axes");
}

}  // namespace
