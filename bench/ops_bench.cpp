// Issue 19: one figure per op family and size on the CPU, next to the ceiling measured in the same
// process: the streaming bandwidth of a read-only sum loop (ops that read much more than they
// write) or of memcpy (read + write), split across the same threads as Tapeflow's kernels.
// bench/ops_bench_torch.py times the same cases with PyTorch; bench/run_ops.sh runs both,
// interleaved, and prints the table of bench/RESULTS.md.
// Output, one line per case: `case <family> <size> <seconds per op> <bytes read> <bytes written>`,
// `faults <family> <size> <minor page faults per op>`, and
// `bandwidth <small|large> <read GB/s> <copy GB/s>` (copy counts bytes read + written).
// TAPEFLOW_CPU_HUGE_PAGES=0 in the environment maps the large tensors with 4 KiB pages (A/B).
// Usage: ops_bench [--sizes small,large] [--only FAMILY]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <iostream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <sys/resource.h>

#include <tapeflow/tapeflow.h>

#include "tapeflow/core/allocator.h"
#include "tapeflow/kernels/cpu/parallel.h"

namespace {

using Clock = std::chrono::steady_clock;

/// Median over `reps` batches of the per-call seconds of `fn` (batches of `inner` calls).
double median_s(int reps, int inner, const std::function<void()>& fn) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto s = Clock::now();
    for (int i = 0; i < inner; ++i) fn();
    t.push_back(std::chrono::duration<double>(Clock::now() - s).count() / inner);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

/// The sizes: small rows stay in L1/L2 and measure per-op overhead; large rows (128 MB of
/// float32) stream from memory, beyond the 32 MB L3 of the machines we measured.
struct Size {
  std::string name;
  int64_t rows, cols;
  int reps, inner;
};

/// Streaming peers: a read-only sum (lanes, so that it is bound by memory, not by add latency)
/// and memcpy, each thread on its contiguous part, as Tapeflow's parallel_for splits.
double read_bw(const std::vector<float>& buf, int reps, int inner) {
  const int64_t n = static_cast<int64_t>(buf.size());
  volatile float sink = 0;
  const double s = median_s(reps, inner, [&] {
    std::atomic<float> total{0};
    tapeflow::kernels::cpu::parallel_for(n, tapeflow::kernels::cpu::kParallelGrain, [&](int64_t b, int64_t e) {
      float acc[16] = {};
      int64_t i = b;
      for (; i + 16 <= e; i += 16)
        for (int k = 0; k < 16; ++k) acc[k] += buf[static_cast<std::size_t>(i + k)];
      for (; i < e; ++i) acc[0] += buf[static_cast<std::size_t>(i)];
      float part = 0;
      for (float a : acc) part += a;
      total.fetch_add(part);
    });
    sink = total.load();
  });
  (void)sink;
  return static_cast<double>(n) * 4 / s / 1e9;
}
double copy_bw(const std::vector<float>& src, std::vector<float>& dst, int reps, int inner) {
  const int64_t n = static_cast<int64_t>(src.size());
  const double s = median_s(reps, inner, [&] {
    tapeflow::kernels::cpu::parallel_for(n, tapeflow::kernels::cpu::kParallelGrain, [&](int64_t b, int64_t e) {
      std::memcpy(dst.data() + b, src.data() + b, static_cast<std::size_t>(e - b) * 4);
    });
  });
  return static_cast<double>(n) * 8 / s / 1e9;
}

void bandwidth(const Size& z) {
  // Large: the 128 MB of one operand; small: the same bytes as a small row's operand.
  const auto n = static_cast<std::size_t>(z.rows * z.cols);
  std::vector<float> a(n, 1.f), b(n, 0.f);
  const double r = read_bw(a, z.reps, z.inner), c = copy_bw(a, b, z.reps, z.inner);
  std::cout << "bandwidth " << z.name << ' ' << r << ' ' << c << std::endl;
}

struct Case {
  std::string family;
  int64_t read, written;  // bytes per op
  std::function<void()> fn;
};

std::vector<Case> cases(const Size& z) {
  const int64_t R = z.rows, C = z.cols, N = R * C, f = 4;
  auto x = tf::random::uniform({R, C}, {.minval = -3, .maxval = 3, .seed = 1});
  auto y = tf::random::uniform({R, C}, {.minval = -3, .maxval = 3, .seed = 2});
  auto b = tf::random::uniform({C}, {.seed = 3});
  auto cond = tf::greater(y, tf::constant(0.f));
  auto labels = tf::nn::softmax(y);
  auto sm = tf::nn::softmax(x), lsm = tf::nn::log_softmax(x), dy = y;
  std::mt19937 gen(4);
  std::vector<int32_t> idx(static_cast<std::size_t>(R)), cls(static_cast<std::size_t>(R));
  for (auto& i : idx) i = static_cast<int32_t>(gen() % static_cast<uint32_t>(R));
  for (auto& i : cls) i = static_cast<int32_t>(gen() % static_cast<uint32_t>(C));
  auto rows_idx = tf::constant(idx, tf::Shape{R});
  auto segs = tf::constant(idx, tf::Shape{R});
  auto sparse = tf::constant(cls, tf::Shape{R});
  auto var = tf::Variable(x);
  auto opt = std::make_shared<tf::keras::optimizers::Adam>();
  tf::Tensor out;
  std::vector<Case> v = {
      {"reduce_sum_all", N * f, f, [=]() mutable { out = tf::reduce_sum(x); }},
      {"reduce_sum_axis0", N * f, C * f, [=]() mutable { out = tf::reduce_sum(x, 0); }},
      {"reduce_sum_axis1", N * f, R * f, [=]() mutable { out = tf::reduce_sum(x, 1); }},
      {"reduce_max_all", N * f, f, [=]() mutable { out = tf::reduce_max(x); }},
      {"argmax_axis1", N * f, R * 8, [=]() mutable { out = tf::argmax(x, 1); }},
      {"softmax", N * f, N * f, [=]() mutable { out = tf::nn::softmax(x); }},
      {"log_softmax", N * f, N * f, [=]() mutable { out = tf::nn::log_softmax(x); }},
      // The backward kernels alone (what the tape calls), y a softmax/log_softmax output; the
      // composition of public ops the rules used before (_composed: no PyTorch row).
      {"softmax_grad", 2 * N * f, N * f, [=]() mutable { out = tf::ops::softmax_grad(sm, dy, -1); }},
      {"softmax_grad_composed", 2 * N * f, N * f,
       [=]() mutable { out = (dy - tf::reduce_sum(dy * sm, -1, /*keepdims=*/true)) * sm; }},
      {"log_softmax_grad", 2 * N * f, N * f, [=]() mutable { out = tf::ops::log_softmax_grad(lsm, dy, -1); }},
      {"log_softmax_grad_composed", 2 * N * f, N * f,
       [=]() mutable { out = dy - tf::exp(lsm) * tf::reduce_sum(dy, -1, /*keepdims=*/true); }},
      {"softmax_xent", 2 * N * f, N * f, [=]() mutable { out = tf::nn::softmax_cross_entropy_with_logits(labels, x); }},
      {"sparse_xent_grad", N * f, N * f,
       [=]() mutable {
         tf::GradientTape tape;
         tape.watch(x);
         auto loss = tf::reduce_mean(tf::nn::sparse_softmax_cross_entropy_with_logits(sparse, x));
         tape.stop();
         out = *tape.gradient(loss, x);
       }},
      {"add_broadcast", N * f, N * f, [=]() mutable { out = tf::add(x, b); }},
      {"cast_f32_i32", N * f, N * 4, [=]() mutable { out = tf::cast(x, tf::int32); }},
      // A fresh output: the allocator's cache emptied first, so its pages are faulted in anew
      // (PyTorch's host allocator caches nothing: every large torch.ones maps fresh pages).
      {"fresh_ones", 0, N * f,
       [=]() mutable {
         out = tf::Tensor();
         tapeflow::cpu_allocator()->empty_cache();
         out = tf::ones({R, C});
       }},
      {"transpose", N * f, N * f, [=]() mutable { out = tf::transpose(x).contiguous(); }},  // a view until copied
      {"concat_axis1", 2 * N * f, 2 * N * f,
       [=]() mutable {
         out = tf::concat({x, y}, 1);
       }},
      {"tile_2x1", N * f, 2 * N * f,
       [=]() mutable {
         out = tf::tile(x, {2, 1});
       }},
      {"pad_1", N * f, (R + 2) * (C + 2) * f,
       [=]() mutable {
         out = tf::pad(x, {{1, 1}, {1, 1}});
       }},
      {"gather_rows", N * f, N * f, [=]() mutable { out = tf::gather(x, rows_idx); }},
      {"scatter_add_rows", N * f, N * f, [=]() mutable { out = tf::unsorted_segment_sum(x, segs, R); }},
      {"where", 2 * N * f + N, N * f, [=]() mutable { out = tf::where(cond, x, y); }},
      // Reads w, g, m, v; writes w, m, v.
      {"adam_update", 4 * N * f, 3 * N * f,
       [=]() mutable {
         opt->apply_gradients({{y, var}});
       }},
  };
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> sizes = {"small", "large"};
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--sizes") {
      sizes.clear();
      for (std::size_t p = 0, q; p <= v.size(); p = q + 1) {
        q = v.find(',', p);
        if (q == std::string::npos) q = v.size();
        sizes.push_back(v.substr(p, q - p));
      }
    } else if (a == "--only") {
      only = v;
    }
  }
  const std::vector<Size> all = {{"small", 64, 64, 41, 200}, {"large", 8192, 4096, 7, 1}};
  {  // tiny add: host time per op of add(16 floats, 16 floats); no thread may start below the grain
    auto a = tf::ones({16}), c = tf::ones({16});
    tf::Tensor out;
    for (int i = 0; i < 10000; ++i) out = tf::add(a, c);
    std::cout << "case tiny_add 16 " << median_s(51, 20000, [&] { out = tf::add(a, c); }) << " 128 64" << std::endl;
  }
  for (const Size& z : all) {
    if (std::find(sizes.begin(), sizes.end(), z.name) == sizes.end()) continue;
    bandwidth(z);
    for (Case& c : cases(z)) {
      if (!only.empty() && c.family.find(only) == std::string::npos) continue;
      c.fn();  // warm up: first-touch of outputs, allocator caches
      const long faults0 = minor_faults();
      const double s = median_s(z.reps, z.inner, c.fn);
      std::cout << "case " << c.family << ' ' << z.name << ' ' << s << ' ' << c.read << ' ' << c.written << std::endl;
      // Page faults per op (run_ops.sh ignores the line): 0 in steady state thanks to the
      // allocator's cache, except for fresh_ones (Note [Huge pages for large host buffers]).
      std::cout << "faults " << c.family << ' ' << z.name << ' '
                << static_cast<double>(minor_faults() - faults0) / (z.reps * z.inner) << std::endl;
    }
    bandwidth(z);  // again: the ceiling is the better of the two, bracketing the cases
  }
  return 0;
}
