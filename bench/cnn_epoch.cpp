// One training epoch of the Fashion-MNIST CNN of GPU.md's anchor figures: Conv2D(32, 5, same,
// relu) -> MaxPool2D -> Conv2D(64, 5, same, relu) -> MaxPool2D -> Flatten -> Dense(1024, relu)
// -> Dense(10), Adam, sparse softmax cross-entropy from logits, a shuffled tf::data pipeline and
// a GradientTape step, over the 60000 training images (or --train-samples of them).
// Peer: bench/cnn_epoch_torch.py (PyTorch eager, the same network and loop); tools/gpu_run.sh
// runs both on the GPU machine and prints the ratio.
// Usage: cnn_epoch [--epochs N] [--batch-sizes 64,256] [--devices CPU:0,GPU:0] [--train-samples N]
// Prints "cnn_epoch tapeflow <device> <batch> <median ms> <min ms>" per (device, batch): the
// median of N epochs after one warm-up epoch, scaled to 60000 images when a subset was timed.
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

std::vector<double> time_epochs(const tf::Tensor& x, const tf::Tensor& y, int64_t batch_size, int epochs) {
  auto ds = tf::data::Dataset::from_tensor_slices({x, y}).shuffle(x.shape()[0], {.seed = 1}).batch(batch_size);
  const L::Conv2DOptions conv{.padding = "same", .activation = "relu"};
  K::Sequential model({L::Conv2D(32, 5, conv), L::MaxPool2D(), L::Conv2D(64, 5, conv), L::MaxPool2D(), L::Flatten(),
                       L::Dense(1024, {.activation = "relu"}), L::Dense(10)});
  auto loss_fn = K::losses::SparseCategoricalCrossentropy({.from_logits = true});
  auto opt = K::optimizers::Adam({.learning_rate = 1e-3});
  std::vector<double> ms;
  for (int epoch = 0; epoch <= epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    tf::Tensor last_loss;
    for (auto& batch : ds) {
      tf::GradientTape tape;
      auto loss = loss_fn(batch[1], model(batch[0], /*training=*/true));
      tape.stop();
      auto vars = model.trainable_variables();
      opt.apply_gradients(tape.gradient(loss, vars), vars);
      last_loss = loss;
    }
    (void)last_loss.item<float>();  // waits for the device's queue
    if (epoch > 0)
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  int epochs = 3;
  int64_t train_samples = 60000;
  std::vector<std::string> batch_sizes{"64", "256"};
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
    else {
      std::fprintf(stderr,
                   "usage: %s [--epochs N] [--batch-sizes 64,256] [--devices CPU:0,GPU:0] [--train-samples N]\n",
                   argv[0]);
      return 2;
    }
  }
  bool real = false;
  for (const std::string& device : devices) {
    tf::DeviceScope on(device);
    auto [x, y] = training_data(train_samples, real);
    x = x.to(device);
    y = y.to(device);
    const double scale = 60000.0 / double(x.shape()[0]);
    for (const std::string& b : batch_sizes) {
      std::vector<double> ms = time_epochs(x, y, std::atoll(b.c_str()), epochs);
      std::sort(ms.begin(), ms.end());
      std::printf("cnn_epoch tapeflow %s %s %.1f %.1f\n", device.c_str(), b.c_str(), ms[ms.size() / 2] * scale,
                  ms.front() * scale);
      std::fflush(stdout);
    }
  }
  std::printf("# data: %s, %lld images timed per epoch\n", real ? "Fashion-MNIST" : "synthetic",
              static_cast<long long>(std::min<int64_t>(train_samples, 60000)));
  return 0;
}
