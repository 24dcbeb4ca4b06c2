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

}  // namespace
