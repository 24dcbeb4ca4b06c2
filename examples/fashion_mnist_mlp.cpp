// The seed's Fashion-MNIST MLP (Flatten -> Dense(100, relu) -> Dense(10)) trained with a
// GradientTape loop and Adam, evaluated with SparseCategoricalAccuracy, as in TF2's
// "custom training loop" tutorial. Usage: fashion_mnist_mlp [--epochs N] [--batch-size B]
// [--train-samples N]. Needs Debian's dataset-fashion-mnist package (or $TAPEFLOW_DATA).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tapeflow/tapeflow.h"

namespace K = tf::keras;

int main(int argc, char** argv) {
  int epochs = 10, batch_size = 32;
  int64_t train_samples = 60000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--epochs") epochs = std::atoi(argv[i + 1]);
    else if (flag == "--batch-size") batch_size = std::atoi(argv[i + 1]);
    else if (flag == "--train-samples") train_samples = std::atoll(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: %s [--epochs N] [--batch-size B] [--train-samples N]\n", argv[0]);
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
  auto x_train = tf::cast(train.first, tf::float32) / 255.0f;
  auto y_train = train.second;
  if (train_samples < x_train.shape()[0]) {
    x_train = x_train[tf::slice(0, train_samples)];
    y_train = y_train[tf::slice(0, train_samples)];
  }
  auto x_test = tf::cast(test.first, tf::float32) / 255.0f;
  auto y_test = test.second;

  auto train_ds = tf::data::Dataset::from_tensor_slices({x_train, y_train}).shuffle(60000, {.seed = 1}).batch(batch_size);
  auto test_ds = tf::data::Dataset::from_tensor_slices({x_test, y_test}).batch(1000);

  K::Sequential model({K::layers::Flatten(), K::layers::Dense(100, {.activation = "relu"}), K::layers::Dense(10)});
  auto loss_fn = K::losses::SparseCategoricalCrossentropy({.from_logits = true});
  auto opt = K::optimizers::Adam({.learning_rate = 1e-3});
  K::metrics::Mean train_loss({.name = "loss"});
  K::metrics::SparseCategoricalAccuracy train_acc, test_acc;

  for (int epoch = 0; epoch < epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    train_loss.reset_state();
    train_acc.reset_state();
    for (auto& batch : train_ds) {
      const auto& xb = batch[0];
      const auto& yb = batch[1];
      tf::GradientTape tape;
      auto logits = model(xb, /*training=*/true);
      auto loss = loss_fn(yb, logits);
      tape.stop();
      auto vars = model.trainable_variables();
      opt.apply_gradients(tape.gradient(loss, vars), vars);
      train_loss.update_state(loss);
      train_acc.update_state(yb, logits);
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("Epoch %d/%d - %.1fs - loss: %.4f - accuracy: %.4f\n", epoch + 1, epochs, seconds,
                train_loss.result().item<float>(), train_acc.result().item<float>());
    std::fflush(stdout);
  }

  test_acc.reset_state();
  for (auto& batch : test_ds) test_acc.update_state(batch[1], model(batch[0]));
  std::printf("Test accuracy: %.4f\n", test_acc.result().item<float>());
  return 0;
}
