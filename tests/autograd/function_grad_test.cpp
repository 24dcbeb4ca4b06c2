// The call op of tf::function (PartitionedCall, graph/call_op.cpp): its gradient is the traced
// backward of the Function's graph, checked here like every other op's (the graph layer's tests
// run the whole table through Functions).
#include "tests/autograd/gradient_check.h"

namespace {
using tf::testing::check_gradients;
using tf::testing::uniform;

GRADIENT_CHECK_TEST(PartitionedCall, TracedBackwardSecondOrder) {
  auto f = tf::function([](const tf::Tensor& a, const tf::Tensor& b) { return tf::tanh(tf::matmul(a, b)) * a[{tf::all, tf::slice(0, 1)}]; });
  check_gradients([f](const std::vector<tf::Tensor>& v) -> tf::Tensor { return f(v[0], v[1]); },
                  {uniform({2, 3}, -1, 1, 1), uniform({3, 2}, -1, 1, 2)}, {.order = 2});
}
}  // namespace
