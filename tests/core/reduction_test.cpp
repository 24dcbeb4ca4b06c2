// top_k and the reductions' errors. The reductions' values (every axis set, keepdims, dtypes,
// special values, empty, strided and large inputs, argmax/argmin, scans, any/all) are the op
// table's: tests/core/op_table_reduction_test.cpp. Here: the CPU kernels' blocked, vertical
// and threaded paths on inputs large enough to reach them (Note [Deterministic blocked summation]).
#include <gtest/gtest.h>

#include <random>

#include "tests/core/test_util.h"

namespace {
using tf::testing::expect_values;

TEST(Reduction, TopK) {
  auto x = tf::constant({{1.f, 5.f, 3.f, 5.f}, {2.f, 0.f, 9.f, -1.f}});
  auto r = tf::top_k(x, 2);
  expect_values(r.values, {2, 2}, {5, 5, 9, 2});
  expect_values(r.indices, {2, 2}, {1, 3, 2, 0});
  EXPECT_EQ(r.indices.dtype(), tf::int32);
  EXPECT_TF_ERROR(tf::top_k(x, 5), tf::errors::InvalidArgumentError, "at least k=5 columns, had 4");
}

/// float32 values in [-1, 1) as a tensor of `shape`, and the same values as doubles.
std::pair<tf::Tensor, std::vector<double>> random_float32(const tf::Shape& shape, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<double> v(static_cast<std::size_t>(shape.num_elements()));
  for (double& x : v) x = d(gen);
  return {tf::cast(tf::constant(v, shape, tf::float64), tf::float32), v};
}

TEST(Reduction, LongRowBlocksAgainstLongDouble) {
  // 2^20 + 37 elements: 65 blocks of 2^14 (the last one short), spread over threads.
  const int64_t n = (int64_t{1} << 20) + 37;
  auto [x, v] = random_float32(tf::Shape{n}, 7);
  long double sum = 0, abs_sum = 0;
  for (double e : v) sum += e, abs_sum += std::fabs(e);
  const double got = tf::reduce_sum(x).to_vector<float>()[0];
  // The float32 result's own rounding plus the double accumulation's (far smaller).
  EXPECT_NEAR(got, static_cast<double>(sum),
              std::ldexp(1.0, -24) * std::fabs(static_cast<double>(sum)) + 1e-12 * static_cast<double>(abs_sum));
  EXPECT_NEAR(tf::reduce_mean(x).to_vector<float>()[0], static_cast<double>(sum / n),
              1e-6 * std::fabs(static_cast<double>(sum / n)) + 1e-12);
  const auto mx = std::max_element(v.begin(), v.end()), mn = std::min_element(v.begin(), v.end());
  EXPECT_EQ(tf::reduce_max(x).to_vector<float>()[0], static_cast<float>(*mx));
  EXPECT_EQ(tf::reduce_min(x).to_vector<float>()[0], static_cast<float>(*mn));
  EXPECT_EQ(tf::argmax(x, 0, tf::int64).to_vector<int64_t>()[0], mx - v.begin());
  EXPECT_EQ(tf::argmin(x, 0, tf::int64).to_vector<int64_t>()[0], mn - v.begin());
}

TEST(Reduction, BlockedSumIsTheSameOnEveryPath) {
  // One long row is summed by blocks on several threads; the same row inside a (2, n) tensor by
  // one thread per row: the fixed split makes the two bit-identical.
  const int64_t n = 300007;
  auto [x, v] = random_float32(tf::Shape{n}, 11);
  const float whole = tf::reduce_sum(x).to_vector<float>()[0];
  const std::vector<float> rows = tf::reduce_sum(tf::stack({x, x}), 1).to_vector<float>();
  EXPECT_EQ(whole, rows[0]);
  EXPECT_EQ(whole, rows[1]);
  EXPECT_EQ(tf::reduce_sum(x).to_vector<float>()[0], whole);  // and again: deterministic
}

TEST(Reduction, NaNAndTiesBeyondTheFirstBlock) {
  // A NaN and a tie placed in later blocks: max/min propagate the NaN, argmax picks the first NaN,
  // ties resolve to the lowest index.
  const int64_t n = 100000;
  std::vector<double> v(static_cast<std::size_t>(n), 0.5);
  v[70001] = 2.0;
  v[90001] = 2.0;
  const tf::Tensor ties = tf::cast(tf::constant(v, tf::Shape{n}, tf::float64), tf::float32);
  EXPECT_EQ(tf::argmax(ties, 0, tf::int64).to_vector<int64_t>()[0], 70001);
  EXPECT_EQ(tf::reduce_max(ties).to_vector<float>()[0], 2.0f);
  v[80001] = std::nan("");
  v[95001] = std::nan("");
  for (tf::DType dt : {tf::float32, tf::float64}) {
    const tf::Tensor x = tf::cast(tf::constant(v, tf::Shape{n}, tf::float64), dt);
    EXPECT_TRUE(std::isnan(tf::cast(tf::reduce_max(x), tf::float64).to_vector<double>()[0]));
    EXPECT_TRUE(std::isnan(tf::cast(tf::reduce_min(x), tf::float64).to_vector<double>()[0]));
    EXPECT_TRUE(std::isnan(tf::cast(tf::reduce_sum(x), tf::float64).to_vector<double>()[0]));
    EXPECT_EQ(tf::argmax(x, 0, tf::int64).to_vector<int64_t>()[0], 80001);
    EXPECT_EQ(tf::argmin(x, 0, tf::int64).to_vector<int64_t>()[0], 80001);
  }
}

TEST(Reduction, VerticalAndMiddleAxesAgainstLongDouble) {
  // (3, 700, 2500): axis 1 reduces vertically in tiles of outputs (2500 > one tile); axis 0 too;
  // axis 2 is rows. Each against a long-double sum and exact extrema.
  const tf::Shape shape{3, 700, 2500};
  auto [x, v] = random_float32(shape, 13);
  for (int axis = 0; axis < 3; ++axis) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    const int64_t dims[3] = {3, 700, 2500};
    std::vector<long double> sum;
    std::vector<double> mx;
    std::vector<int64_t> arg;
    const int64_t len = dims[axis];
    const int64_t inner = axis == 2 ? 1 : (axis == 1 ? 2500 : 700 * 2500);
    const int64_t outs = 3 * 700 * 2500 / len;
    sum.assign(static_cast<std::size_t>(outs), 0.0L);
    mx.assign(static_cast<std::size_t>(outs), -INFINITY);
    arg.assign(static_cast<std::size_t>(outs), 0);
    for (int64_t o = 0; o < outs; ++o) {
      const int64_t base = (o / inner) * len * inner + o % inner;
      for (int64_t k = 0; k < len; ++k) {
        const double e = v[static_cast<std::size_t>(base + k * inner)];
        sum[static_cast<std::size_t>(o)] += e;
        if (e > mx[static_cast<std::size_t>(o)])
          mx[static_cast<std::size_t>(o)] = e, arg[static_cast<std::size_t>(o)] = k;
      }
    }
    const std::vector<float> s = tf::reduce_sum(x, axis).to_vector<float>();
    const std::vector<float> m = tf::reduce_max(x, axis, /*keepdims=*/true).to_vector<float>();
    const std::vector<int64_t> a = tf::argmax(x, axis, tf::int64).to_vector<int64_t>();
    ASSERT_EQ(static_cast<int64_t>(s.size()), outs);
    for (std::size_t o = 0; o < s.size(); ++o) {
      ASSERT_NEAR(s[o], static_cast<double>(sum[o]),
                  std::ldexp(1.0, -24) * (std::fabs(static_cast<double>(sum[o])) + 1e-30) + 1e-12 * len)
          << o;
      ASSERT_EQ(m[o], static_cast<float>(mx[o])) << o;
      ASSERT_EQ(a[o], arg[o]) << o;
    }
  }
}

TEST(Reduction, VerticalRowBlocksGiveTheSameBitsOnAnyThreadCount) {
  // Column sums over more than one row block (512 rows): blocks fixed by position, partials added
  // pairwise, so 1, 2 and 3 threads agree bit for bit; the values against long double.
  const tf::Shape shape{2600, 37};
  auto [x, v] = random_float32(shape, 17);
  const tf::Tensor x64 = tf::cast(x, tf::float64), tall = tf::reshape(x, {2, 1300, 37});
  std::vector<std::vector<float>> sums, means, middle;
  std::vector<std::vector<double>> sums64;
  for (int threads : {1, 2, 3}) {
    tf::threading::detail::reset_for_testing(threads);
    sums.push_back(tf::reduce_sum(x, 0).to_vector<float>());
    means.push_back(tf::reduce_mean(x, 0).to_vector<float>());
    sums64.push_back(tf::reduce_sum(x64, 0).to_vector<double>());
    middle.push_back(tf::reduce_sum(tall, 1).to_vector<float>());
  }
  tf::threading::detail::reset_for_testing();
  for (std::size_t t = 1; t < sums.size(); ++t) {
    EXPECT_EQ(sums[t], sums[0]) << "threads " << t + 1;
    EXPECT_EQ(means[t], means[0]) << "threads " << t + 1;
    EXPECT_EQ(sums64[t], sums64[0]) << "threads " << t + 1;
    EXPECT_EQ(middle[t], middle[0]) << "threads " << t + 1;
  }
  for (int64_t j = 0; j < 37; ++j) {
    long double sum = 0, abs_sum = 0;
    for (int64_t i = 0; i < 2600; ++i) {
      const double e = v[static_cast<std::size_t>(i * 37 + j)];
      sum += e, abs_sum += std::fabs(e);
    }
    const auto s = static_cast<double>(sum);
    const auto k = static_cast<std::size_t>(j);
    EXPECT_NEAR(sums[0][k], s, std::ldexp(1.0, -24) * std::fabs(s) + 1e-12 * static_cast<double>(abs_sum)) << j;
    EXPECT_NEAR(sums64[0][k], s, 1e-13 * static_cast<double>(abs_sum)) << j;
    EXPECT_NEAR(means[0][k], s / 2600, std::ldexp(1.0, -24) * std::fabs(s / 2600) + 1e-12) << j;
  }
}

TEST(Reduction, Errors) {
  auto x = tf::zeros({2, 3});
  EXPECT_TF_ERROR(tf::reduce_sum(x, 2), tf::errors::InvalidArgumentError,
                  "Invalid reduction dimension 2 for input with 2 dimensions");
  EXPECT_TF_ERROR(tf::reduce_sum(x, {0, -2}), tf::errors::InvalidArgumentError, "more than once");
  EXPECT_TF_ERROR(tf::reduce_any(x), tf::errors::InvalidArgumentError, "needs a bool tensor");
  EXPECT_TF_ERROR(tf::reduce_sum(tf::constant({true})), tf::errors::InvalidArgumentError, "numeric dtype");
  EXPECT_TF_ERROR(tf::argmax(x, 3), tf::errors::InvalidArgumentError, "axis 3 is out of bounds");
  EXPECT_TF_ERROR(tf::argmax(tf::zeros({0, 2})), tf::errors::InvalidArgumentError, "empty");
  EXPECT_TF_ERROR(tf::cumsum(tf::constant(1.f)), tf::errors::InvalidArgumentError, "rank 0");
}

}  // namespace
