// Issue 19: load-independent figures for the large (8192, 4096) float32 rows of bench/ops_bench
// that lagged the streaming ceiling: the CPU time of the calling thread per call
// (CLOCK_THREAD_CPUTIME_ID) on one intra-op thread, best of `reps` (default 9). A busy machine
// stretches wall time but hardly this. To compare two builds, run the same binary against each
// build's libtapeflow.so: `LD_LIBRARY_PATH=<other build>/tapeflow build/bench/ops_cpu_time`; to
// compare page sizes, run it with TAPEFLOW_CPU_HUGE_PAGES=0 and without.
// Usage: ops_cpu_time [reps]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>

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
  };
  for (const auto& [name, fn] : cases) std::printf("%s %.2f ms\n", name, 1e3 * best_s(fn, reps));
  return 0;
}
