// The Fashion-MNIST CNN's convolution and pooling layers on CPU (float32, NHWC): each op of a
// training step (forward, input and filter gradients) timed against cblas_sgemm of the same
// matrix product on the same thread count, in one run; the ratio (gemm time / op time) is what
// im2col, col2im and the pooling loops cost on top of the arithmetic BLAS must do anyway.
// Build: g++ -O3 -std=c++20 -I. bench/conv_bench.cpp -Lbuild/tapeflow -ltapeflow -lopenblas
//        -I/usr/include/x86_64-linux-gnu/openblas-pthread -Wl,-rpath,build/tapeflow
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "tapeflow/tapeflow.h"

namespace {
/// Best-of-`reps` seconds of each function, measured alternately after a warm-up call of each.
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

/// The gemm C (m, n) = op(A) op(B) with k inner, on scratch buffers.
std::function<void()> gemm(int m, int n, int k, bool ta, bool tb) {
  auto a = std::make_shared<std::vector<float>>(static_cast<std::size_t>(m) * k, 0.5f);
  auto b = std::make_shared<std::vector<float>>(static_cast<std::size_t>(k) * n, 0.25f);
  auto c = std::make_shared<std::vector<float>>(static_cast<std::size_t>(m) * n);
  return [=] {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.f, a->data(),
                ta ? m : k, b->data(), tb ? k : n, 0.f, c->data(), n);
  };
}

void conv_layer(const char* name, int batch, int hw, int cin, int cout, int k, int reps) {
  auto x = tf::random::uniform({batch, hw, hw, cin}, {.seed = 1});
  auto f = tf::random::uniform({k, k, cin, cout}, {.seed = 2});
  auto g = tf::random::uniform({batch, hw, hw, cout}, {.seed = 3});
  const int m = batch * hw * hw, kk = k * k * cin;
  auto t = best_seconds(
      {gemm(m, cout, kk, false, false), [&] { (void)tf::nn::conv2d(x, f, 1, "SAME"); }, gemm(m, kk, cout, false, true),
       [&] { (void)tf::nn::conv2d_backprop_input(x.shape(), f, g, 1, "SAME"); }, gemm(kk, cout, m, true, false),
       [&] { (void)tf::nn::conv2d_backprop_filter(x, f.shape(), g, 1, "SAME"); }},
      reps);
  const double flops = 2.0 * m * cout * kk;
  std::printf(
      "%s (%d, %d, %d, %d) * %dx%dx%d: forward %6.2f ms (%5.1f GFLOP/s, gemm ratio %.2f)  "
      "input grad %6.2f ms (%.2f)  filter grad %6.2f ms (%.2f)\n",
      name, batch, hw, hw, cin, k, k, cout, t[1] * 1e3, flops / t[1] * 1e-9, t[0] / t[1], t[3] * 1e3, t[2] / t[3],
      t[5] * 1e3, t[4] / t[5]);
}

void pool_layer(const char* name, int batch, int hw, int c, int reps) {
  auto x = tf::random::uniform({batch, hw, hw, c}, {.seed = 4});
  auto y = tf::nn::max_pool2d(x, 2, 2, "VALID");
  tf::ops::PoolAttrs attrs;
  attrs.ksize[0] = attrs.ksize[1] = attrs.strides[0] = attrs.strides[1] = 2;
  // A copy of the input is the floor any pooling pass pays.
  auto t = best_seconds({[&] { (void)tf::identity(x * 1.0f); }, [&] { (void)tf::nn::max_pool2d(x, 2, 2, "VALID"); },
                         [&] { (void)tf::ops::max_pool_grad(x, y, y, attrs); }},
                        reps);
  std::printf("%s max_pool 2x2 of (%d, %d, %d, %d): forward %6.2f ms  grad %6.2f ms  (x * 1: %6.2f ms)\n", name, batch,
              hw, hw, c, t[1] * 1e3, t[2] * 1e3, t[0] * 1e3);
}
}  // namespace

int main() {
  const int reps = 10;
  for (int batch : {64, 256}) {
    conv_layer("conv1", batch, 28, 1, 32, 5, reps);
    pool_layer("pool1", batch, 28, 32, reps);
    conv_layer("conv2", batch, 14, 32, 64, 5, reps);
    pool_layer("pool2", batch, 14, 64, reps);
  }
}
