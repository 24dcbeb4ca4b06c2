// tf::cast between dtypes with TF's rules (truncation, saturation, bool).
#include <gtest/gtest.h>

#include "tests/core/test_util.h"

namespace {
using tf::testing::expect_values;

TEST(Tensor, CastRulesAsTf) {
  auto f = tf::constant({1.9f, -1.9f, 0.f, 300.f});
  expect_values(tf::cast(f, tf::int32), {4}, {1, -1, 0, 300});
  expect_values(tf::cast(f, tf::bool_), {4}, {1, 1, 0, 1});
  expect_values(tf::cast(tf::constant({true, false}), tf::float32), {2}, {1, 0});
  expect_values(tf::cast(f, tf::float16), {4}, {1.900390625, -1.900390625, 0, 300}, 0);
  EXPECT_TF_ERROR(tf::cast(tf::constant("a"), tf::float32), tf::errors::UnimplementedError, "string");
}

}  // namespace
