// Gradient checks of the reductions, scans and top_k (float64 central differences), over axis
// lists with and without keepdims, on strided inputs, with second order for a few.
#include "tests/autograd/gradient_check.h"
#include "tests/core/test_util.h"

namespace {
using tf::testing::check_gradients;
using tf::testing::uniform;
using Xs = std::vector<tf::Tensor>;
using Reduce = tf::Tensor (*)(const tf::Tensor&, tf::Axes, bool);

void check_reduction(Reduce op, double lo, double hi) {
  auto x = uniform({2, 3, 4}, lo, hi, 21);
  check_gradients([op](const Xs& v) { return op(v[0], {}, false); }, {x});
  check_gradients([op](const Xs& v) { return op(v[0], 1, false); }, {x});
  check_gradients([op](const Xs& v) { return op(v[0], {0, 2}, true); }, {x}, {.non_contiguous = true});
  check_gradients([op](const Xs& v) { return op(v[0], -1, false); }, {uniform({5}, lo, hi, 22)});
}

GRADIENT_CHECK_TEST(Sum, Axes) { check_reduction(tf::reduce_sum, -2, 2); }
GRADIENT_CHECK_TEST(Mean, Axes) { check_reduction(tf::reduce_mean, -2, 2); }
GRADIENT_CHECK_TEST(Max, Axes) { check_reduction(tf::reduce_max, -2, 2); }
GRADIENT_CHECK_TEST(Min, Axes) { check_reduction(tf::reduce_min, -2, 2); }
GRADIENT_CHECK_TEST(Prod, Axes) { check_reduction(tf::reduce_prod, 0.5, 1.5); }
GRADIENT_CHECK_TEST(Prod, WithZerosAndSecondOrder) {
  check_gradients([](const Xs& v) { return tf::reduce_prod(v[0], 1); },
                  {tf::constant({{0.0, 2.0, 3.0}, {0.0, 0.0, 4.0}, {1.5, -2.0, 0.5}}, tf::float64)});
  check_gradients([](const Xs& v) { return tf::reduce_prod(v[0], 0); }, {uniform({3, 2}, 0.5, 1.5, 3)},
                  {.atol = 1e-6, .rtol = 1e-5, .order = 2});
}
GRADIENT_CHECK_TEST(Mean, SecondOrder) {
  check_gradients([](const Xs& v) { return tf::square(tf::reduce_mean(v[0] * v[0], 0)); }, {uniform({3, 2}, -1, 1, 3)},
                  {.atol = 1e-6, .rtol = 1e-5, .order = 2});
}

// TF splits the gradient of max/min evenly among tied elements.
TEST(GradientValues, ReduceMaxSplitsTies) {
  auto x = tf::constant({{1.0f, 3.0f, 3.0f}, {2.0f, 2.0f, 2.0f}});
  tf::GradientTape tape;
  tape.watch(x);
  auto y = tf::reduce_max(x, 1);
  tape.stop();
  tf::testing::expect_values(*tape.gradient(y, x), {2, 3}, {0, 0.5, 0.5, 1.0 / 3, 1.0 / 3, 1.0 / 3});
}

GRADIENT_CHECK_TEST(Cumsum, ExclusiveAndReverse) {
  auto x = uniform({3, 4}, -1, 1, 31);
  for (bool exclusive : {false, true})
    for (bool reverse : {false, true}) {
      check_gradients([=](const Xs& v) { return tf::cumsum(v[0], 1, exclusive, reverse); }, {x});
      check_gradients([=](const Xs& v) { return tf::cumsum(v[0], 0, exclusive, reverse); }, {x},
                      {.non_contiguous = true});
    }
}
GRADIENT_CHECK_TEST(Cumprod, ExclusiveAndReverse) {
  auto x = uniform({3, 4}, 0.5, 1.5, 32);
  for (bool exclusive : {false, true})
    for (bool reverse : {false, true})
      check_gradients([=](const Xs& v) { return tf::cumprod(v[0], 1, exclusive, reverse); }, {x});
  check_gradients([](const Xs& v) { return tf::cumprod(v[0], 0); }, {uniform({3}, 0.5, 1.5, 33)},
                  {.atol = 1e-6, .rtol = 1e-5, .order = 2});
}
GRADIENT_CHECK_TEST(TopKV2, LastAxis) {
  check_gradients([](const Xs& v) { return tf::top_k(v[0], 2).values; }, {uniform({3, 5}, -1, 1, 41)});
  check_gradients([](const Xs& v) { return tf::top_k(v[0], 3).values; }, {uniform({2, 2, 4}, -1, 1, 42)},
                  {.non_contiguous = true});
}

}  // namespace
