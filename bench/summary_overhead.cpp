// Issue 15: what a tf::summary call costs the training thread, and that the async writer loses
// nothing. `summary_overhead [--calls N]` (default 10^6):
//   1. per-call cost of scalar(name, double, step) in bursts that fit the writer's queue (the
//      training-loop case: the writer thread drains between bursts), median of the bursts;
//   2. the same with a Tensor scalar (cast + host read included);
//   3. N scalars back to back (the queue fills, so the caller runs at the writer thread's
//      speed), then every record read back: count, steps and values checked.
// bench/summary_overhead_tf.py measures TensorFlow's tf.summary.scalar per call for the peer.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tapeflow/serialization/event_reader.h"
#include "tapeflow/tapeflow.h"

namespace {
using Clock = std::chrono::steady_clock;
double ns_since(Clock::time_point t) { return std::chrono::duration<double, std::nano>(Clock::now() - t).count(); }

template <typename F> double median_ns_per_call(tf::summary::SummaryWriter& w, int bursts, int per_burst, F call) {
  std::vector<double> per_call;
  int64_t step = 0;
  for (int b = 0; b < bursts; ++b) {
    const auto t = Clock::now();
    for (int i = 0; i < per_burst; ++i) call(step++);
    per_call.push_back(ns_since(t) / per_burst);
    w.flush();  // the writer thread drains between bursts, as between training steps
  }
  std::nth_element(per_call.begin(), per_call.begin() + bursts / 2, per_call.end());
  return per_call[static_cast<std::size_t>(bursts / 2)];
}
}  // namespace

int main(int argc, char** argv) {
  int64_t calls = 1000000;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--calls") calls = std::atoll(argv[i + 1]);
  const auto dir = std::filesystem::temp_directory_path() / ("tapeflow_summary_bench_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);

  {
    auto w = tf::summary::create_file_writer((dir / "bursts").string());
    auto as_default = w.as_default();
    const double d = median_ns_per_call(w, 51, 1000, [](int64_t s) { tf::summary::scalar("loss", 0.5, s); });
    const tf::Tensor loss = tf::constant(0.5f);
    const double t = median_ns_per_call(w, 51, 1000, [&](int64_t s) { tf::summary::scalar("loss", loss, s); });
    std::printf("scalar(name, double, step): %.0f ns per call on the calling thread (median of 51 bursts of 1000)\n",
                d);
    std::printf("scalar(name, Tensor, step): %.0f ns per call on the calling thread (median of 51 bursts of 1000)\n",
                t);
  }

  auto w = tf::summary::create_file_writer((dir / "stream").string());
  const auto start = Clock::now();
  {
    auto as_default = w.as_default();
    for (int64_t i = 0; i < calls; ++i) tf::summary::scalar("loss", static_cast<double>(i % 1000), i);
  }
  const double queued_ns = ns_since(start);
  w.close();
  const double total_ns = ns_since(start);
  std::printf(
      "%lld scalars back to back: %.0f ns per call on the calling thread, %.2f s until all were on disk "
      "(%.2f M records/s)\n",
      static_cast<long long>(calls), queued_ns / double(calls), total_ns / 1e9, double(calls) / total_ns * 1e3);

  const auto events = tf::serialization::read_events(w.path());
  int64_t lost = calls - (static_cast<int64_t>(events.size()) - 1), wrong = 0;
  for (std::size_t i = 1; i < events.size(); ++i) {
    const int64_t step = static_cast<int64_t>(i - 1);
    wrong += events[i].step != step || events[i].values.size() != 1 ||
             events[i].values[0].tensor.item<float>() != static_cast<float>(step % 1000);
  }
  std::printf("read back: %zu records (1 version + %lld scalars), %lld lost, %lld wrong\n", events.size(),
              static_cast<long long>(events.size()) - 1, static_cast<long long>(lost), static_cast<long long>(wrong));
  std::filesystem::remove_all(dir);
  return lost == 0 && wrong == 0 ? 0 : 1;
}
