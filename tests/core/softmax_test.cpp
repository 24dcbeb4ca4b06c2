// tf.nn.softmax, log_softmax and the softmax cross-entropies against NumPy float64 references
// (tests/fixtures/gen_linalg.py): logits that overflow a naive exp, other axes, every floating
// dtype, non-contiguous inputs, empty inputs and TF's errors.
#include <gtest/gtest.h>

#include <bit>
#include <limits>

#include "tests/core/fixtures/linalg_fixtures.h"
#include "tests/core/test_util.h"

namespace {
namespace fx = ::fixtures::linalg;
using tf::testing::expect_values;

tf::Tensor from(const fx::Case& c, tf::DType dt = tf::float64) {
  return tf::constant(c.values, tf::Shape(c.shape), dt);
}
void expect_case(const tf::Tensor& got, const fx::Case& want, double tol = -1) {
  expect_values(got, tf::Shape(want.shape), want.values, tol);
}

TEST(Softmax, StableForHugeLogits) {
  // Row 1 is shifted by +1000 and row 2 by -1000: a naive exp gives inf and 0.
  auto x = from(fx::logits);
  expect_case(tf::nn::softmax(x), fx::softmax_last);
  expect_case(tf::nn::log_softmax(x), fx::log_softmax_last);
  // float32 sees the inputs rounded near 1000 (ulp 6e-5).
  auto x32 = from(fx::logits, tf::float32);
  expect_case(tf::nn::softmax(x32), fx::softmax_last, 1e-4);
  expect_case(tf::nn::log_softmax(x32), fx::log_softmax_last, 1e-4);
  EXPECT_EQ(tf::nn::softmax(x32).dtype(), tf::float32);
}

TEST(Softmax, OtherAxes) {
  auto x = from(fx::logits);
  expect_case(tf::nn::softmax(x, 0), fx::softmax_0);
  expect_case(tf::nn::log_softmax(x, -2), fx::log_softmax_0);
  auto l3 = from(fx::l3);
  expect_case(tf::nn::softmax(l3, 1), fx::softmax_l3_1);
  expect_case(tf::nn::log_softmax(l3, -2), fx::log_softmax_l3_1);
  // A transposed (non-contiguous) input over its last axis equals the original over axis 0.
  auto t = tf::transpose(x);
  ASSERT_FALSE(t.is_contiguous());
  auto want = tf::transpose(from(fx::softmax_0));
  expect_values(tf::nn::softmax(t), want.shape(), want.to_vector<double>());
}

TEST(Softmax, MinusInfinityEntries) {
  const double inf = INFINITY;
  for (tf::DType dt : {tf::float64, tf::float32}) {
    auto x = tf::constant(std::vector<double>{-inf, 0.0, 0.0, 0.0}, tf::Shape{2, 2}, dt);  // [[-inf, 0], [0, 0]]
    expect_values(tf::nn::softmax(x), {2, 2}, {0.0, 1.0, 0.5, 0.5});
    expect_values(tf::nn::softmax(x, 0), {2, 2}, {0.0, 0.5, 1.0, 0.5});  // lanes: -inf seen first
    expect_values(tf::nn::log_softmax(x, 0), {2, 2}, {-inf, -std::log(2.0), 0.0, -std::log(2.0)});
    // A row of only -inf has no distribution: NaN, as TF.
    auto all_inf = tf::constant(std::vector<double>{-inf, -inf}, tf::Shape{2}, dt);
    auto none = tf::testing::values_as_double(tf::nn::softmax(all_inf));
    EXPECT_TRUE(std::isnan(none[0]) && std::isnan(none[1]));
  }
}

// float32 rows whose values span less than 87 take exp8_normal (one 2^n multiply); a -inf
// entry sends the same row through exp8 (clamps, 2^n in two halves) and adds exactly 0 to its
// sum. The two must agree bit for bit, near the span's edge (exp down to ~1e-38) included; the
// rows come in blocks of several per pass (64 columns) and alone (3000).
TEST(Softmax, Float32FastExpGivesTheSameBits) {
  for (int64_t n : {int64_t{64}, int64_t{77}, int64_t{3000}}) {
    SCOPED_TRACE("n = " + std::to_string(n));
    const int64_t rows = 40;
    const tf::Tensor x = tf::random::uniform({rows, n}, {.minval = -43.4, .maxval = 43.4, .seed = 5});
    const tf::Tensor with_inf = tf::concat({x, tf::fill({rows, 1}, -std::numeric_limits<float>::infinity())}, 1);
    for (bool log : {false, true}) {
      const tf::Tensor fast = log ? tf::nn::log_softmax(x) : tf::nn::softmax(x);
      const tf::Tensor full = log ? tf::nn::log_softmax(with_inf) : tf::nn::softmax(with_inf);
      const std::vector<float> a = fast.to_vector<float>(), b = full.to_vector<float>();
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < n; ++j)
          ASSERT_EQ(std::bit_cast<uint32_t>(a[static_cast<std::size_t>(r * n + j)]),
                    std::bit_cast<uint32_t>(b[static_cast<std::size_t>(r * (n + 1) + j)]))
              << (log ? "log_softmax" : "softmax") << " row " << r << " column " << j;
    }
  }
}

TEST(Softmax, EveryFloatingDtype) {
  for (tf::DType dt : {tf::float32, tf::float16, tf::bfloat16}) {
    SCOPED_TRACE(tf::dtype_name(dt));
    auto l3 = from(fx::l3, dt);
    auto s = tf::nn::softmax(l3, 1);
    EXPECT_EQ(s.dtype(), dt);
    // Inputs rounded to dt move the result by about dt's epsilon times |x| (|x| <= 2).
    double tol = 2 * tf::testing::tolerance(dt);
    expect_case(s, fx::softmax_l3_1, tol);
    expect_case(tf::nn::log_softmax(l3, 1), fx::log_softmax_l3_1, tol);
    expect_case(tf::nn::softmax(from(fx::logits, dt)[tf::slice(3, 4)]),
                {{1, 5}, std::vector<double>(fx::softmax_last.values.end() - 5, fx::softmax_last.values.end())}, tol);
  }
}

TEST(Softmax, EmptyAndErrors) {
  EXPECT_EQ(tf::nn::softmax(tf::zeros({0, 5})).shape(), (tf::Shape{0, 5}));
  EXPECT_EQ(tf::nn::log_softmax(tf::zeros({3, 0})).shape(), (tf::Shape{3, 0}));
  using tf::errors::InvalidArgumentError;
  EXPECT_TF_ERROR(tf::nn::softmax(tf::constant(1.0f)), InvalidArgumentError, "logits must have >= 1 dimension");
  EXPECT_TF_ERROR(tf::nn::softmax(tf::ones({2, 3}), 2), InvalidArgumentError, "out of bounds");
  EXPECT_TF_ERROR(tf::nn::softmax(tf::constant({1, 2})), InvalidArgumentError, "logits must be floating");
  EXPECT_TF_ERROR(tf::nn::log_softmax(tf::constant({1, 2})), InvalidArgumentError, "[Op:LogSoftmax]");
}

TEST(SoftmaxCrossEntropy, MatchesNumPy) {
  auto logits = from(fx::logits), labels = from(fx::labels);
  expect_case(tf::nn::softmax_cross_entropy_with_logits(labels, logits), fx::xent);
  expect_case(tf::nn::softmax_cross_entropy_with_logits(labels, logits, 0), fx::xent_0);
  expect_case(tf::nn::softmax_cross_entropy_with_logits(tf::cast(labels, tf::float32), tf::cast(logits, tf::float32)),
              fx::xent, 1e-4);
  // Other dtypes on the moderate rows (0 and 3).
  for (tf::DType dt : {tf::float16, tf::bfloat16}) {
    SCOPED_TRACE(tf::dtype_name(dt));
    auto rows = tf::constant(std::vector<int>{0, 3});
    auto l = tf::cast(tf::gather(labels, rows), dt), x = tf::cast(tf::gather(logits, rows), dt);
    auto got = tf::nn::softmax_cross_entropy_with_logits(l, x);
    EXPECT_EQ(got.dtype(), dt);
    expect_values(got, {2}, {fx::xent.values[0], fx::xent.values[3]}, 8 * tf::testing::tolerance(dt));
  }
}

TEST(SparseSoftmaxCrossEntropy, MatchesNumPy) {
  auto logits = from(fx::logits);
  std::vector<int64_t> idx(fx::sparse_labels.values.begin(), fx::sparse_labels.values.end());
  for (tf::DType label_dt : {tf::int32, tf::int64}) {
    auto labels = tf::cast(tf::constant(idx), label_dt);
    expect_case(tf::nn::sparse_softmax_cross_entropy_with_logits(labels, logits), fx::sparse_xent);
    expect_case(tf::nn::sparse_softmax_cross_entropy_with_logits(labels, tf::cast(logits, tf::float32)),
                fx::sparse_xent, 1e-4);
  }
  // Rank-3 logits with rank-2 labels: the same rows.
  auto logits3 = tf::reshape(logits, {2, 2, 5});
  auto labels2 = tf::reshape(tf::constant(idx), {2, 2});
  expect_values(tf::nn::sparse_softmax_cross_entropy_with_logits(labels2, logits3), {2, 2}, fx::sparse_xent.values);
  // A transposed view of logits.
  auto xt = tf::transpose(tf::transpose(logits));
  expect_case(tf::nn::sparse_softmax_cross_entropy_with_logits(tf::constant(idx), xt), fx::sparse_xent);
  for (tf::DType dt : {tf::float16, tf::bfloat16}) {
    auto x = tf::cast(logits[tf::slice(0, 1)], dt);
    auto got = tf::nn::sparse_softmax_cross_entropy_with_logits(tf::constant(std::vector<int64_t>{idx[0]}), x);
    expect_values(got, {1}, {fx::sparse_xent.values[0]}, 8 * tf::testing::tolerance(dt));
  }
}

// Outputs of 64 MB or more take the streamed pass 3 (Note [Softmax rows in three passes]): the
// exps kept in a scratch row, the output written by streaming stores. Rows that start off a
// 16-byte boundary (4097 columns), special rows (a NaN, -inf entries, only -inf, +inf, a span
// above 87) and sparse labels at either end of a row must give the bits the same rows give in a
// small call (the in-place pass 3), for softmax, log_softmax, both cross-entropies' losses and
// their backprop (the gradient of the summed loss: 1 * backprop).
TEST(Softmax, StreamedLargeOutputsGiveTheSameBits) {
  const int64_t R = 4104, C = 4097;  // 67.3 MB of float32, above kStreamBytes (64 MiB)
  std::vector<float> v = tf::random::uniform({R, C}, {.minval = -20, .maxval = 20, .seed = 9}).to_vector<float>();
  const float inf = std::numeric_limits<float>::infinity();
  auto at = [&](int64_t i, int64_t j) -> float& { return v[static_cast<std::size_t>(i * C + j)]; };
  at(1, 5) = std::numeric_limits<float>::quiet_NaN();
  at(2, 0) = -inf;
  at(2, C - 1) = -inf;
  at(3, 100) = 200.f;
  for (int64_t j = 0; j < C; ++j) at(4, j) = -inf;
  at(5, 7) = inf;
  const tf::Tensor x = tf::constant(v, tf::Shape{R, C});
  std::vector<float> lab = tf::random::uniform({R, C}, {.seed = 10}).to_vector<float>();
  for (std::size_t i = 0; i < lab.size(); i += 3) lab[i] = 0.f;  // labels 0 add nothing, even at -inf
  const tf::Tensor labels = tf::constant(lab, tf::Shape{R, C});
  std::vector<int32_t> ids(static_cast<std::size_t>(R));
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>((i * 131) % static_cast<std::size_t>(C));
  ids[6] = static_cast<int32_t>(C - 1);
  ids[7] = 1;
  ids[8] = 2;
  const tf::Tensor sparse = tf::constant(ids, tf::Shape{R});

  auto bits = [](const tf::Tensor& t) {
    const std::vector<float> f = t.contiguous().to_vector<float>();
    std::vector<uint32_t> b(f.size());
    for (std::size_t i = 0; i < f.size(); ++i) b[i] = std::bit_cast<uint32_t>(f[i]);
    return b;
  };
  // The loss and the backprop of the dense (labels) or sparse cross-entropy.
  auto xent = [](const tf::Tensor& l, const tf::Tensor& logits, bool dense) {
    tf::GradientTape tape;
    tape.watch(logits);
    const tf::Tensor loss = dense ? tf::nn::softmax_cross_entropy_with_logits(l, logits)
                                  : tf::nn::sparse_softmax_cross_entropy_with_logits(l, logits);
    const tf::Tensor total = tf::reduce_sum(loss);
    tape.stop();
    return std::pair{loss, *tape.gradient(total, logits)};
  };
  const tf::Tensor sm = tf::nn::softmax(x), lsm = tf::nn::log_softmax(x);
  const auto [dense_loss, dense_bp] = xent(labels, x, true);
  const auto [sparse_loss, sparse_bp] = xent(sparse, x, false);
  for (const auto& [a, b] : std::vector<std::pair<int64_t, int64_t>>{{0, 12}, {2000, 2003}, {R - 5, R}}) {
    SCOPED_TRACE("rows " + std::to_string(a) + ":" + std::to_string(b));
    const tf::Tensor xs = x[tf::slice(a, b)];
    EXPECT_EQ(bits(sm[tf::slice(a, b)]), bits(tf::nn::softmax(xs))) << "softmax";
    EXPECT_EQ(bits(lsm[tf::slice(a, b)]), bits(tf::nn::log_softmax(xs))) << "log_softmax";
    const auto [dl, dbp] = xent(labels[tf::slice(a, b)], xs, true);
    EXPECT_EQ(bits(dense_loss[tf::slice(a, b)]), bits(dl)) << "dense loss";
    EXPECT_EQ(bits(dense_bp[tf::slice(a, b)]), bits(dbp)) << "dense backprop";
    const auto [sl, sbp] = xent(sparse[tf::slice(a, b)], xs, false);
    EXPECT_EQ(bits(sparse_loss[tf::slice(a, b)]), bits(sl)) << "sparse loss";
    EXPECT_EQ(bits(sparse_bp[tf::slice(a, b)]), bits(sbp)) << "sparse backprop";
  }
  // And the values themselves, on an ordinary row: softmax - onehot sums to 0, the label's entry
  // is the softmax minus 1.
  const std::vector<float> row = sparse_bp[tf::slice(7, 8)].to_vector<float>(), p = sm[tf::slice(7, 8)].to_vector<float>();
  EXPECT_EQ(row[1], p[1] - 1.f);
  EXPECT_EQ(row[0], p[0]);
}

TEST(SoftmaxCrossEntropy, Errors) {
  using tf::errors::InvalidArgumentError;
  auto x = tf::ones({2, 3});
  EXPECT_TF_ERROR(tf::nn::sparse_softmax_cross_entropy_with_logits(tf::constant({0, 3}), x), InvalidArgumentError,
                  "Received a label value of 3 which is outside the valid range of [0, 3).  Label values: 0 3");
  EXPECT_TF_ERROR(tf::nn::sparse_softmax_cross_entropy_with_logits(tf::constant({-1, 0}), x), InvalidArgumentError,
                  "Received a label value of -1");
  EXPECT_TF_ERROR(tf::nn::sparse_softmax_cross_entropy_with_logits(tf::constant({{0, 1}}), x), InvalidArgumentError,
                  "Rank mismatch: Rank of labels (received 2) should equal rank of logits minus 1 (received 2)");
  EXPECT_TF_ERROR(tf::nn::sparse_softmax_cross_entropy_with_logits(tf::constant({0, 1, 2}), x), InvalidArgumentError,
                  "Shape mismatch");
  EXPECT_TF_ERROR(tf::nn::sparse_softmax_cross_entropy_with_logits(tf::constant({0.f, 1.f}), x), InvalidArgumentError,
                  "labels must be int32 or int64");
  EXPECT_TF_ERROR(
      tf::nn::sparse_softmax_cross_entropy_with_logits(tf::constant({0, 1}), tf::constant({{1, 2}, {3, 4}})),
      InvalidArgumentError, "logits must be floating");
  EXPECT_TF_ERROR(tf::nn::softmax_cross_entropy_with_logits(tf::ones({2, 4}), x), InvalidArgumentError,
                  "logits and labels must be same size: logits_size=(2, 3) labels_size=(2, 4)");
  EXPECT_TF_ERROR(tf::nn::softmax_cross_entropy_with_logits(tf::ones({2, 3}, tf::float64), x), InvalidArgumentError,
                  "labels and logits must have the same dtype");
}

}  // namespace
