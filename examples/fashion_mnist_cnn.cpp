// A small CNN on Fashion-MNIST trained with Keras's compile/fit, as in TF2's "Convolutional
// Neural Network" tutorial: Conv2D(32, 3, relu) -> MaxPool2D -> Conv2D(64, 3, relu) ->
// MaxPool2D -> Flatten -> Dense(128, relu) -> Dense(10), Adam with a cosine-decayed rate;
// --batchnorm puts a BatchNormalization after each convolution and the hidden Dense, and
// Dropout after each block. Runs on GPU:0 when there is one.
// Usage: fashion_mnist_cnn [--epochs N] [--batch-size B] [--train-samples N] [--batchnorm] [--logdir DIR].
// --logdir adds Keras's TensorBoard callback: DIR/train and DIR/validation loss and accuracy
// curves and weight histograms every epoch (`tensorboard --logdir DIR`).
// Needs Debian's dataset-fashion-mnist package (or $TAPEFLOW_DATA).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tapeflow/tapeflow.h"

namespace K = tf::keras;
namespace L = K::layers;

K::Sequential cnn(bool batchnorm) {
  // "same" padding keeps the borders: 28x28 -> 14x14 -> 7x7 feature maps.
  const L::Conv2DOptions conv{.padding = "same", .activation = "relu"};
  if (!batchnorm)
    return K::Sequential({L::Conv2D(32, 3, conv), L::MaxPool2D(), L::Conv2D(64, 3, conv), L::MaxPool2D(), L::Flatten(),
                          L::Dense(128, {.activation = "relu"}), L::Dense(10)});
  return K::Sequential({L::Conv2D(32, 3, conv), L::BatchNormalization(), L::MaxPool2D(), L::Dropout(0.25),
                        L::Conv2D(64, 3, conv), L::BatchNormalization(), L::MaxPool2D(), L::Dropout(0.25), L::Flatten(),
                        L::Dense(256, {.activation = "relu"}), L::BatchNormalization(), L::Dropout(0.5), L::Dense(10)});
}

int main(int argc, char** argv) {
  int epochs = 10, batch_size = 64;
  int64_t train_samples = 60000;
  bool batchnorm = false;
  std::string logdir;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const bool has_value = i + 1 < argc;
    if (flag == "--batchnorm")
      batchnorm = true;
    else if (flag == "--epochs" && has_value)
      epochs = std::atoi(argv[++i]);
    else if (flag == "--batch-size" && has_value)
      batch_size = std::atoi(argv[++i]);
    else if (flag == "--train-samples" && has_value)
      train_samples = std::atoll(argv[++i]);
    else if (flag == "--logdir" && has_value)
      logdir = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--epochs N] [--batch-size B] [--train-samples N] [--batchnorm] [--logdir DIR]\n",
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
  // uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1].
  auto images = [](const tf::Tensor& x) { return tf::expand_dims(tf::cast(x, tf::float32) / 255.0f, -1); };
  auto x_train = images(train.first), y_train = train.second;
  if (train_samples < x_train.shape()[0]) {
    x_train = x_train[tf::slice(0, train_samples)];
    y_train = y_train[tf::slice(0, train_samples)];
  }
  auto x_test = images(test.first), y_test = test.second;

  auto model = cnn(batchnorm);
  // Adam whose rate follows a cosine from 1e-3 down to 0 over the whole run: the late small
  // steps settle the weights instead of letting them drift into overfitting.
  const int64_t steps_per_epoch = (x_train.shape()[0] + batch_size - 1) / batch_size;
  const auto rate = K::optimizers::schedules::CosineDecay(1e-3, std::max<int64_t>(1, epochs * steps_per_epoch));
  model.compile({.optimizer = K::optimizers::Adam({.learning_rate = rate}),
                 .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
  model(x_train[tf::slice(0, 1)]);  // builds the layers, so the summary shows every shape
  model.summary();

  const auto start = std::chrono::steady_clock::now();  // fit's time includes the validation passes
  // As the TF tutorial, the test set is the validation data: val_accuracy shows each epoch's.
  std::vector<K::callbacks::AnyCallback> callbacks;
  if (!logdir.empty()) callbacks.push_back(K::callbacks::TensorBoard({.log_dir = logdir, .histogram_freq = 1}));
  model.fit(x_train, y_train,
            {.epochs = epochs,
             .batch_size = batch_size,
             .validation_data = std::pair(x_test, y_test),
             .verbose = 2,
             .callbacks = callbacks});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("Training: %.1fs per epoch\n", seconds / std::max(1, epochs));

  auto result = model.evaluate(x_test, y_test, {.batch_size = 500, .verbose = 0});
  std::printf("Test loss: %.4f\nTest accuracy: %.4f\n", result["loss"], result["accuracy"]);
  return 0;
}
