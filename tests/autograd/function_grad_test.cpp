// The call op of tf::function (PartitionedCall, graph/call_op.cpp): its gradient is the traced
// backward of the Function's graph, checked here like every other op's (the graph layer's tests
// run the whole table through Functions).
#include "tests/autograd/gradient_check.h"

namespace {
using tf::testing::check_gradients;
using tf::testing::uniform;

GRADIENT_CHECK_TEST(PartitionedCall, TracedBackwardSecondOrder) {
  auto f = tf::function([](const tf::Tensor& a, const tf::Tensor& b) {
    return tf::tanh(tf::matmul(a, b)) * a[{tf::all, tf::slice(0, 1)}];
  });
  check_gradients([f](const std::vector<tf::Tensor>& v) -> tf::Tensor { return f(v[0], v[1]); },
                  {uniform({2, 3}, -1, 1, 1), uniform({3, 2}, -1, 1, 2)}, {.order = 2});
}
}  // namespace

namespace {
// tf::cond inside a Function is an If op (graph/control_flow.cpp); its gradient is an If of the
// branches' traced backwards. Both branches are checked (the predicate depends on the input).
GRADIENT_CHECK_TEST(If, BothBranchesSecondOrder) {
  auto f = tf::function([](const tf::Tensor& a, const tf::Tensor& b) {
    return tf::cond(
        tf::greater(tf::reduce_sum(a), tf::constant(0.0, tf::float64)), [&] { return tf::sin(a) * b; },
        [&] { return a * a * b; });
  });
  auto fn = [f](const std::vector<tf::Tensor>& v) -> tf::Tensor { return f(v[0], v[1]); };
  check_gradients(fn, {uniform({3}, 0.5, 1, 1), uniform({3}, -1, 1, 2)}, {.order = 2});
  check_gradients(fn, {uniform({3}, -1, -0.5, 3), uniform({3}, -1, 1, 4)}, {.order = 2});
}
}  // namespace
