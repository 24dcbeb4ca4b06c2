// Gradient checks of the copies: a strided view made contiguous, and the CPU <-> GPU copy.
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

GRADIENT_CHECK_TEST(Copy, StridedToContiguous) {
  check_gradients([](const Xs& x) { return x[0].contiguous() * 2.0; }, {uniform({3, 2}, -1, 1, 1)},
                  {.non_contiguous = true});
}

GPU_GRADIENT_CHECK_TEST(_CopyToDevice, CpuGpuRoundTrip) {
  if (tf::config::list_physical_devices("GPU").empty()) GTEST_SKIP() << "no GPU";
  check_gradients([](const Xs& x) { return (x[0].gpu() * 2.0).cpu(); }, {uniform({3, 2}, -1, 1, 1)});
}

}  // namespace
