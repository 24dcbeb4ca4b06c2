// Creation ops (zeros, ones, fill, range, eye, linspace, ...): values, dtypes and their errors.
#include <gtest/gtest.h>

#include "tests/core/test_util.h"

namespace {
using tf::testing::expect_values;

TEST(Tensor, CreationOps) {
  expect_values(tf::zeros({2, 3}), {2, 3}, std::vector<double>(6, 0.0));
  expect_values(tf::ones({2}, tf::int32), {2}, {1, 1});
  expect_values(tf::fill({2, 2}, 7, tf::int64), {2, 2}, {7, 7, 7, 7});
  expect_values(tf::eye(2, 3), {2, 3}, {1, 0, 0, 0, 1, 0});
  expect_values(tf::range(5), {5}, {0, 1, 2, 3, 4});
  EXPECT_EQ(tf::range(5).dtype(), tf::int32);
  expect_values(tf::range(1, 10, 3), {3}, {1, 4, 7});
  expect_values(tf::range(10, 1, -4), {3}, {10, 6, 2});
  expect_values(tf::range(0.0, 1.0, 0.25), {4}, {0, 0.25, 0.5, 0.75});
  EXPECT_EQ(tf::range(0.0, 1.0, 0.25).dtype(), tf::float32);
  expect_values(tf::linspace(10, 12, 5), {5}, {10, 10.5, 11, 11.5, 12});
  auto x = tf::constant({{1, 2, 3}});
  expect_values(tf::zeros_like(x), {1, 3}, {0, 0, 0});
  EXPECT_EQ(tf::ones_like(x, tf::float64).dtype(), tf::float64);
  expect_values(tf::rank(x), {}, {2});
  expect_values(tf::shape(x), {2}, {1, 3});
  expect_values(tf::size(x), {}, {3});
  EXPECT_EQ(tf::shape(x).dtype(), tf::int32);
  expect_values(tf::zeros({0, 3}), {0, 3}, {});
}

TEST(Tensor, CreationErrors) {
  EXPECT_TF_ERROR(tf::range(0, 5, 0), tf::errors::InvalidArgumentError, "delta != 0");
  EXPECT_TF_ERROR(tf::range(5, 0, 1), tf::errors::InvalidArgumentError, "start <= limit");
  EXPECT_TF_ERROR(tf::linspace(0, 1, 0), tf::errors::InvalidArgumentError, "num > 0");
  EXPECT_TF_ERROR(tf::fill({-1, 2}, 0), tf::errors::InvalidArgumentError, "non-negative");
  EXPECT_TF_ERROR(tf::constant(std::vector<float>{1, 2, 3}, tf::Shape{2, 2}), tf::errors::InvalidArgumentError,
                  "Expected 4 values");
  EXPECT_TF_ERROR(tf::eye(-1), tf::errors::InvalidArgumentError, "non-negative");
}

}  // namespace
