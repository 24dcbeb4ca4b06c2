// CPU-vs-GPU parity of the copying shape ops: concat, stack, tile, pad (three modes), gather
// (axis, batch_dims), gather_nd, one_hot, unsorted_segment_sum; and the cuBLAS matmul wrapper
// against a float64 host reference.
#include "tests/gpu/gpu_test_util.h"
#if TAPEFLOW_HAS_CUDA
#include "tapeflow/kernels/cuda/matmul.h"
#endif

namespace {
using namespace tapeflow::testing;

const std::vector<tf::DType> kMoved = {tf::float32, tf::float64, tf::float16, tf::int32,
                                       tf::int64,   tf::bool_,   tf::uint8};

TEST_F(GpuTest, ConcatStackTileParity) {
  uint32_t seed = 1;
  for (tf::DType dt : kMoved) {
    auto a = random_cpu({3, 4, 5}, dt, seed++), b = random_cpu({3, 2, 5}, dt, seed++);
    auto t = random_transposed_cpu({3, 1, 5}, dt, seed++);  // non-contiguous
    auto e = random_cpu({3, 0, 5}, dt, seed++);
    expect_parity([](auto& v) { return tf::concat({v[0], v[1], v[2], v[3]}, 1); }, {a, b, t, e}, "concat " + str(dt));
    expect_parity([](auto& v) { return tf::concat({v[0], v[0]}, -1); }, {a}, "concat last " + str(dt));
    expect_parity([](auto& v) { return tf::stack({v[0], v[0], v[0]}, 1); }, {b}, "stack " + str(dt));
    expect_parity([](auto& v) { return tf::tile(v[0], {2, 1, 3}); }, {a}, "tile " + str(dt));
    expect_parity([](auto& v) { return tf::tile(v[0], {1, 4, 2}); }, {t}, "tile transposed " + str(dt));
    expect_parity([](auto& v) { return tf::tile(v[0], {0, 1, 1}); }, {a}, "tile empty " + str(dt));
  }
}

TEST_F(GpuTest, PadParity) {
  uint32_t seed = 100;
  for (tf::DType dt : kMoved) {
    auto x = random_cpu({4, 5, 6}, dt, seed++);
    auto t = random_transposed_cpu({6, 5}, dt, seed++);
    std::vector<std::pair<int64_t, int64_t>> p = {{1, 2}, {0, 3}, {2, 2}};
    expect_parity([=](auto& v) { return tf::pad(v[0], p, "CONSTANT", 1); }, {x}, "pad constant " + str(dt));
    expect_parity([=](auto& v) { return tf::pad(v[0], p, "REFLECT"); }, {x}, "pad reflect " + str(dt));
    expect_parity([=](auto& v) { return tf::pad(v[0], p, "SYMMETRIC"); }, {x}, "pad symmetric " + str(dt));
    expect_parity([](auto& v) { return tf::pad(v[0], {{2, 0}, {1, 1}}, "REFLECT"); }, {t}, "pad transposed " + str(dt));
  }
}

tf::Tensor indices_cpu(const tf::Shape& shape, int64_t limit, tf::DType dt, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<int64_t> v(static_cast<std::size_t>(shape.num_elements()));
  for (auto& x : v) x = static_cast<int64_t>(gen() % static_cast<uint32_t>(limit));
  tf::DeviceScope on("CPU:0");
  return tf::constant(v, shape, dt);
}

TEST_F(GpuTest, GatherParity) {
  uint32_t seed = 200;
  for (tf::DType dt : kMoved) {
    for (tf::DType it : {tf::int32, tf::int64}) {
      auto params = random_cpu({5, 6, 7}, dt, seed++);
      for (int axis = 0; axis < 3; ++axis) {
        auto idx = indices_cpu({4, 3}, params.shape()[axis], it, seed++);
        expect_parity([=](auto& v) { return tf::gather(v[0], v[1], axis); }, {params, idx},
                      "gather " + str(dt) + " " + str(it) + " axis " + std::to_string(axis));
      }
      auto bidx = indices_cpu({5, 4}, 7, it, seed++);
      expect_parity([](auto& v) { return tf::gather(v[0], v[1], 2, 1); }, {params, bidx},
                    "gather batch_dims " + str(dt));
      auto t = random_transposed_cpu({7, 6}, dt, seed++);
      expect_parity([](auto& v) { return tf::gather(v[0], v[1], 0); }, {t, indices_cpu({9}, 6, it, seed++)},
                    "gather transposed " + str(dt));
      auto nd = indices_cpu({3, 2}, 5, it, seed++);
      expect_parity([](auto& v) { return tf::gather_nd(v[0], v[1]); }, {params, nd}, "gather_nd " + str(dt));
    }
  }
}

TEST_F(GpuTest, OneHotAndSegmentSumParity) {
  uint32_t seed = 300;
  for (tf::DType it : {tf::int32, tf::int64, tf::uint8}) {
    auto idx = indices_cpu({6, 4}, 7, it, seed++);  // some indices >= depth 5: all-off rows
    for (int axis : {-1, 0, 1})
      for (tf::DType dt : {tf::float32, tf::float16, tf::int32, tf::bool_})
        expect_parity([=](auto& v) { return tf::one_hot(v[0], 5, 1, 0, axis, dt); }, {idx},
                      "one_hot " + str(it) + " " + str(dt) + " axis " + std::to_string(axis));
  }
  for (tf::DType dt : {tf::float32, tf::float64, tf::float16, tf::bfloat16, tf::int32, tf::int64}) {
    auto data = random_cpu({50, 3}, dt, seed++);
    auto ids = indices_cpu({50}, 9, tf::int32, seed++);  // ids 7 and 8 fall outside 7 segments: dropped
    // Atomic float sums add in any order: float32 rounding may differ in the last bits.
    expect_parity([](auto& v) { return tf::unsorted_segment_sum(v[0], v[1], 7); }, {data, ids},
                  "unsorted_segment_sum " + str(dt), parity_tolerance(dt) * 10);
  }
}

#if TAPEFLOW_HAS_CUDA
// The matmul ops arrive on another branch; until then the cuBLAS wrapper is tested directly.
void gemm_case(tf::DType dt, int64_t batch, int64_t m, int64_t n, int64_t k, bool ta, bool tb, bool broadcast_b,
               double tol) {
  namespace kc = tapeflow::kernels::cuda;
  auto a = random_cpu(ta ? tf::Shape{batch, k, m} : tf::Shape{batch, m, k}, dt, 7);
  auto b = random_cpu(tb ? tf::Shape{broadcast_b ? 1 : batch, n, k} : tf::Shape{broadcast_b ? 1 : batch, k, n}, dt, 8);
  auto ga = a.gpu(), gb = b.gpu();
  auto gc = tf::Tensor::empty({batch, m, n}, dt, tf::kGPU0);
  kc::GemmArgs g{batch, m, n, k, ta, tb, m * k, broadcast_b ? 0 : k * n, m * n};
  kc::gemm_strided_batched(dt, ga.raw_data(), gb.raw_data(), gc.raw_data(), g, 0);
  std::vector<double> av = values_as_double(a), bv = values_as_double(b), cv = values_as_double(gc.cpu());
  for (int64_t i = 0; i < batch; ++i)
    for (int64_t r = 0; r < m; ++r)
      for (int64_t c = 0; c < n; ++c) {
        double want = 0;
        for (int64_t p = 0; p < k; ++p) {
          double x = av[static_cast<std::size_t>(i * m * k + (ta ? p * m + r : r * k + p))];
          int64_t bi = broadcast_b ? 0 : i;
          double y = bv[static_cast<std::size_t>(bi * k * n + (tb ? c * k + p : p * n + c))];
          want += x * y;
        }
        double got = cv[static_cast<std::size_t>((i * m + r) * n + c)];
        ASSERT_NEAR(got, want, tol * std::max(1.0, std::abs(want)) * std::sqrt(double(k)))
            << str(dt) << " batch " << i << " (" << r << ", " << c << ") ta=" << ta << " tb=" << tb;
      }
}

TEST_F(GpuTest, CublasBatchedGemmMatchesReference) {
  tf::config::enable_tensor_float_32_execution(false);
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      gemm_case(tf::float32, 3, 17, 9, 33, ta, tb, false, 1e-6);
      gemm_case(tf::float64, 2, 5, 7, 11, ta, tb, true, 1e-13);
      gemm_case(tf::float16, 2, 8, 16, 24, ta, tb, false, 2e-3);
      gemm_case(tf::bfloat16, 2, 8, 16, 24, ta, tb, false, 1e-2);
    }
  tf::config::enable_tensor_float_32_execution(true);
  gemm_case(tf::float32, 1, 64, 64, 64, false, false, false, 2e-3);  // TF32: 10-bit mantissa inputs
  gemm_case(tf::float32, 2, 4, 3, 0, false, false, false, 0);        // k = 0: zeros
  EXPECT_THROW(gemm_case(tf::int32, 1, 2, 2, 2, false, false, false, 0), tf::errors::UnimplementedError);
}
#endif

}  // namespace
