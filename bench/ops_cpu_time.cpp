// Issue 19: load-independent figures for the large (8192, 4096) float32 rows of bench/ops_bench
// that lagged the streaming ceiling: the CPU time of the calling thread per call
// (CLOCK_THREAD_CPUTIME_ID) on one intra-op thread, best of `reps` (default 9). A busy machine
// stretches wall time but hardly this. To compare two builds, run the same binary against each
// build's libtapeflow.so: `LD_LIBRARY_PATH=<other build>/tapeflow build/bench/ops_cpu_time`; to
// compare page sizes, run it with TAPEFLOW_CPU_HUGE_PAGES=0 and without.
// Usage: ops_cpu_time [reps] [family]   (family: only the cases whose name contains it)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <vector>

#include <tapeflow/tapeflow.h>

namespace {
double thread_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}
double best_s(const std::function<void()>& fn, int reps) {
  fn();  // warm up: first touch of the output, allocator caches
  double best = 1e9;
  for (int r = 0; r < reps; ++r) {
    const double s = thread_cpu_s();
    fn();
    best = std::min(best, thread_cpu_s() - s);
  }
  return best;
}
}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 9;
  tf::config::threading::set_intra_op_parallelism_threads(1);
  const int64_t R = 8192, C = 4096;
  auto x = tf::random::uniform({R, C}, {.minval = -3, .maxval = 3, .seed = 1});
  auto y = tf::random::uniform({R, C}, {.minval = -3, .maxval = 3, .seed = 2});
  auto b = tf::random::uniform({C}, {.seed = 3});
  auto cond = tf::greater(y, tf::constant(0.f));
  auto labels = tf::nn::softmax(y);
  std::vector<int32_t> idx(static_cast<std::size_t>(R)), cls(static_cast<std::size_t>(R));
  uint32_t state = 4;  // rows and classes drawn as bench/ops_bench.cpp's (any spread will do)
  for (std::size_t i = 0; i < idx.size(); ++i) {
    state = state * 1664525u + 1013904223u;
    idx[i] = static_cast<int32_t>(state % static_cast<uint32_t>(R));
    cls[i] = static_cast<int32_t>((state >> 8) % static_cast<uint32_t>(C));
  }
  auto rows_idx = tf::constant(idx, tf::Shape{R});
  auto sparse = tf::constant(cls, tf::Shape{R});
  tf::Tensor out;
  const std::pair<const char*, std::function<void()>> cases[] = {
      {"where", [&] { out = tf::where(cond, x, y); }},
      {"argmax_axis1", [&] { out = tf::argmax(x, 1); }},
      {"reduce_sum_all", [&] { out = tf::reduce_sum(x); }},
      {"reduce_sum_axis1", [&] { out = tf::reduce_sum(x, 1); }},
      {"reduce_max_all", [&] { out = tf::reduce_max(x); }},
      {"reduce_sum_axis0", [&] { out = tf::reduce_sum(x, 0); }},
      {"add_broadcast", [&] { out = tf::add(x, b); }},
      {"cast_f32_i32", [&] { out = tf::cast(x, tf::int32); }},
      {"softmax", [&] { out = tf::nn::softmax(x); }},
      {"log_softmax", [&] { out = tf::nn::log_softmax(x); }},
      {"softmax_xent", [&] { out = tf::nn::softmax_cross_entropy_with_logits(labels, x); }},
      {"mul_column_broadcast", [&] { out = tf::multiply(tf::expand_dims(tf::ones({R}), -1), x); }},  // xent grad
      {"sparse_xent_fwd", [&] { out = tf::nn::sparse_softmax_cross_entropy_with_logits(sparse, x); }},
      {"sparse_xent_grad",
       [&] {
         tf::GradientTape tape;
         tape.watch(x);
         auto loss = tf::reduce_mean(tf::nn::sparse_softmax_cross_entropy_with_logits(sparse, x));
         tape.stop();
         out = *tape.gradient(loss, x);
       }},
      {"transpose", [&] { out = tf::transpose(x).contiguous(); }},
      {"concat_axis1", [&] { out = tf::concat({x, y}, 1); }},
      {"tile_2x1", [&] { out = tf::tile(x, {2, 1}); }},
      {"pad_1", [&] { out = tf::pad(x, {{1, 1}, {1, 1}}); }},
      {"gather_rows", [&] { out = tf::gather(x, rows_idx); }},
      {"scatter_add_rows", [&] { out = tf::unsorted_segment_sum(x, rows_idx, R); }},
  };
  const char* only = argc > 2 ? argv[2] : "";
  for (const auto& [name, fn] : cases)
    if (std::strstr(name, only) != nullptr) std::printf("%s %.2f ms\n", name, 1e3 * best_s(fn, reps));
  return 0;
}
