// CPU figures of issue 2, each next to its peer measured in the same process:
//   tiny_add   eager host time of add(16 floats, 16 floats) per op (median of batches)
//   matmul     1024x1024x1024 float32 tf::matmul vs calling cblas_sgemm directly
//   add_16m    add of 2x16M float32 (both cores) vs the machine's copy bandwidth (memcpy split
//              across the same threads: the intra-op pool's parallel_for), both as GB/s of bytes
//              read + written
// Prints one "name value unit" line per figure; bench/run_core.sh adds libtorch and the ratios.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <iostream>
#include <vector>

#include <tapeflow/tapeflow.h>

#include "tapeflow/kernels/cpu/parallel.h"

namespace {

using Clock = std::chrono::steady_clock;

/// Median over `reps` batches of the per-call time of `fn` in nanoseconds (batches of `inner`).
double median_ns(int reps, int inner, const std::function<void()>& fn) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    auto s = Clock::now();
    for (int i = 0; i < inner; ++i) fn();
    t.push_back(std::chrono::duration<double, std::nano>(Clock::now() - s).count() / inner);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void tiny_add() {
  auto a = tf::ones({16});
  auto b = tf::ones({16});
  tf::Tensor c;
  for (int i = 0; i < 10000; ++i) c = tf::add(a, b);  // warm up caches and the allocator
  double ns = median_ns(51, 20000, [&] { c = tf::add(a, b); });
  std::cout << "tiny_add_tapeflow " << ns << " ns\n";
}

void matmul() {
  const int n = 1024;
  auto a = tf::random::uniform({n, n}, {.seed = 1});
  auto b = tf::random::uniform({n, n}, {.seed = 2});
  std::vector<float> c(static_cast<size_t>(n) * n);
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  auto sgemm = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.f, pa, n, pb, n, 0.f, c.data(), n);
  };
  tf::Tensor out;
  auto tfmm = [&] { out = tf::matmul(a, b); };
  sgemm();
  tfmm();
  // Interleave so that both see the same machine state.
  std::vector<double> ts, tb;
  for (int r = 0; r < 7; ++r) {
    ts.push_back(median_ns(1, 3, tfmm));
    tb.push_back(median_ns(1, 3, sgemm));
  }
  std::sort(ts.begin(), ts.end());
  std::sort(tb.begin(), tb.end());
  const double flop = 2.0 * n * n * n;
  std::cout << "matmul_tapeflow " << flop / ts[3] << " GFLOP/s\n";
  std::cout << "matmul_cblas " << flop / tb[3] << " GFLOP/s\n";
}

void add_bandwidth() {
  const int64_t n = 16 * 1024 * 1024;
  auto a = tf::fill({n}, 1.0f);
  auto b = tf::fill({n}, 2.0f);
  tf::Tensor c = tf::add(a, b);
  c = tf::Tensor();
  auto tfadd = [&] { c = tf::add(a, b); };
  std::vector<float> src(n, 1.f), dst(n, 0.f);
  auto copy = [&] {
    tf::kernels::cpu::parallel_for(n, tf::kernels::cpu::kParallelGrain, [&](int64_t lo, int64_t hi) {
      std::memcpy(dst.data() + lo, src.data() + lo, static_cast<size_t>(hi - lo) * sizeof(float));
    });
  };
  copy();
  tfadd();
  std::vector<double> ta, tc;
  for (int r = 0; r < 9; ++r) {
    ta.push_back(median_ns(1, 5, tfadd));
    tc.push_back(median_ns(1, 5, copy));
  }
  std::sort(ta.begin(), ta.end());
  std::sort(tc.begin(), tc.end());
  const double bytes = 4.0 * n;
  std::cout << "add_16m_tapeflow " << 3 * bytes / ta[4] << " GB/s\n";
  std::cout << "copy_bandwidth " << 2 * bytes / tc[4] << " GB/s\n";
}

}  // namespace

int main(int argc, char** argv) {
  tf::DeviceScope cpu("CPU:0");
  std::string only = argc > 1 ? argv[1] : "";
  std::cout << "threads " << tf::threading::intra_op_threads() << " n\n";
  if (only.empty() || only == "tiny_add") tiny_add();
  if (only.empty() || only == "matmul") matmul();
  if (only.empty() || only == "add") add_bandwidth();
  return 0;
}
