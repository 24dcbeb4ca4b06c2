// Gradient checks of the shape and indexing ops (float64 central differences): views, Python
// slicing with negative steps, concat/split/stack/tile/pad, gather, gather_nd, segment sums.
#include "tests/autograd/gradient_check.h"

namespace {
using tf::testing::check_gradients;
using tf::testing::uniform;
using Xs = std::vector<tf::Tensor>;

GRADIENT_CHECK_TEST(Reshape, Views) {
  check_gradients(
      [](const Xs& x) {
        return tf::reshape(x[0], {3, -1}) * x[1];
      },
      {uniform({2, 3, 2}, -1, 1, 1), uniform({4}, -1, 1, 2)});
  check_gradients([](const Xs& x) { return tf::reshape(x[0], {-1}); }, {uniform({3, 2}, -1, 1, 3)},
                  {.non_contiguous = true});
}
GRADIENT_CHECK_TEST(Transpose, Perm) {
  check_gradients(
      [](const Xs& x) {
        return tf::transpose(x[0], {2, 0, 1}) * x[1];
      },
      {uniform({2, 3, 4}, -1, 1, 1), uniform({2, 3}, -1, 1, 2)}, {.non_contiguous = true});
}
GRADIENT_CHECK_TEST(ExpandDims, Axis) {
  check_gradients([](const Xs& x) { return tf::expand_dims(x[0], 1) * x[1]; },
                  {uniform({2, 3}, -1, 1, 1), uniform({4, 3}, -1, 1, 2)});
}
GRADIENT_CHECK_TEST(Squeeze, Axis) {
  check_gradients([](const Xs& x) { return tf::squeeze(x[0], {1}) * 3.0; }, {uniform({2, 1, 3}, -1, 1, 1)},
                  {.non_contiguous = true});
}
GRADIENT_CHECK_TEST(BroadcastTo, Shapes) {
  check_gradients([](const Xs& x) { return tf::broadcast_to(x[0], {2, 3, 4}); }, {uniform({3, 1}, -1, 1, 1)});
  check_gradients(
      [](const Xs& x) {
        return tf::broadcast_to(x[0], {2, 4});
      },
      {uniform({4}, -1, 1, 2)}, {.non_contiguous = true});
}
GRADIENT_CHECK_TEST(Identity, Value) {
  check_gradients([](const Xs& x) { return tf::identity(x[0]) * x[0]; }, {uniform({2, 3}, -1, 1, 1)});
}
GRADIENT_CHECK_TEST(ReverseV2, Axes) {
  check_gradients(
      [](const Xs& x) {
        return tf::reverse(x[0], {0, -1}) * x[1];
      },
      {uniform({2, 3}, -1, 1, 1), uniform({3}, -1, 1, 2)}, {.non_contiguous = true});
}
GRADIENT_CHECK_TEST(StridedSlice, PythonSlicing) {
  auto x = uniform({4, 6}, -1, 1, 1);
  check_gradients([](const Xs& v) { return v[0][{1, tf::slice(1, {})}]; }, {x});
  check_gradients([](const Xs& v) { return v[0][{tf::slice({}, {}, -1), tf::slice(5, 0, -2)}]; }, {x});
  check_gradients(
      [](const Xs& v) {
        return v[0][{tf::newaxis, tf::slice(-3, {}), tf::ellipsis, 2}];
      },
      {x}, {.non_contiguous = true});
  check_gradients(
      [](const Xs& v) {
        return v[0][{tf::all, tf::slice(1, 5, 3)}] * v[0][{tf::all, tf::slice(4, 0, -3)}];
      },
      {x});
}
// The second derivative of slicing runs through StridedSliceGrad's own gradient.
GRADIENT_CHECK_TEST(StridedSliceGrad, SecondOrderOfSlicing) {
  check_gradients(
      [](const Xs& v) {
        return tf::square(v[0][{tf::slice({}, {}, -2), 1}]);
      },
      {uniform({5, 3}, -1, 1, 2)}, {.order = 2});
}
GRADIENT_CHECK_TEST(ConcatV2, Axis) {
  check_gradients(
      [](const Xs& x) {
        return tf::concat({x[0], x[1], x[0]}, 1);
      },
      {uniform({2, 3}, -1, 1, 1), uniform({2, 1}, -1, 1, 2)}, {.non_contiguous = true});
}
GRADIENT_CHECK_TEST(ConcatV2, SplitAndStack) {
  check_gradients(
      [](const Xs& x) {
        auto parts = tf::split(x[0], std::vector<int64_t>{1, -1, 2}, 1);  // sizes 1, 2, 2
        return tf::stack({parts[1] * parts[2], parts[2]}, 0) + parts[0];
      },
      {uniform({3, 5}, -1, 1, 3)});
  check_gradients([](const Xs& x) { return tf::stack(tf::unstack(x[0], 1), 0); }, {uniform({2, 3}, -1, 1, 4)});
}
GRADIENT_CHECK_TEST(Tile, Multiples) {
  check_gradients([](const Xs& x) { return tf::tile(x[0], {2, 1, 3}); }, {uniform({2, 3, 2}, -1, 1, 1)});
  check_gradients(
      [](const Xs& x) {
        return tf::tile(x[0], {3, 2}) * tf::tile(x[0], {3, 2});
      },
      {uniform({2, 2}, -1, 1, 2)}, {.non_contiguous = true});
}
GRADIENT_CHECK_TEST(PadV2, Constant) {
  check_gradients(
      [](const Xs& x) {
        return tf::pad(x[0], {{1, 2}, {0, 3}}, "CONSTANT", 1.5);
      },
      {uniform({2, 3}, -1, 1, 1)}, {.non_contiguous = true});
}
GRADIENT_CHECK_TEST(MirrorPad, ReflectAndSymmetric) {
  check_gradients([](const Xs& x) { return tf::pad(x[0], {{2, 1}, {1, 2}}, "REFLECT"); }, {uniform({3, 4}, -1, 1, 1)});
  check_gradients(
      [](const Xs& x) {
        return tf::pad(x[0], {{2, 3}, {0, 1}}, "SYMMETRIC");
      },
      {uniform({3, 4}, -1, 1, 2)}, {.non_contiguous = true});
}
GRADIENT_CHECK_TEST(GatherV2, AxesAndRepeats) {
  auto idx = tf::constant({2, 0, 2, 1});
  check_gradients([idx](const Xs& x) { return tf::gather(x[0], idx); }, {uniform({3, 2}, -1, 1, 1)});
  check_gradients(
      [idx](const Xs& x) {
        return tf::gather(x[0], tf::reshape(idx, {2, 2}), 1);
      },
      {uniform({2, 3, 2}, -1, 1, 2)}, {.non_contiguous = true});
  check_gradients([idx](const Xs& x) { return tf::square(tf::gather(x[0], idx)); }, {uniform({3}, -1, 1, 3)},
                  {.order = 2});
}
// batch_dims > 0: each batch row gathers from its own slice of params (TF's _BatchGatherGrad).
GRADIENT_CHECK_TEST(GatherV2, BatchDims) {
  auto idx = tf::constant({{2, 0, 2}, {1, 1, 0}});  // (2, 3): row b picks from params[b]
  check_gradients([idx](const Xs& x) { return tf::gather(x[0], idx, 1, 1); }, {uniform({2, 3}, -1, 1, 1)});
  // axis 2 > batch_dims 1, trailing params axes, int64 indices of rank 3.
  auto idx3 = tf::constant({{{1, 0}, {1, 1}}, {{0, 0}, {2, 1}}}, tf::int64);  // (2, 2, 2)
  check_gradients([idx3](const Xs& x) { return tf::gather(x[0], idx3, 2, 1); }, {uniform({2, 2, 3, 2}, -1, 1, 2)},
                  {.non_contiguous = true});
  // Two batch axes, negative batch_dims and axis, and second order.
  auto idx2 = tf::constant({{{1}, {0}}, {{0}, {1}}});  // (2, 2, 1)
  check_gradients([idx2](const Xs& x) { return tf::square(tf::gather(x[0], idx2, -1, -1)); },
                  {uniform({2, 2, 2}, -1, 1, 3)}, {.order = 2});
}
GRADIENT_CHECK_TEST(GatherNd, IndexTuples) {
  auto idx = tf::constant({{1, 0}, {0, 2}, {1, 0}});
  check_gradients([idx](const Xs& x) { return tf::gather_nd(x[0], idx); }, {uniform({2, 3, 2}, -1, 1, 1)});
  auto rows = tf::constant({{1}, {1}, {0}}, tf::int64);
  check_gradients([rows](const Xs& x) { return tf::gather_nd(x[0], rows); }, {uniform({2, 3}, -1, 1, 2)},
                  {.non_contiguous = true});
}
GRADIENT_CHECK_TEST(UnsortedSegmentSum, DroppedIds) {
  auto ids = tf::constant({0, 2, 0, -1, 3});  // -1 and 3 fall outside 3 segments: dropped
  check_gradients([ids](const Xs& x) { return tf::unsorted_segment_sum(x[0], ids, 3); }, {uniform({5, 2}, -1, 1, 1)});
}

}  // namespace
