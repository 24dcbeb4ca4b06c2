// Tensor basics: creation from nested lists and creation ops, dtype inference, accessors,
// host reads, and their errors.
#include <gtest/gtest.h>

#include "tests/core/test_util.h"

namespace {
using tf::testing::expect_values;

TEST(Tensor, NestedListsInferTfDtypes) {
  auto a = tf::constant({{1, 2}, {3, 4}});
  EXPECT_EQ(a.dtype(), tf::int32);
  EXPECT_EQ(a.shape(), (tf::Shape{2, 2}));
  EXPECT_EQ(a.ndim(), 2);
  EXPECT_EQ(a.size(), 4);
  auto b = tf::constant({2.0, 3.0, 4.0});  // Python floats become float32
  EXPECT_EQ(b.dtype(), tf::float32);
  auto h = tf::constant({2.2, 3.3}, tf::float16);
  EXPECT_EQ(h.dtype(), tf::float16);
  expect_values(h, {2}, {2.19921875, 3.30078125}, 0);
  auto c = tf::constant({{{1.f}, {2.f}}, {{3.f}, {4.f}}});
  EXPECT_EQ(c.shape(), (tf::Shape{2, 2, 1}));
  EXPECT_EQ(tf::constant(true).dtype(), tf::bool_);
  EXPECT_EQ(tf::constant(int64_t{5}).dtype(), tf::int64);
  EXPECT_EQ(tf::constant({1, 2}, tf::uint8).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 2}));
  EXPECT_EQ(tf::constant({1.7, -1.7}, tf::int8).to_vector<int8_t>(), (std::vector<int8_t>{1, -1}));
  EXPECT_EQ(tf::constant({1.5f}, tf::bfloat16).to_vector<float>(), (std::vector<float>{1.5f}));
}

TEST(Tensor, NonRectangularListIsAnError) {
  EXPECT_TF_ERROR(tf::constant({{1, 2}, {3}}), tf::errors::InvalidArgumentError, "non-rectangular");
}

TEST(Tensor, ItemAndToVector) {
  auto b = tf::constant({2.f, 3.f, 4.f});
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{2.f, 3.f, 4.f}));
  EXPECT_EQ(tf::constant(3.5f).item<float>(), 3.5f);
  EXPECT_TF_ERROR(b.item<float>(), tf::errors::InvalidArgumentError, "exactly one element");
  EXPECT_TF_ERROR(b.to_vector<int32_t>(), tf::errors::InvalidArgumentError, "dtype float32 but int32");
  tf::Tensor undefined;
  EXPECT_TF_ERROR(undefined.shape(), tf::errors::FailedPreconditionError, "undefined");
}

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

TEST(Tensor, CastRulesAsTf) {
  auto f = tf::constant({1.9f, -1.9f, 0.f, 300.f});
  expect_values(tf::cast(f, tf::int32), {4}, {1, -1, 0, 300});
  expect_values(tf::cast(f, tf::bool_), {4}, {1, 1, 0, 1});
  expect_values(tf::cast(tf::constant({true, false}), tf::float32), {2}, {1, 0});
  expect_values(tf::cast(f, tf::float16), {4}, {1.900390625, -1.900390625, 0, 300}, 0);
  EXPECT_TF_ERROR(tf::cast(tf::constant("a"), tf::float32), tf::errors::UnimplementedError, "string");
}

}  // namespace
