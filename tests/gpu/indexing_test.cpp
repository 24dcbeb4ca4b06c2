// GPU indexing: StridedSliceGrad (the gradient of Python-style slicing) against hand values and
// the CPU kernel, and out-of-range gather indices, which give zeros on a GPU as in TF's GPU
// kernels (the CPU kernels raise InvalidArgumentError).
#include "tests/gpu/gpu_test_util.h"

namespace {
using namespace tapeflow::testing;

/// d(sum(slice(x) * 2))/dx, computed where x lives.
tf::Tensor slice_gradient(const tf::Tensor& x, const std::vector<tf::Index>& index) {
  tf::GradientTape tape;
  tape.watch(x);
  auto y = tf::reduce_sum(x[index] * tf::scalar_tensor(2, x.dtype()));
  return *tape.gradient(y, x);
}

TEST_F(GpuTest, StridedSliceGradHandValues) {
  tf::DeviceScope on("GPU:0");
  auto x = tf::reshape(tf::range(0, 12, 1, tf::float32), {4, 3});
  ASSERT_EQ(x.device(), tf::kGPU0);
  // Rows 1 and 3, columns 2 and 0 (a negative step).
  auto g = slice_gradient(x, {tf::slice(1, {}, 2), tf::slice({}, {}, -2)});
  EXPECT_EQ(g.device(), tf::kGPU0);
  expect_values(g.cpu(), {4, 3}, {0, 0, 0, 2, 0, 2, 0, 0, 0, 2, 0, 2});
  // An integer index drops the axis; a new axis adds one; the gradient has x's shape.
  auto h = slice_gradient(x, {2, tf::newaxis, tf::slice(1, {})});
  expect_values(h.cpu(), {4, 3}, {0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0});
}

TEST_F(GpuTest, StridedSliceGradParity) {
  uint32_t seed = 7;
  for (tf::DType dt : {tf::float32, tf::float64, tf::float16}) {
    auto x = random_cpu({5, 6, 7}, dt, seed++);
    expect_parity(
        [](auto& v) {
          return slice_gradient(v[0], {tf::slice(1, 4), tf::all, tf::slice({}, {}, 3)});
        },
        {x}, "strided slice grad " + str(dt));
    expect_parity(
        [](auto& v) {
          return slice_gradient(v[0], {tf::slice({}, {}, -1), 3});
        },
        {x}, "reversed slice grad " + str(dt));
    // A slice of a non-contiguous (transposed) input.
    auto t = random_transposed_cpu({4, 6}, dt, seed++);
    expect_parity(
        [](auto& v) {
          return slice_gradient(v[0], {tf::slice(0, {}, 2), tf::slice(1, 3)});
        },
        {t}, "slice grad of a view " + str(dt));
    // An empty slice: all zeros.
    expect_parity([](auto& v) { return slice_gradient(v[0], {tf::slice(3, 3)}); }, {x}, "empty slice grad " + str(dt));
  }
}

TEST_F(GpuTest, OutOfRangeGatherGivesZerosOnGpu) {
  for (tf::DType it : {tf::int32, tf::int64}) {
    tf::Tensor params, indices, nd_indices;
    {
      tf::DeviceScope on("CPU:0");
      params = tf::reshape(tf::range(1, 7, 1, tf::float32), {3, 2});  // [[1 2] [3 4] [5 6]]
      indices = tf::cast(tf::constant({0, 5, -1, 2}), it);
      nd_indices = tf::cast(tf::constant({{2, 1}, {3, 0}, {0, -4}, {1, 0}}), it);
      // The CPU kernel raises for the same indices, as TF's CPU kernel does.
      EXPECT_TF_ERROR(tf::gather(params, indices), tf::errors::InvalidArgumentError, "5");
    }
    tf::DeviceScope on("GPU:0");
    auto g = tf::gather(params.gpu(), indices.gpu());
    EXPECT_EQ(g.device(), tf::kGPU0);
    expect_values(g.cpu(), {4, 2}, {1, 2, 0, 0, 0, 0, 5, 6});
    auto cols = tf::gather(params.gpu(), indices.gpu(), 1);  // along axis 1: only index 0 is in range
    expect_values(cols.cpu(), {3, 4}, {1, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0});
    auto nd = tf::gather_nd(params.gpu(), nd_indices.gpu());
    expect_values(nd.cpu(), {4}, {6, 0, 0, 3});
  }
}

}  // namespace
