// One training epoch of a Fashion-MNIST CNN over the 60000 training images (or --train-samples
// of them), Adam, sparse softmax cross-entropy from logits and the accuracy metric:
//   --model anchor (default): GPU.md's anchor figures, Conv2D(32, 5, same, relu) -> MaxPool2D ->
//     Conv2D(64, 5, same, relu) -> MaxPool2D -> Flatten -> Dense(1024, relu) -> Dense(10);
//   --model seed: examples/fashion_mnist_cnn's, Conv2D(32, 3) -> MaxPool2D -> Conv2D(64, 3) ->
//     MaxPool2D -> Flatten -> Dense(128, relu) -> Dense(10).
//   --mode loop (default): a custom loop, a shuffled tf::data pipeline and a GradientTape step
//     that also updates a SparseCategoricalAccuracy, as TF's "training loop from scratch" guide;
//   --mode fit: compile({Adam, loss, metrics = {"accuracy"}}) and fit(x, y, batch_size, shuffle);
//   --mode both: the two, interleaved epoch by epoch so machine load hits both alike.
// Peer: bench/cnn_epoch_torch.py (PyTorch eager, the same networks and loop); bench/run_cnn_epoch.sh
// runs all on the CPU and prints the ratios, tools/gpu_run.sh on the GPU machine.
// Usage: cnn_epoch [--epochs N] [--batch-sizes 64,256] [--devices CPU:0,GPU:0] [--train-samples N]
//                  [--model anchor|seed] [--mode loop|fit|both]
// Prints "cnn_epoch <side> <device> <batch> <median ms> <min ms>" per (side, device, batch), side
// "tapeflow" (the custom loop) or "tapeflow-fit": the median of N epochs after one warm-up epoch,
// scaled to 60000 images when a subset was timed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "tapeflow/tapeflow.h"

namespace K = tf::keras;
namespace L = K::layers;

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

/// (N, 28, 28, 1) float32 images in [0, 1] and uint8 labels; noise when the dataset is absent.
std::pair<tf::Tensor, tf::Tensor> training_data(int64_t n, bool& real) {
  real = !K::datasets::fashion_mnist::data_dir().empty();
  tf::Tensor x, y;
  if (real) {
    auto [train, test] = K::datasets::fashion_mnist::load_data();
    x = tf::cast(train.first, tf::float32) / 255.0f;
    y = train.second;
  } else {
    x = tf::random::uniform({60000, 28, 28}, {.seed = 1});
    y = tf::cast(tf::random::uniform({60000}, {.minval = 0, .maxval = 10, .dtype = tf::int32, .seed = 2}), tf::uint8);
  }
  n = std::min<int64_t>(n, 60000);
  return {tf::expand_dims(x[tf::slice(0, n)], -1), y[tf::slice(0, n)]};
}

K::Sequential make_model(const std::string& model) {
  const L::Conv2DOptions conv{.padding = "same", .activation = "relu"};
  if (model == "seed")
    return K::Sequential({L::Conv2D(32, 3, conv), L::MaxPool2D(), L::Conv2D(64, 3, conv), L::MaxPool2D(), L::Flatten(),
                          L::Dense(128, {.activation = "relu"}), L::Dense(10)});
  return K::Sequential({L::Conv2D(32, 5, conv), L::MaxPool2D(), L::Conv2D(64, 5, conv), L::MaxPool2D(), L::Flatten(),
                        L::Dense(1024, {.activation = "relu"}), L::Dense(10)});
}

/// One side's training state; epoch() trains one epoch and returns its milliseconds.
class Side {
 public:
  Side(bool fit, const std::string& model, const tf::Tensor& x, const tf::Tensor& y, int64_t batch_size)
      : fit_(fit),
        model_(make_model(model)),
        x_(x),
        y_(y),
        batch_size_(batch_size),
        ds_(tf::data::Dataset::from_tensor_slices({x, y}).shuffle(x.shape()[0], {.seed = 1}).batch(batch_size)) {
    if (fit_)
      model_.compile({.optimizer = K::optimizers::Adam({.learning_rate = 1e-3}),
                      .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                      .metrics = {"accuracy"}});
  }
  double epoch() {
    auto start = std::chrono::steady_clock::now();
    if (fit_) {
      model_.fit(x_, y_, {.epochs = 1, .batch_size = static_cast<int>(batch_size_), .verbose = 0});
      (void)model_.metrics_result();  // reads the metrics: waits for the device's queue
    } else {
      accuracy_.reset_state();
      for (auto& batch : ds_) {
        tf::GradientTape tape;
        auto logits = model_(batch[0], /*training=*/true);
        auto loss = loss_fn_(batch[1], logits);
        tape.stop();
        auto vars = model_.trainable_variables();
        opt_.apply_gradients(tape.gradient(loss, vars), vars);
        accuracy_.update_state(batch[1], logits);
      }
      (void)accuracy_.result().item<float>();  // waits for the device's queue
    }
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }

 private:
  bool fit_;
  K::Sequential model_;
  tf::Tensor x_, y_;
  int64_t batch_size_;
  tf::data::Dataset ds_;
  K::losses::SparseCategoricalCrossentropy loss_fn_{{.from_logits = true}};
  K::optimizers::Adam opt_{{.learning_rate = 1e-3}};
  K::metrics::SparseCategoricalAccuracy accuracy_;
};

}  // namespace

int main(int argc, char** argv) {
  int epochs = 3;
  int64_t train_samples = 60000;
  std::vector<std::string> batch_sizes{"64", "256"};
  std::string model = "anchor", mode = "loop";
  std::vector<std::string> devices{"CPU:0"};
  if (!tf::config::list_physical_devices("GPU").empty()) devices = {"GPU:0"};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--epochs")
      epochs = std::atoi(argv[i + 1]);
    else if (flag == "--batch-sizes")
      batch_sizes = split(argv[i + 1]);
    else if (flag == "--devices")
      devices = split(argv[i + 1]);
    else if (flag == "--train-samples")
      train_samples = std::atoll(argv[i + 1]);
    else if (flag == "--model" && (std::string(argv[i + 1]) == "anchor" || std::string(argv[i + 1]) == "seed"))
      model = argv[i + 1];
    else if (flag == "--mode" && (std::string(argv[i + 1]) == "loop" || std::string(argv[i + 1]) == "fit" ||
                                  std::string(argv[i + 1]) == "both"))
      mode = argv[i + 1];
    else {
      std::fprintf(stderr,
                   "usage: %s [--epochs N] [--batch-sizes 64,256] [--devices CPU:0,GPU:0] [--train-samples N] "
                   "[--model anchor|seed] [--mode loop|fit|both]\n",
                   argv[0]);
      return 2;
    }
  }
  if (epochs < 1) {
    std::fprintf(stderr, "--epochs must be at least 1\n");
    return 2;
  }
  bool real = false;
  for (const std::string& device : devices) {
    tf::DeviceScope on(device);
    auto [x, y] = training_data(train_samples, real);
    x = x.to(device);
    y = y.to(device);
    const double scale = 60000.0 / double(x.shape()[0]);
    for (const std::string& b : batch_sizes) {
      std::vector<std::pair<std::string, Side>> sides;
      sides.reserve(2);
      if (mode != "fit") sides.emplace_back("tapeflow", Side(false, model, x, y, std::atoll(b.c_str())));
      if (mode != "loop") sides.emplace_back("tapeflow-fit", Side(true, model, x, y, std::atoll(b.c_str())));
      std::vector<std::vector<double>> ms(sides.size());
      for (int epoch = 0; epoch <= epochs; ++epoch)  // the first epoch warms up
        for (std::size_t s = 0; s < sides.size(); ++s) {
          const double t = sides[s].second.epoch();
          if (epoch > 0) ms[s].push_back(t);
        }
      for (std::size_t s = 0; s < sides.size(); ++s) {
        std::sort(ms[s].begin(), ms[s].end());
        std::printf("cnn_epoch %s %s %s %.1f %.1f\n", sides[s].first.c_str(), device.c_str(), b.c_str(),
                    ms[s][ms[s].size() / 2] * scale, ms[s].front() * scale);
      }
      std::fflush(stdout);
    }
  }
  std::printf("# data: %s, %lld images timed per epoch; model %s\n", real ? "Fashion-MNIST" : "synthetic",
              static_cast<long long>(std::min<int64_t>(train_samples, 60000)), model.c_str());
  return 0;
}
