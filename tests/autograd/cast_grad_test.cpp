// Gradient check of Cast: gradients pass between floating dtypes only.
#include "tests/autograd/gradient_check.h"

namespace {
using tf::testing::check_gradients;
using tf::testing::uniform;
using Xs = std::vector<tf::Tensor>;

/// f(a, b) checked over the broadcasting pairs (2,3)+(3), (2,1)+(1,3), ()+(2,3), and strided.
void check_binary(tf::Tensor (*op)(const tf::Tensor&, const tf::Tensor&), double lo, double hi, double blo,
                  double bhi) {
  auto f = [op](const Xs& x) { return op(x[0], x[1]); };
  check_gradients(f, {uniform({2, 3}, lo, hi, 1), uniform({3}, blo, bhi, 2)});
  check_gradients(f, {uniform({2, 1}, lo, hi, 3), uniform({1, 3}, blo, bhi, 4)});
  check_gradients(f, {uniform({}, lo, hi, 5), uniform({2, 3}, blo, bhi, 6)});
  check_gradients(f, {uniform({2, 3}, lo, hi, 7), uniform({2, 3}, blo, bhi, 8)}, {.non_contiguous = true});
}

// Cast passes gradients between floating dtypes only (checked through a float32 round trip).
GRADIENT_CHECK_TEST(Cast, FloatingRoundTrip) {
  check_gradients([](const Xs& x) { return tf::cast(tf::cast(x[0], tf::float32) * 3.0f, tf::float64); },
                  {uniform({2, 3}, -1, 1, 1)}, {.eps = 1e-2, .atol = 1e-5, .rtol = 1e-5});
  auto x = tf::constant({1.5f, 2.5f});
  tf::GradientTape tape;
  tape.watch(x);
  auto y = tf::cast(tf::cast(x, tf::int32), tf::float32) * x;
  tape.stop();
  EXPECT_EQ(tape.gradient(y, x)->to_vector<float>(), (std::vector<float>{1, 2}));  // no path through the int cast
}

}  // namespace
