// Issue 13: what a traced Function saves over eager execution on host-bound work. Prints, per
// case, the eager and graph time per call (this thread's CPU time, best of 7) and their ratio
// (peers: not yet wired, see RESULTS.md).
//   power    the seed's power(x, 100): 100 int32 10x10 matmuls
//   chain    100 tiny float32 ops on a (4,) vector: executor overhead per node
#include <cstdio>
#include <ctime>
#include <functional>

#include "tapeflow/tapeflow.h"

namespace {

// This thread's CPU time: on the shared build machine (load 7+ on 2 cores) wall-clock time
// mostly measures the other processes; the work here is serial, so CPU time is the figure.
double thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

double ns_per_call(const std::function<void()>& f, int calls) {
  for (int i = 0; i < calls / 10 + 1; ++i) f();  // warm-up (traces the Function)
  double best = 1e300;
  for (int rep = 0; rep < 7; ++rep) {
    const double t0 = thread_cpu_ns();
    for (int i = 0; i < calls; ++i) f();
    best = std::min(best, (thread_cpu_ns() - t0) / calls);
  }
  return best;
}

}  // namespace

int main() {
  auto power = [](const tf::Tensor& x, int y) {
    tf::Tensor result = tf::eye(10, std::nullopt, tf::int32);
    for (int i = 0; i < y; ++i) result = tf::matmul(x, result);
    return result;
  };
  auto power_graph = tf::function(power);
  auto x = tf::random::uniform({10, 10}, {.minval = -4, .maxval = 4, .dtype = tf::int32, .seed = 1});
  const bool same = power(x, 100).to_vector<int>() == power_graph(x, 100).tensor().to_vector<int>();
  double eager = ns_per_call([&] { power(x, 100); }, 200);
  double graph = ns_per_call([&] { power_graph(x, 100); }, 200);
  std::printf("power(x, 100) int32 10x10: eager %.1f us, graph %.1f us, graph speed-up %.2fx (results %s)\n",
              eager / 1e3, graph / 1e3, eager / graph, same ? "identical" : "DIFFER");
  // The same graph without the matrix-power rewrite (Note [Matrix powers by squaring]): 100
  // matmuls as traced, what the executor's overhead alone gains.
  auto power_plain = tf::function(power, {.optimizer = tf::GraphOptimizerOptions{.arithmetic_optimization = false}});
  const bool same_plain = power(x, 100).to_vector<int>() == power_plain(x, 100).tensor().to_vector<int>();
  double plain = ns_per_call([&] { power_plain(x, 100); }, 200);
  std::printf("power(x, 100) without the power rewrite: graph %.1f us, speed-up %.2fx (results %s)\n", plain / 1e3,
              eager / plain, same_plain ? "identical" : "DIFFER");

  auto chain = [](const tf::Tensor& v) {
    tf::Tensor r = v;
    for (int i = 0; i < 100; ++i) r = (i % 2) ? tf::negative(r) : tf::abs(r);
    return r;
  };
  auto chain_graph = tf::function(chain);
  auto v = tf::constant({1.0f, -2.0f, 3.0f, -4.0f});
  double chain_eager = ns_per_call([&] { chain(v); }, 2000);
  double chain_traced = ns_per_call([&] { chain_graph(v); }, 2000);
  std::printf("chain of 100 tiny ops: eager %.1f ns/op, graph %.1f ns/node (kernel included), speed-up %.2fx\n",
              chain_eager / 100, chain_traced / 100, chain_eager / chain_traced);
  return 0;
}
