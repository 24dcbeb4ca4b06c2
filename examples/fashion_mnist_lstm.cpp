// An LSTM reading Fashion-MNIST images row by row, as TF2's recurrent tutorials do with MNIST:
// each image is a sequence of 28 rows of 28 pixels; LSTM(64) -> Dense(10), trained with Keras's
// compile/fit. The model is built from its Input, so summary() shows the shapes before fit.
// Usage: fashion_mnist_lstm [--epochs N] [--batch-size B] [--train-samples N] [--test-samples N] [--units U].
// Needs Debian's dataset-fashion-mnist package (or $TAPEFLOW_DATA).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tapeflow/tapeflow.h"

namespace K = tf::keras;
namespace L = K::layers;

int main(int argc, char** argv) {
  int epochs = 5, batch_size = 64;
  int64_t train_samples = 60000, test_samples = 10000, units = 64;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const bool has_value = i + 1 < argc;
    if (flag == "--epochs" && has_value)
      epochs = std::atoi(argv[++i]);
    else if (flag == "--batch-size" && has_value)
      batch_size = std::atoi(argv[++i]);
    else if (flag == "--train-samples" && has_value)
      train_samples = std::atoll(argv[++i]);
    else if (flag == "--test-samples" && has_value)
      test_samples = std::atoll(argv[++i]);
    else if (flag == "--units" && has_value)
      units = std::atoll(argv[++i]);
    else {
      std::fprintf(stderr,
                   "usage: %s [--epochs N] [--batch-size B] [--train-samples N] [--test-samples N] [--units U]\n",
                   argv[0]);
      return 2;
    }
  }
  tf::random::set_seed(42);

  std::pair<std::pair<tf::Tensor, tf::Tensor>, std::pair<tf::Tensor, tf::Tensor>> data;
  try {
    data = K::datasets::fashion_mnist::load_data();
  } catch (const tf::errors::NotFoundError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  auto [train, test] = data;
  auto x_train = train.first, y_train = train.second;  // uint8 (N, 28, 28): 28 steps of 28 features
  if (train_samples < x_train.shape()[0]) {
    x_train = x_train[tf::slice(0, train_samples)];
    y_train = y_train[tf::slice(0, train_samples)];
  }
  auto x_test = test.first, y_test = test.second;
  if (test_samples < x_test.shape()[0]) {
    x_test = x_test[tf::slice(0, test_samples)];
    y_test = y_test[tf::slice(0, test_samples)];
  }

  K::Sequential model({K::Input({28, 28}), L::Rescaling(1.0 / 255), L::LSTM(units), L::Dense(10)});
  model.compile({.optimizer = K::optimizers::Adam({.learning_rate = 1e-3}),
                 .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
  model.summary();

  const auto start = std::chrono::steady_clock::now();  // fit's time includes the validation passes
  K::FitOptions fit;                                    // set by name: the same code whatever the options' order
  fit.epochs = epochs;
  fit.batch_size = batch_size;
  fit.validation_data = std::pair(x_test, y_test);
  fit.verbose = 2;
  model.fit(x_train, y_train, fit);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("Training: %.1fs per epoch\n", seconds / std::max(1, epochs));

  auto result = model.evaluate(x_test, y_test, {.batch_size = 500, .verbose = 0});
  std::printf("Test loss: %.4f\nTest accuracy: %.4f\n", result["loss"], result["accuracy"]);
  return 0;
}
