// Issue 16: SavedModel load time and per-call latency. A Keras MLP (784-100-10) and CNN
// (Conv 32 -> MaxPool -> Conv 64 -> MaxPool -> Flatten -> Dense 10) on a batch of 32 are saved
// behind a tracked `serve` Function, then for each:
//   save time; load time (median of 5 loads, nothing traced yet); the first call of the loaded
//   function (its trace); per-call latency of the loaded function against the same model's own
//   traced tf::Function (medians of 200 calls, interleaved in blocks of 20), outputs compared.
// With --python PY, bench/saved_model_tf.py then loads the same SavedModels in TensorFlow
// (tf.saved_model.load) and times the same calls: the peer, in the same run.
//   saved_model [--python PATH_TO_VENV_PYTHON] [--calls N]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tapeflow/tapeflow.h"

namespace K = tf::keras;
namespace L = tf::keras::layers;

namespace {
using Clock = std::chrono::steady_clock;
double us_since(Clock::time_point t) { return std::chrono::duration<double, std::micro>(Clock::now() - t).count(); }
double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

struct Exported : tf::Module {
  K::Sequential model;
  tf::Function serve;
  explicit Exported(K::Sequential m)
      : tf::Module("exported"),
        model(track("model", m)),
        serve(track("serve", tf::function([m](const tf::Tensor& x) mutable { return m(x); },
                                          {.name = "serve", .arg_names = {"keras_tensor"}}))) {}
};

void run(const std::string& name, K::Sequential model, const tf::Tensor& x, const std::string& dir, int calls) {
  model(x);
  Exported exported(model);
  std::vector<int64_t> dims(x.shape().begin(), x.shape().end());
  auto cf = exported.serve.get_concrete_function(tf::TensorSpec(tf::Shape(dims), tf::float32, "keras_tensor"));
  const std::string path = dir + "/" + name;
  auto t = Clock::now();
  tf::saved_model::save(exported, path, {.signatures = {{"serving_default", cf}}});
  const double save_us = us_since(t);
  std::vector<double> loads;
  tf::saved_model::LoadedModel loaded;
  for (int i = 0; i < 5; ++i) {
    t = Clock::now();
    loaded = tf::saved_model::load(path);
    loads.push_back(us_since(t));
  }
  const auto& serve = loaded.function("serve");
  t = Clock::now();
  tf::Tensor got = serve(x).tensor();
  const double first_us = us_since(t);
  const tf::Tensor want = exported.serve(x).tensor();
  const double diff = tf::reduce_max(tf::abs(got - want)).item<float>();
  std::vector<double> own, from_saved;
  for (int block = 0; block < calls / 20; ++block) {
    for (int i = 0; i < 20; ++i) {
      t = Clock::now();
      exported.serve(x).tensor().to_vector<float>();  // a host read: the call has finished
      own.push_back(us_since(t));
    }
    for (int i = 0; i < 20; ++i) {
      t = Clock::now();
      serve(x).tensor().to_vector<float>();
      from_saved.push_back(us_since(t));
    }
  }
  std::printf("%s: save %.1f ms, load %.2f ms (median of 5), first call (trace) %.2f ms, max |loaded - own| = %g\n",
              name.c_str(), save_us / 1e3, median(loads) / 1e3, first_us / 1e3, diff);
  std::printf("%s: per call, median of %zu: loaded SavedModel %.1f us, own traced tf::Function %.1f us (ratio %.2f)\n",
              name.c_str(), own.size(), median(from_saved), median(own), median(from_saved) / median(own));
}
}  // namespace

int main(int argc, char** argv) {
  std::string python;
  int calls = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--python") python = argv[i + 1];
    if (std::string(argv[i]) == "--calls") calls = std::max(20, std::atoi(argv[i + 1]));
  }
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("tapeflow_sm_bench_" + std::to_string(getpid()))).string();
  tf::DeviceScope cpu("CPU:0");
  run("mlp", K::Sequential({L::Dense(100, {.activation = "relu"}), L::Dense(10, {.activation = "softmax"})}),
      tf::random::uniform({32, 784}, {.seed = 1}), dir, calls);
  run("cnn",
      K::Sequential({L::Conv2D(32, 3, {.activation = "relu"}), L::MaxPooling2D(),
                     L::Conv2D(64, 3, {.activation = "relu"}), L::MaxPooling2D(), L::Flatten(), L::Dense(10)}),
      tf::random::uniform({32, 28, 28, 1}, {.seed = 2}), dir, calls);
  int rc = 0;
  if (!python.empty()) {
    std::fflush(stdout);
    const std::string script = std::string(TAPEFLOW_BENCH_DIR) + "/saved_model_tf.py";
    rc = std::system((python + " " + script + " " + dir + " " + std::to_string(calls)).c_str());
  }
  std::filesystem::remove_all(dir);
  return rc == 0 ? 0 : 1;
}
