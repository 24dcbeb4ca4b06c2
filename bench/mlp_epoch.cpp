// One training epoch of the Fashion-MNIST MLP (Flatten -> Dense(100, relu) -> Dense(10), Adam,
// sparse softmax cross-entropy from logits) over the 60000 training images, as
// examples/fashion_mnist_mlp.cpp trains it: a shuffled tf::data pipeline, a GradientTape step.
// Peers: bench/mlp_epoch_torch.py (PyTorch eager), bench/mlp_epoch_libtorch.cpp, and for the
// traced modes bench/mlp_epoch_compiled.py (jax.jit, torch.compile, tf.function);
// bench/run_mlp_epoch.sh runs them all and prints the ratios.
// Usage: mlp_epoch [--epochs N] [--batch-sizes 32,256] [--devices CPU:0,GPU:0]
//                  [--modes loop,loop-function,fit,fit-eager]
// Modes: loop (the hand-written GradientTape loop above), loop-function (the same step — forward,
// tape, gradient, Adam's update — as one tf::function with reduce_retracing, as the tf.function
// peer: the last partial batch traces once more with a None batch, which every other size then
// reuses), fit (model.fit, its train_step a tf::Function: compile's default) and
// fit-eager (compile({.run_eagerly = true})); default: loop,loop-function.
// Prints "mlp_epoch tapeflow <device> <batch> <median ms> <min ms>" per (device, batch) for the
// loop, "mlp_epoch tapeflow-<mode> ..." for the others: the median of N epochs after one warm-up
// epoch (which traces). Uses the real images when the
// dataset-fashion-mnist package is installed, else uniform noise of the same shape (the time
// of an epoch does not depend on the pixel values).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "tapeflow/tapeflow.h"

namespace K = tf::keras;

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

std::pair<tf::Tensor, tf::Tensor> training_data(bool& real) {
  real = !K::datasets::fashion_mnist::data_dir().empty();
  if (real) {
    auto [train, test] = K::datasets::fashion_mnist::load_data();
    return {tf::cast(train.first, tf::float32) / 255.0f, train.second};
  }
  auto x = tf::random::uniform({60000, 28, 28}, {.seed = 1});
  auto y = tf::random::uniform({60000}, {.minval = 0, .maxval = 10, .dtype = tf::int32, .seed = 2});
  return {x, tf::cast(y, tf::uint8)};
}

/// The milliseconds of each of `epochs` timed epochs (after one warm-up epoch).
std::vector<double> time_epochs(const tf::Tensor& x, const tf::Tensor& y, int64_t batch_size, int epochs,
                                const std::string& mode) {
  auto ds = tf::data::Dataset::from_tensor_slices({x, y}).shuffle(60000, {.seed = 1}).batch(batch_size);
  K::Sequential model({K::layers::Flatten(), K::layers::Dense(100, {.activation = "relu"}), K::layers::Dense(10)});
  auto loss_fn = K::losses::SparseCategoricalCrossentropy({.from_logits = true});
  auto opt = K::optimizers::Adam({.learning_rate = 1e-3});
  auto step = [&](const tf::Tensor& xb, const tf::Tensor& yb) {
    tf::GradientTape tape;
    auto loss = loss_fn(yb, model(xb, /*training=*/true));
    tape.stop();
    auto vars = model.trainable_variables();
    opt.apply_gradients(tape.gradient(loss, vars), vars);
    return loss;
  };
  auto traced_step = tf::function(step, {.reduce_retracing = true, .name = "train_step"});
  const bool traced = mode == "loop-function";
  if (mode == "fit" || mode == "fit-eager")
    model.compile({.optimizer = opt, .loss = loss_fn, .run_eagerly = mode == "fit-eager"});
  std::vector<double> ms;
  for (int epoch = 0; epoch <= epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    if (mode == "fit" || mode == "fit-eager") {
      model.fit(ds, {.epochs = 1, .verbose = 0});  // fit reads its logs: the queue is done
      if (epoch > 0)
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      continue;
    }
    tf::Tensor last_loss;
    for (auto& batch : ds) last_loss = traced ? traced_step(batch[0], batch[1]).tensor() : step(batch[0], batch[1]);
    (void)last_loss.item<float>();  // waits for the device's queue
    if (epoch > 0)
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  int epochs = 5;
  std::vector<std::string> batch_sizes{"32", "256"};
  std::vector<std::string> devices{"CPU:0"};
  std::vector<std::string> modes{"loop", "loop-function"};
  if (!tf::config::list_physical_devices("GPU").empty()) devices.push_back("GPU:0");
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--epochs")
      epochs = std::atoi(argv[i + 1]);
    else if (flag == "--batch-sizes")
      batch_sizes = split(argv[i + 1]);
    else if (flag == "--devices")
      devices = split(argv[i + 1]);
    else if (flag == "--modes")
      modes = split(argv[i + 1]);
    else {
      std::fprintf(stderr,
                   "usage: %s [--epochs N] [--batch-sizes 32,256] [--devices CPU:0,GPU:0] "
                   "[--modes loop,loop-function,fit,fit-eager]\n",
                   argv[0]);
      return 2;
    }
  }
  bool real = false;
  for (const std::string& device : devices) {
    tf::DeviceScope on(device);
    auto [x, y] = training_data(real);
    // The images and labels live on `device` (a dataset in GPU memory batches on the GPU).
    x = x.to(device);
    y = y.to(device);
    for (const std::string& b : batch_sizes) {
      // Modes interleaved per batch size, so a change of load hits them alike.
      for (const std::string& mode : modes) {
        if (mode != "loop" && mode != "loop-function" && mode != "fit" && mode != "fit-eager") {
          std::fprintf(stderr, "unknown mode '%s' (loop, loop-function, fit, fit-eager)\n", mode.c_str());
          return 2;
        }
        std::vector<double> ms = time_epochs(x, y, std::atoll(b.c_str()), epochs, mode);
        std::sort(ms.begin(), ms.end());
        const std::string name = mode == "loop" ? "tapeflow" : "tapeflow-" + mode;
        std::printf("mlp_epoch %s %s %s %.1f %.1f\n", name.c_str(), device.c_str(), b.c_str(), ms[ms.size() / 2],
                    ms.front());
        std::fflush(stdout);
      }
    }
  }
  std::printf("# data: %s\n", real ? "Fashion-MNIST" : "synthetic (dataset-fashion-mnist not installed)");
  return 0;
}
