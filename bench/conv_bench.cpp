// The Fashion-MNIST CNN's convolution and pooling layers on CPU (float32, NHWC), and a batch
// norm of the second conv's output: each op of a training step (forward, input and filter
// gradients) timed on oneDNN (where the build has it) and on Tapeflow's own kernels
// (im2col + OpenBLAS, window loops), alternately in one run. bench/conv_bench_torch.py times the
// same ops in PyTorch; bench/run_conv_bench.sh runs both, interleaved, and prints the table.
// Prints "conv_bench tapeflow|tapeflow_own <layer> <pass> <best ms>" lines.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "tapeflow/kernels/cpu/onednn_runtime.h"
#include "tapeflow/tapeflow.h"

namespace {
namespace cpu = tf::kernels::cpu;

/// Best-of-`reps` seconds of `f` on oneDNN and on the own kernels, measured alternately after a
/// warm-up call of each (which also creates oneDNN's primitives).
std::pair<double, double> best_seconds(const std::function<void()>& f, int reps) {
  double best[2] = {1e30, 1e30};
  for (int i = -1; i < reps; ++i)
    for (int own = 0; own < 2; ++own) {
      cpu::set_onednn_enabled(own == 0);
      const auto t0 = std::chrono::steady_clock::now();
      f();
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (i >= 0) best[own] = std::min(best[own], s);
    }
  cpu::set_onednn_enabled(true);
  return {best[0], best[1]};
}

void report(const std::string& layer, const char* pass, const std::function<void()>& f, int reps) {
  const auto [onednn, own] = best_seconds(f, reps);
  if (cpu::built_with_onednn()) std::printf("conv_bench tapeflow %s %s %.3f\n", layer.c_str(), pass, onednn * 1e3);
  std::printf("conv_bench tapeflow_own %s %s %.3f\n", layer.c_str(), pass, own * 1e3);
  std::fflush(stdout);
}

void conv_layer(const char* name, int batch, int hw, int cin, int cout, int k, int reps) {
  const auto x = tf::random::uniform({batch, hw, hw, cin}, {.seed = 1});
  const auto f = tf::random::uniform({k, k, cin, cout}, {.seed = 2});
  const auto g = tf::random::uniform({batch, hw, hw, cout}, {.seed = 3});
  const std::string layer = std::string(name) + "_b" + std::to_string(batch);
  report(
      layer, "forward", [&] { (void)tf::nn::conv2d(x, f, 1, "SAME"); }, reps);
  report(
      layer, "input_grad", [&] { (void)tf::nn::conv2d_backprop_input(x.shape(), f, g, 1, "SAME"); }, reps);
  report(
      layer, "filter_grad", [&] { (void)tf::nn::conv2d_backprop_filter(x, f.shape(), g, 1, "SAME"); }, reps);
}

void pool_layer(const char* name, int batch, int hw, int c, int reps) {
  const auto x = tf::random::uniform({batch, hw, hw, c}, {.seed = 4});
  const auto y = tf::nn::max_pool2d(x, 2, 2, "VALID");
  tf::ops::PoolAttrs attrs;
  attrs.ksize[0] = attrs.ksize[1] = attrs.strides[0] = attrs.strides[1] = 2;
  const std::string layer = std::string(name) + "_b" + std::to_string(batch);
  report(
      layer, "forward", [&] { (void)tf::nn::max_pool2d(x, 2, 2, "VALID"); }, reps);
  // A float32 forward on oneDNN keeps its argmax, and MaxPoolGrad of its x and y reads it
  // (Note [MaxPoolGrad from the forward's workspace]), as PyTorch's backward reads its forward's
  // indices. grad_recomputed: y in another buffer, so the maxima are found again.
  const auto y_elsewhere = y + 0.f;
  report(
      layer, "grad", [&] { (void)tf::ops::max_pool_grad(x, y, y, attrs); }, reps);
  report(
      layer, "grad_recomputed", [&] { (void)tf::ops::max_pool_grad(x, y_elsewhere, y, attrs); }, reps);
}

void batch_norm_layer(const char* name, int batch, int hw, int c, int reps) {
  const auto x = tf::random::uniform({batch, hw, hw, c}, {.seed = 5});
  const auto scale = tf::ones({c}), offset = tf::zeros({c});
  const auto r = tf::nn::fused_batch_norm(x, scale, offset);
  auto [mean, var] = tf::nn::moments(x, std::vector<int>{0, 1, 2});
  const std::string layer = std::string(name) + "_b" + std::to_string(batch);
  report(
      layer, "forward", [&] { (void)tf::nn::fused_batch_norm(x, scale, offset); }, reps);
  report(
      layer, "grad",
      [&] {
        (void)tf::ops::fused_batch_norm_grad(x, x, scale, mean, var, tf::zeros({0}), tf::ops::FusedBatchNormAttrs{});
      },
      reps);
}
}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 10;
  const std::string only = argc > 2 ? argv[2] : "";  // layers whose name contains it (all: "")
  auto want = [&](const char* layer) { return std::string(layer).find(only) != std::string::npos; };
  std::printf("# %s\n", cpu::cpu_kernels_info().c_str());
  for (int batch : {64, 256}) {
    if (want("conv1")) conv_layer("conv1", batch, 28, 1, 32, 5, reps);
    if (want("pool1")) pool_layer("pool1", batch, 28, 32, reps);
    if (want("conv2")) conv_layer("conv2", batch, 14, 32, 64, 5, reps);
    if (want("pool2")) pool_layer("pool2", batch, 14, 64, reps);
    if (want("bn2")) batch_norm_layer("bn2", batch, 14, 64, reps);
  }
}
