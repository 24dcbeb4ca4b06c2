// Python-rule indexing against NumPy (tests/fixtures/gen_array_ops.py): ints, slices with
// omitted bounds, negative indices and steps, clamping, newaxis, ellipsis; views share storage.
#include <gtest/gtest.h>

#include "tests/core/fixtures/array_ops_fixtures.h"
#include "tests/core/test_util.h"

namespace {
using tf::testing::expect_values;

tf::Tensor arange_456() { return tf::reshape(tf::cast(tf::range(120), tf::float64), {4, 5, 6}); }

TEST(Indexing, MatchesNumPyBattery) {
  auto x = arange_456();
  for (const auto& c : fixtures::slice_cases()) {
    SCOPED_TRACE(c.expr);
    tf::Tensor r = c.apply(x);
    expect_values(r, tf::Shape(c.shape), c.values, 0);
    if (r.size() > 0) { EXPECT_EQ(r.storage(), x.storage()) << "indexing must return a view"; }
  }
}

TEST(Indexing, IndexingAViewOfAView) {
  auto x = arange_456();
  auto v = x[tf::slice({}, {}, -1)][{tf::all, tf::slice(1, 4)}][{tf::all, tf::all, 2}];
  // NumPy: x[::-1][:, 1:4][:, :, 2]
  expect_values(v, {4, 3}, {98, 104, 110, 68, 74, 80, 38, 44, 50, 8, 14, 20}, 0);
  expect_values(v + 1, {4, 3}, {99, 105, 111, 69, 75, 81, 39, 45, 51, 9, 15, 21}, 0);
  EXPECT_FALSE(v.is_contiguous());
  EXPECT_TRUE(v.contiguous().is_contiguous());
}

TEST(Indexing, ItemAndVariables) {
  auto b = tf::constant({2.f, 3.f, 4.f});
  EXPECT_EQ(b[0].item<float>(), 2.f);
  EXPECT_EQ(b[-1].item<float>(), 4.f);
  tf::Variable v(tf::constant({{1, 2}, {3, 4}}));
  expect_values(v[{1, tf::all}], {2}, {3, 4});
}

TEST(Indexing, Errors) {
  auto x = arange_456();
  EXPECT_TF_ERROR(x[4], tf::errors::InvalidArgumentError, "slice index 4 of dimension 0 out of bounds");
  EXPECT_TF_ERROR((x[{0, -6}]), tf::errors::InvalidArgumentError, "slice index -6 of dimension 1 out of bounds");
  EXPECT_TF_ERROR(x[tf::slice(0, 2, 0)], tf::errors::InvalidArgumentError, "step cannot be zero");
  EXPECT_TF_ERROR((x[{0, 0, 0, 0}]), tf::errors::InvalidArgumentError, "input has only 3 dims");
  EXPECT_TF_ERROR((x[{tf::ellipsis, tf::ellipsis}]), tf::errors::InvalidArgumentError, "Multiple ellipses");
  EXPECT_TF_ERROR(tf::constant(3.f)[0], tf::errors::InvalidArgumentError, "only 0 dims");
}

}  // namespace
