// Issue 17: tf.data pipelines and .npy I/O against TensorFlow/NumPy (bench/data_pipeline_tf.py,
// run both interleaved with bench/run_data_pipeline.sh). Per pipeline, one pass over 12,000
// (784,) float32 images and int32 labels (3,000 for the parallel map rows); best of 5 of the
// wall time and of the process's CPU time (TF's pipelines run on its own threads, so CPU time
// counts their work too).
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>

#include "tapeflow/tapeflow.h"

namespace {
double now_s(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

void report(const char* name, const std::function<int64_t()>& pass) {
  double wall = 1e300, cpu = 1e300;
  int64_t n = 0;
  pass();  // warm-up
  for (int rep = 0; rep < 5; ++rep) {
    const double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    n = pass();
    wall = std::min(wall, now_s(CLOCK_MONOTONIC) - w0);
    cpu = std::min(cpu, now_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
  }
  std::printf("tapeflow %-34s %6lld batches  wall %8.2f ms  cpu %8.2f ms\n", name, (long long)n, wall * 1e3, cpu * 1e3);
}

template <typename D> int64_t count(const D& ds) {
  int64_t n = 0;
  for (const auto& e : ds) n += e[0].ndim() >= 0;
  return n;
}
}  // namespace

int main() {
  tf::DeviceScope cpu("CPU:0");
  using tf::data::Dataset;
  const int n = 12000;
  auto x = tf::random::uniform({n, 784}, {.seed = 1});
  auto y = tf::cast(tf::random::uniform({n}, {.minval = 0, .maxval = 10, .dtype = tf::int32, .seed = 2}), tf::int32);
  auto ds = Dataset::from_tensor_slices({x, y});
  auto scale = [](tf::Tensor a, tf::Tensor b) { return std::tuple{a * 2.0f, b}; };
  report("slices.batch(32)", [&] { return count(ds.batch(32)); });
  report("slices.shuffle(n).batch(32)", [&] { return count(ds.shuffle(n, {.seed = 3}).batch(32)); });
  report("slices.map(x*2).batch(32)", [&] { return count(ds.map(scale).batch(32)); });
  report("slices.batch(32).map(x*2)", [&] { return count(ds.batch(32).map(scale)); });
  report("slices.filter(y<5).batch(32)",
         [&] { return count(ds.filter([](tf::Tensor, tf::Tensor b) { return tf::less(b, 5); }).batch(32)); });
  report("slices.batch(32).unbatch().batch(64)", [&] { return count(ds.batch(32).unbatch().batch(64)); });
  auto cached = ds.map(scale).cache();
  count(cached);
  report("map(x*2).cache() replay .batch(32)", [&] { return count(cached.batch(32)); });
  report("range(n).map(v*2).batch(32)",
         [&] { return count(Dataset::range(n).map([](tf::Tensor v) { return v * int64_t{2}; }).batch(32)); });
  // A map worth parallelizing: a (28, 28) matmul and tanh per image, on 3,000 images, one call
  // at a time, two at once, and AUTOTUNE (the intra-op pool's size).
  auto images = ds.take(3000);
  auto heavy = [](tf::Tensor a, tf::Tensor b) {
    auto m = tf::reshape(a, {28, 28});
    return std::tuple{tf::tanh(tf::matmul(m, m)), b};
  };
  report("take(3000).map(matmul)", [&] { return count(images.map(heavy).batch(32)); });
  report("take(3000).map(matmul, 2)", [&] { return count(images.map(heavy, 2).batch(32)); });
  report("take(3000).map(matmul, AUTOTUNE)", [&] { return count(images.map(heavy, tf::data::AUTOTUNE).batch(32)); });
  auto lengths = Dataset::range(1, 3001).map(
      [](tf::Tensor v) { return tf::fill(tf::Shape{v.item<int64_t>() % 50 + 1}, 1.0f, tf::float32); });
  report("range.map(fill).padded_batch(32)", [&] { return count(lengths.padded_batch(32)); });
  report("range(300).interleave(range(10), 4)", [&] {
    return count(Dataset::range(300).interleave([](tf::Tensor) { return Dataset::range(10); }, 4).batch(32));
  });
  // Each element's dataset does the matmul work: sequential against read-ahead threads.
  auto inner = [&](tf::Tensor) { return images.take(50).map(heavy); };
  report("range(60).interleave(map(matmul), 4)",
         [&] { return count(Dataset::range(60).interleave(inner, {.cycle_length = 4}).batch(32)); });
  report("range(60).interleave(map(matmul), 4, npc 4)", [&] {
    return count(Dataset::range(60).interleave(inner, {.cycle_length = 4, .num_parallel_calls = 4}).batch(32));
  });
  report("range(12000).window(32, 8).flat_map(batch)", [&] {
    return count(Dataset::range(12000).window(32, 8, 1, true).flat_map([](const Dataset& w) { return w.batch(32); }));
  });

  const auto dir = std::filesystem::temp_directory_path() / "tapeflow_bench_npy";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "x.npy").string();
  report("write_npy (12000, 784) float32", [&] {
    tf::io::write_npy(path, x);
    return int64_t{1};
  });
  report("read_npy (12000, 784) float32", [&] { return int64_t(tf::io::read_npy(path).shape()[0] > 0); });
  std::filesystem::remove_all(dir);
}
