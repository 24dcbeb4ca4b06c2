// tf::math's names (aliases of the ops in namespace tf) and the reductions' keyword form
// `{.axis = 1, .keepdims = true}`; references are float64 sums written out from the inputs.
#include <gtest/gtest.h>

#include "tests/core/test_util.h"

namespace {

TEST(MathNames, ReductionsTakeTfKeywordOrder) {
  // x = [[0, 1, 2], [3, 4, 5]] (float32)
  auto x = tf::reshape(tf::cast(tf::range(0, 6), tf::float32), {2, 3});
  tf::testing::expect_values(tf::reduce_sum(x, {.axis = 1, .keepdims = true}), {2, 1}, {0 + 1 + 2, 3 + 4 + 5});
  tf::testing::expect_values(tf::math::reduce_mean(x, {.axis = 0, .keepdims = false}), {3}, {1.5, 2.5, 3.5});
  tf::testing::expect_values(tf::math::reduce_max(x, {.axis = -1, .keepdims = true}), {2, 1}, {2, 5});
  tf::testing::expect_values(tf::math::reduce_min(x, {.axis = {0, 1}, .keepdims = true}), {1, 1}, {0});
  tf::testing::expect_values(tf::math::reduce_prod(x + 1.0f, {.axis = 1, .keepdims = false}), {2},
                             {1 * 2 * 3, 4 * 5 * 6});
  auto b = tf::greater(x, 2.0f);  // [[F, F, F], [T, T, T]]
  tf::testing::expect_values(tf::math::reduce_any(b, {.axis = 1, .keepdims = false}), {2}, {0, 1});
  tf::testing::expect_values(tf::math::reduce_all(b, {.axis = 0, .keepdims = true}), {1, 3}, {0, 0, 0});
  // The positional forms keep their meaning: a braced list is axes, `{}` all of them.
  tf::testing::expect_values(tf::reduce_sum(x, {0, 1}), {}, {15});
  tf::testing::expect_values(tf::reduce_sum(x, {1}), {2}, {3, 12});
  tf::testing::expect_values(tf::reduce_sum(x, {}, true), {1, 1}, {15});
  tf::testing::expect_values(tf::reduce_sum(x, 0), {3}, {3, 5, 7});
  tf::testing::expect_values(tf::reduce_sum(x, std::vector<int>{0}, true), {1, 3}, {3, 5, 7});
  EXPECT_TF_ERROR(tf::reduce_sum(x, {.axis = 2, .keepdims = true}), tf::errors::InvalidArgumentError, "");
}

TEST(MathNames, AliasesAreTheSameOps) {
  auto x = tf::constant({{1.f, -7.f, 3.f}, {4.f, 9.f, -6.f}});
  tf::testing::expect_values(tf::math::argmax(x, 1), {2}, {2, 1});
  tf::testing::expect_values(tf::math::argmin(x, 0), {3}, {0, 0, 1});
  EXPECT_EQ(tf::math::argmax(x, 1).dtype(), tf::int64);
  tf::testing::expect_values(tf::math::cumsum(x, 1), {2, 3}, {1, -6, -3, 4, 13, 7});
  tf::testing::expect_values(tf::math::abs(x), {2, 3}, {1, 7, 3, 4, 9, 6});
  tf::testing::expect_values(tf::math::squared_difference(x, tf::ones_like(x)), {2, 3}, {0, 64, 4, 9, 64, 49});
  tf::testing::expect_values(tf::math::maximum(x, 0.0f), {2, 3}, {1, 0, 3, 4, 9, 0});
  tf::testing::expect_values(tf::math::add(x, 1.0f), {2, 3}, {2, -6, 4, 5, 10, -5});
  tf::testing::expect_values(tf::math::sigmoid(tf::constant({0.0})), {1}, {0.5});
  tf::testing::expect_values(tf::math::softplus(tf::constant({0.0})), {1}, {std::log(2.0)});
  tf::testing::expect_values(tf::math::is_nan(tf::constant({NAN, 1.f})), {2}, {1, 0});
  auto top = tf::math::top_k(tf::constant({3.f, 1.f, 4.f, 1.f, 5.f}), 2);
  tf::testing::expect_values(top.values, {2}, {5, 4});
  tf::testing::expect_values(top.indices, {2}, {4, 2});
}

}  // namespace
