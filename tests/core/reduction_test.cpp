// top_k and the reductions' errors. The reductions' values (every axis set, keepdims, dtypes,
// special values, empty, strided and large inputs, argmax/argmin, scans, any/all) are the op
// table's: tests/core/op_table_reduction_test.cpp.
#include <gtest/gtest.h>

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
