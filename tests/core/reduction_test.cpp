// Reductions against NumPy float64 references (tests/fixtures/gen_reduction.py): every axis
// combination of a rank-3 tensor, keepdims, a non-contiguous view, dtypes, empty inputs, errors.
#include <gtest/gtest.h>

#include "tests/core/fixtures/reduction_fixtures.h"
#include "tests/core/test_util.h"

namespace {
namespace fixtures = ::fixtures::reduction;
using tf::testing::expect_values;

tf::Tensor from_case(const fixtures::Case& c, tf::DType dt = tf::float64) {
  return tf::constant(c.values, tf::Shape(c.shape), dt);
}
tf::Shape shape_of(const fixtures::Case& c) { return tf::Shape(c.shape); }

TEST(Reduction, EveryAxisComboMatchesNumPy) {
  auto x = from_case(fixtures::x);
  struct Row {
    std::vector<int> axes;
    const fixtures::Case *sum, *mean, *max, *min, *prod;
  };
  std::vector<Row> rows = {
      {{0}, &fixtures::sum_0, &fixtures::mean_0, &fixtures::max_0, &fixtures::min_0, &fixtures::prod_0},
      {{1}, &fixtures::sum_1, &fixtures::mean_1, &fixtures::max_1, &fixtures::min_1, &fixtures::prod_1},
      {{2}, &fixtures::sum_2, &fixtures::mean_2, &fixtures::max_2, &fixtures::min_2, &fixtures::prod_2},
      {{0, 1}, &fixtures::sum_01, &fixtures::mean_01, &fixtures::max_01, &fixtures::min_01, &fixtures::prod_01},
      {{0, 2}, &fixtures::sum_02, &fixtures::mean_02, &fixtures::max_02, &fixtures::min_02, &fixtures::prod_02},
      {{1, 2}, &fixtures::sum_12, &fixtures::mean_12, &fixtures::max_12, &fixtures::min_12, &fixtures::prod_12},
      {{0, 1, 2}, &fixtures::sum_012, &fixtures::mean_012, &fixtures::max_012, &fixtures::min_012, &fixtures::prod_012},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(::testing::Message() << "axes size " << r.axes.size() << " first " << r.axes[0]);
    expect_values(tf::reduce_sum(x, r.axes), shape_of(*r.sum), r.sum->values);
    expect_values(tf::reduce_mean(x, r.axes), shape_of(*r.mean), r.mean->values);
    expect_values(tf::reduce_max(x, r.axes), shape_of(*r.max), r.max->values);
    expect_values(tf::reduce_min(x, r.axes), shape_of(*r.min), r.min->values);
    expect_values(tf::reduce_prod(x, r.axes), shape_of(*r.prod), r.prod->values);
    // float32 and the negative spelling of the same axes.
    std::vector<int> neg;
    for (int a : r.axes) neg.push_back(a - 3);
    expect_values(tf::reduce_sum(tf::cast(x, tf::float32), neg), shape_of(*r.sum), r.sum->values, 1e-5);
  }
  expect_values(tf::reduce_sum(x), {}, fixtures::sum_012.values);
}

TEST(Reduction, KeepDims) {
  auto x = from_case(fixtures::x);
  expect_values(tf::reduce_sum(x, 1, true), {2, 1, 4}, fixtures::sum_1.values);
  expect_values(tf::reduce_max(x, {0, 2}, true), {1, 3, 1}, fixtures::max_02.values);
  expect_values(tf::reduce_sum(x, {}, true), {1, 1, 1}, fixtures::sum_012.values);
}

TEST(Reduction, NonContiguousView) {
  auto x = from_case(fixtures::x);
  // x.transpose(2, 0, 1) as a strided view of the same storage.
  auto xt = tf::detail::make_view(x.storage(), tf::Shape{4, 2, 3}, {1, 12, 4}, 0, tf::float64, x.device());
  ASSERT_FALSE(xt.is_contiguous());
  expect_values(tf::reduce_sum(xt, 0), shape_of(fixtures::t_sum_0), fixtures::t_sum_0.values);
  expect_values(tf::reduce_sum(xt, 1), shape_of(fixtures::t_sum_1), fixtures::t_sum_1.values);
  expect_values(tf::reduce_sum(xt, 2), shape_of(fixtures::t_sum_2), fixtures::t_sum_2.values);
  expect_values(tf::reduce_sum(xt, {0, 2}), shape_of(fixtures::t_sum_02), fixtures::t_sum_02.values);
  expect_values(tf::reduce_max(xt, {0, 2}), shape_of(fixtures::t_max_02), fixtures::t_max_02.values);
}

TEST(Reduction, DtypesAndIntegerRules) {
  auto i = tf::constant({{1, 2}, {3, 4}});
  expect_values(tf::reduce_sum(i, 0), {2}, {4, 6});
  EXPECT_EQ(tf::reduce_sum(i).dtype(), tf::int32);
  expect_values(tf::reduce_mean(tf::constant({1, 2})), {}, {1});  // integer mean truncates, as TF
  expect_values(tf::reduce_prod(tf::constant({2, 3, 4}, tf::int64)), {}, {24});
  // int32 sums wrap as TF's do.
  expect_values(tf::reduce_sum(tf::constant({2147483647, 1})), {}, {-2147483648.0});
  expect_values(tf::reduce_sum(tf::constant({0.5, 0.25, 0.125}, tf::float16)), {}, {0.875});
  expect_values(tf::reduce_max(tf::constant({1.5, -3.0}, tf::bfloat16)), {}, {1.5});
  expect_values(tf::reduce_min(tf::constant({5, 200, 7}, tf::uint8)), {}, {5});
  expect_values(tf::reduce_any(tf::constant({false, true})), {}, {1});
  expect_values(tf::reduce_all(tf::constant({{true, false}, {true, true}}), 1), {2}, {0, 1});
  // A float32 sum of many terms stays accurate (accumulated in float64).
  auto big = tf::fill({1 << 22}, 0.1f);
  expect_values(tf::reduce_sum(big), {}, {0.1f * double(1 << 22)}, 1e-6);
}

TEST(Reduction, EmptyAndScalar) {
  auto e = tf::zeros({0, 3});
  expect_values(tf::reduce_sum(e, 0), {3}, {0, 0, 0});
  expect_values(tf::reduce_prod(e, 0), {3}, {1, 1, 1});
  expect_values(tf::reduce_max(e, 0), {3}, {-INFINITY, -INFINITY, -INFINITY});
  expect_values(tf::reduce_min(e), {}, {INFINITY});
  expect_values(tf::reduce_mean(e), {}, {NAN});
  expect_values(tf::reduce_sum(e, 1), {0}, {});
  expect_values(tf::reduce_max(tf::constant(5)), {}, {5});
  expect_values(tf::reduce_sum(tf::constant(3.f)), {}, {3});
}

TEST(Reduction, NaNPropagatesThroughMaxAndMin) {
  auto x = tf::constant({1.f, NAN, 3.f});
  expect_values(tf::reduce_max(x), {}, {NAN});
  expect_values(tf::reduce_min(x), {}, {NAN});
}

TEST(Reduction, ArgMaxArgMin) {
  auto x = from_case(fixtures::x);
  for (int a = 0; a < 3; ++a) {
    const auto& mx = a == 0 ? fixtures::argmax_0 : a == 1 ? fixtures::argmax_1 : fixtures::argmax_2;
    const auto& mn = a == 0 ? fixtures::argmin_0 : a == 1 ? fixtures::argmin_1 : fixtures::argmin_2;
    expect_values(tf::argmax(x, a), shape_of(mx), mx.values);
    expect_values(tf::argmin(x, a - 3), shape_of(mn), mn.values);
  }
  EXPECT_EQ(tf::argmax(x).dtype(), tf::int64);
  EXPECT_EQ(tf::argmax(x, 0, tf::int32).dtype(), tf::int32);
  expect_values(tf::argmax(tf::constant({3, 7, 7, 1})), {}, {1});  // first of ties
  expect_values(tf::argmax(tf::constant({1.f, NAN, 5.f})), {}, {1});
  expect_values(tf::argmax(tf::constant({{4.f, 5.f}, {10.f, 1.f}})), {2}, {1, 0});
}

TEST(Reduction, Scans) {
  auto x = from_case(fixtures::x);
  for (int a = 0; a < 3; ++a) {
    const auto& cs = a == 0 ? fixtures::cumsum_0 : a == 1 ? fixtures::cumsum_1 : fixtures::cumsum_2;
    const auto& cp = a == 0 ? fixtures::cumprod_0 : a == 1 ? fixtures::cumprod_1 : fixtures::cumprod_2;
    expect_values(tf::cumsum(x, a), shape_of(cs), cs.values);
    expect_values(tf::cumprod(x, a), shape_of(cp), cp.values);
  }
  auto v = tf::constant({1, 2, 3});
  expect_values(tf::cumsum(v, 0, true), {3}, {0, 1, 3});
  expect_values(tf::cumsum(v, 0, false, true), {3}, {6, 5, 3});
  expect_values(tf::cumsum(v, 0, true, true), {3}, {5, 3, 0});
  expect_values(tf::cumprod(v, -1, true), {3}, {1, 1, 2});
}

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
