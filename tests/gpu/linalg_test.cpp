// CPU-vs-GPU parity of tf::matmul: every dtype, transposes, batches with broadcasting (uniform
// strides and mixed broadcasts that need a copy), transposed and sliced views, empty operands,
// and TF32 on (loose) and off (float32 tolerance).
#include "tests/gpu/gpu_test_util.h"

namespace {
using namespace tapeflow::testing;

struct Case {
  tf::Shape a, b;
  bool ta = false, tb = false;
  std::string name;
};
const std::vector<Case> kCases = {
    {{5, 7}, {7, 3}, false, false, "2-d"},
    {{7, 5}, {7, 3}, true, false, "transpose_a"},
    {{5, 7}, {3, 7}, false, true, "transpose_b"},
    {{7, 5}, {3, 7}, true, true, "both transposed"},
    {{1, 7}, {7, 1}, false, false, "row times column"},
    {{4, 5, 7}, {4, 7, 3}, false, false, "batched"},
    {{4, 7, 5}, {4, 3, 7}, true, true, "batched, both transposed"},
    {{5, 7}, {3, 7, 2}, false, false, "a broadcast over b's batch"},
    {{3, 5, 7}, {7, 2}, false, false, "b broadcast over a's batch"},
    {{2, 1, 5, 7}, {1, 3, 7, 4}, false, false, "mixed broadcast (copied)"},
    {{2, 3, 1, 5, 7}, {3, 2, 7, 4}, false, false, "rank 5 broadcast"},
    {{64, 96}, {96, 80}, false, false, "cuBLAS-sized"},
    {{3, 130, 257}, {3, 257, 65}, false, false, "odd sizes"},
    {{5, 0}, {0, 3}, false, false, "k = 0 (zeros)"},
    {{0, 7}, {7, 3}, false, false, "m = 0"},
    {{2, 0, 5, 7}, {7, 3}, false, false, "empty batch"},
};

const std::vector<tf::DType> kDtypes = {tf::float32, tf::float64, tf::float16, tf::bfloat16, tf::int32, tf::int64};

/// Sums of k products: the tolerance grows with k for the rounding dtypes.
double matmul_tolerance(tf::DType dt, int64_t k) {
  double tol = parity_tolerance(dt);
  return tol * std::max<double>(1.0, std::sqrt(static_cast<double>(k)));
}

TEST_F(GpuTest, MatMulParity) {
  Tf32Guard tf32(false);
  uint32_t seed = 1;
  for (tf::DType dt : kDtypes) {
    for (const Case& c : kCases) {
      auto a = random_cpu(c.a, dt, seed++), b = random_cpu(c.b, dt, seed++);
      const int64_t k = c.ta ? c.a.dim(-2) : c.a.dim(-1);
      const bool ta = c.ta, tb = c.tb;
      expect_parity([=](auto& v) { return tf::matmul(v[0], v[1], ta, tb); }, {a, b}, "matmul " + str(dt) + " " + c.name,
                    matmul_tolerance(dt, k));
    }
  }
}

TEST_F(GpuTest, MatMulViews) {
  Tf32Guard tf32(false);
  uint32_t seed = 100;
  for (tf::DType dt : kDtypes) {
    // Transposed views: a column-major matrix (read by cuBLAS as the other transpose) and a
    // batch whose first and last axes are swapped (copied to a contiguous batch).
    auto a2 = random_transposed_cpu({6, 9}, dt, seed++), b2 = random_cpu({9, 4}, dt, seed++);
    expect_parity([](auto& v) { return tf::matmul(v[0], v[1]); }, {a2, b2}, "matmul transposed view " + str(dt),
                  matmul_tolerance(dt, 9));
    expect_parity([](auto& v) { return tf::matmul(v[1], v[0], true, true); }, {a2, b2},
                  "matmul transposed view, transpose flags " + str(dt), matmul_tolerance(dt, 9));
    auto a3 = random_transposed_cpu({5, 6, 5}, dt, seed++), b3 = random_cpu({5, 5, 3}, dt, seed++);
    expect_parity([](auto& v) { return tf::matmul(v[0], v[1]); }, {a3, b3}, "matmul batched transposed view " + str(dt),
                  matmul_tolerance(dt, 5));
    // A sliced view (row stride larger than its row): every other column of a (5, 16) matrix.
    auto base = random_cpu({5, 16}, dt, seed++), w = random_cpu({8, 3}, dt, seed++);
    expect_parity(
        [](auto& v) {
          return tf::matmul(v[0][{tf::all, tf::slice(0, 16, 2)}], v[1]);
        },
        {base, w}, "matmul strided slice " + str(dt), matmul_tolerance(dt, 8));
  }
}

TEST_F(GpuTest, MatMulTensorFloat32) {
  // TF32 keeps 10 mantissa bits of each operand: each product of values in [-3, 3] is off by
  // ~1e-3, a sum of 256 of them by ~0.02 (std); 0.2 (relative above 1) is a 10-sigma bound.
  Tf32Guard tf32(true);
  auto a = random_cpu({3, 128, 256}, tf::float32, 7), b = random_cpu({3, 256, 64}, tf::float32, 8);
  expect_parity([](auto& v) { return tf::matmul(v[0], v[1]); }, {a, b}, "matmul TF32", 0.2);
  // Exact inputs (small integers) give exact products either way.
  auto ia = random_cpu({64, 64}, tf::int32, 9), ib = random_cpu({64, 64}, tf::int32, 10);
  tf::Tensor fa, fb;
  {
    tf::DeviceScope on("CPU:0");
    fa = tf::cast(ia, tf::float32);
    fb = tf::cast(ib, tf::float32);
  }
  expect_parity([](auto& v) { return tf::matmul(v[0], v[1]); }, {fa, fb}, "matmul TF32 exact", 0.0);
}

TEST_F(GpuTest, IntegerMatMulWraps) {
  // int32 products overflow and wrap identically on both devices.
  tf::Tensor a, b;
  {
    tf::DeviceScope on("CPU:0");
    a = tf::constant(std::vector<double>{2000000000, 3, -2000000000, 7}, {2, 2}, tf::int32);
    b = tf::constant(std::vector<double>{5, -1, 2000000000, 11}, {2, 2}, tf::int32);
  }
  expect_parity([](auto& v) { return tf::matmul(v[0], v[1]); }, {a, b}, "int32 wrapping matmul", 0.0);
}

}  // namespace
