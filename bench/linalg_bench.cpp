// tf::matmul against calling OpenBLAS's cblas_sgemm directly on the same buffers, in one run:
// prints the ratio (tapeflow GFLOP/s / cblas GFLOP/s) for square float32 products, a transposed
// view, and a batch of small matrices. Build: link tapeflow and BLAS (see bench/CMakeLists.txt).
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "tapeflow/tapeflow.h"

namespace {
/// Uniform [0, 1) values from a fixed-seed LCG (the bench needs no particular distribution).
tf::Tensor uniform(const tf::Shape& shape, uint32_t seed) {
  std::vector<float> v(static_cast<std::size_t>(shape.num_elements()));
  for (float& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = static_cast<float>(seed >> 8) / 16777216.0f;
  }
  return tf::constant(v, shape);
}

/// Best-of-`reps` seconds of each function, measured alternately (so load from other processes
/// hits both alike) after a warm-up call of each.
std::vector<double> best_seconds(const std::vector<std::function<void()>>& fs, int reps) {
  std::vector<double> best(fs.size(), 1e30);
  for (const auto& f : fs) f();
  for (int i = 0; i < reps; ++i)
    for (std::size_t k = 0; k < fs.size(); ++k) {
      auto t0 = std::chrono::steady_clock::now();
      fs[k]();
      best[k] = std::min(best[k], std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
  return best;
}

void square(int64_t n, int reps) {
  auto a = uniform({n, n}, 1), b = uniform({n, n}, 2);
  std::vector<float> c(static_cast<std::size_t>(n * n));
  const float *pa = a.data<float>(), *pb = b.data<float>();
  const int ni = static_cast<int>(n);
  auto t = best_seconds(
      {[&] {
         cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.f, pa, ni, pb, ni, 0.f, c.data(), ni);
       },
       [&] { (void)tf::matmul(a, b); }, [&] { (void)tf::matmul(a, tf::transpose(b), {.transpose_b = true}); }},
      reps);
  const double direct = t[0], ours = t[1], ours_t = t[2];
  double flops = 2.0 * n * n * n;
  std::printf(
      "matmul %4lldx%-4lld float32: cblas %7.1f GFLOP/s  tapeflow %7.1f (ratio %.3f)  "
      "transposed view %7.1f (%.3f)\n",
      static_cast<long long>(n), static_cast<long long>(n), flops / direct * 1e-9, flops / ours * 1e-9, direct / ours,
      flops / ours_t * 1e-9, direct / ours_t);
}

void small_batch(int64_t batch, int64_t n, int reps) {
  auto a = uniform({batch, n, n}, 1), b = uniform({batch, n, n}, 2);
  std::vector<float> c(static_cast<std::size_t>(batch * n * n));
  const float *pa = a.data<float>(), *pb = b.data<float>();
  const int ni = static_cast<int>(n);
  auto t = best_seconds({[&] {
                           for (int64_t i = 0; i < batch; ++i)
                             cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.f, pa + i * n * n, ni,
                                         pb + i * n * n, ni, 0.f, c.data() + i * n * n, ni);
                         },
                         [&] { (void)tf::matmul(a, b); }},
                        reps);
  const double direct = t[0], ours = t[1];
  std::printf("matmul %lld x %lldx%lld float32: cblas loop %.3f ms  tapeflow %.3f ms (ratio %.2f)\n",
              static_cast<long long>(batch), static_cast<long long>(n), static_cast<long long>(n), direct * 1e3,
              ours * 1e3, direct / ours);
}
}  // namespace

int main() {
  tf::DeviceScope on("CPU:0");
  square(256, 20);
  square(1024, 20);
  small_batch(512, 16, 20);
  small_batch(64, 64, 20);
  return 0;
}
