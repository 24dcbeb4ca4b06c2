// The seed's Fashion-MNIST MLP (Flatten -> Dense(100, relu) -> Dense(10)) trained with a
// GradientTape loop and Adam, evaluated with SparseCategoricalAccuracy, as in TF2's
// "custom training loop" tutorial. Needs Debian's dataset-fashion-mnist package (or $TAPEFLOW_DATA).
// Usage: fashion_mnist_mlp [--epochs N] [--batch-size B] [--learning-rate LR] [--decay cosine|none]
//                          [--seed S] [--train-samples N] [--validation-samples N] [--logdir DIR]
// --logdir writes TensorBoard summaries (`tensorboard --logdir DIR`): per epoch the loss and
// accuracy curves, the learning rate and a histogram of every weight, in DIR/train.
// The defaults are the usual ones (Keras's glorot_uniform Dense layers, Adam at 1e-3, batch 32,
// the data reshuffled every epoch) plus a cosine decay of the learning rate to 0 over the 10
// epochs; they reach >= 0.885 test accuracy (0.8889 with seed 42). Tune on a held-out part of
// the training set (--validation-samples 10000), not on the test set.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tapeflow/tapeflow.h"

namespace K = tf::keras;

int main(int argc, char** argv) {
  int epochs = 10, batch_size = 32;
  double learning_rate = 1e-3;
  std::string decay = "cosine", logdir;
  int64_t seed = 42, train_samples = 60000, validation_samples = 0;
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : "";
    if (flag == "--epochs")
      epochs = std::atoi(value);
    else if (flag == "--batch-size")
      batch_size = std::atoi(value);
    else if (flag == "--learning-rate")
      learning_rate = std::atof(value);
    else if (flag == "--decay")
      decay = value;
    else if (flag == "--seed")
      seed = std::atoll(value);
    else if (flag == "--train-samples")
      train_samples = std::atoll(value);
    else if (flag == "--validation-samples")
      validation_samples = std::atoll(value);
    else if (flag == "--logdir")
      logdir = value;
    else
      flag.clear();
    if (flag.empty() || i + 1 >= argc || (decay != "cosine" && decay != "none")) {
      std::fprintf(stderr,
                   "usage: %s [--epochs N] [--batch-size B] [--learning-rate LR] [--decay cosine|none] [--seed S]\n"
                   "       [--train-samples N] [--validation-samples N] [--logdir DIR]\n",
                   argv[0]);
      return 2;
    }
  }
  tf::random::set_seed(seed);

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
  auto x_test = tf::cast(test.first, tf::float32) / 255.0f;
  auto y_test = test.second;
  // Keras's validation_split: the last rows of the training set are held out.
  const int64_t total = x_train.shape()[0];
  validation_samples = std::clamp<int64_t>(validation_samples, 0, total - 1);
  auto x_val = x_train[tf::slice(total - validation_samples, {})];
  auto y_val = y_train[tf::slice(total - validation_samples, {})];
  train_samples = std::min(train_samples, total - validation_samples);
  x_train = x_train[tf::slice(0, train_samples)];
  y_train = y_train[tf::slice(0, train_samples)];

  // Reshuffled every epoch (reshuffle_each_iteration), the seed drawn from tf::random's.
  auto train_ds = tf::data::Dataset::from_tensor_slices({x_train, y_train}).shuffle(train_samples).batch(batch_size);

  K::Sequential model({K::layers::Flatten(), K::layers::Dense(100, {.activation = "relu"}), K::layers::Dense(10)});
  auto loss_fn = K::losses::SparseCategoricalCrossentropy({.from_logits = true});
  const int64_t steps = epochs * train_ds.cardinality();
  auto opt = decay == "cosine"
                 ? K::optimizers::Adam({.learning_rate = K::optimizers::schedules::CosineDecay(learning_rate, steps)})
                 : K::optimizers::Adam({.learning_rate = learning_rate});
  K::metrics::Mean train_loss({.name = "loss"});
  K::metrics::SparseCategoricalAccuracy train_acc;
  tf::summary::SummaryWriter writer;
  if (!logdir.empty()) writer = tf::summary::create_file_writer(logdir + "/train");

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
    if (writer.defined()) {  // the tags Keras's TensorBoard callback uses
      auto as_default = writer.as_default();
      tf::summary::scalar("epoch_loss", train_loss.result(), epoch);
      tf::summary::scalar("epoch_accuracy", train_acc.result(), epoch);
      tf::summary::scalar("epoch_learning_rate", opt.learning_rate(), epoch);
      for (const auto& [name, v] : model.named_variables()) tf::summary::histogram(name + "/histogram", v, epoch);
    }
  }

  auto accuracy = [&](const tf::Tensor& x, const tf::Tensor& y) {
    K::metrics::SparseCategoricalAccuracy acc;
    for (auto& batch : tf::data::Dataset::from_tensor_slices({x, y}).batch(1000))
      acc.update_state(batch[1], model(batch[0]));
    return acc.result().item<float>();
  };
  if (validation_samples > 0) std::printf("Validation accuracy: %.4f\n", accuracy(x_val, y_val));
  std::printf("Test accuracy: %.4f\n", accuracy(x_test, y_test));
  return 0;
}
