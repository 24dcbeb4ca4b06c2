// A small Transformer encoder on Fashion-MNIST image patches, as Keras's "Image classification
// with Vision Transformer" example: each 28x28 image is cut into 49 patches of 4x4 pixels, a
// custom PatchEncoder layer projects them (Dense) and adds learned position embeddings
// (Embedding), then one encoder block (LayerNormalization, MultiHeadAttention, residual, MLP,
// residual) and GlobalAveragePooling1D -> Dense(10), trained with compile/fit.
// Usage: fashion_mnist_transformer [--epochs N] [--batch-size B] [--train-samples N] [--test-samples N].
// Needs Debian's dataset-fashion-mnist package (or $TAPEFLOW_DATA).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tapeflow/tapeflow.h"

namespace K = tf::keras;
namespace L = K::layers;

constexpr int64_t kPatch = 4, kPatches = (28 / kPatch) * (28 / kPatch), kDim = 32;

// (B, 28, 28) images -> (B, 49, 16) patches, row by row.
tf::Tensor to_patches(const tf::Tensor& images) {
  const int64_t n = 28 / kPatch;
  const tf::Tensor x = tf::reshape(images, {-1, n, kPatch, n, kPatch});
  return tf::reshape(tf::transpose(x, {0, 1, 3, 2, 4}), {-1, kPatches, kPatch * kPatch});
}

// Keras's PatchEncoder: a learned projection of each patch plus its position's embedding.
struct PatchEncoder : L::Layer {
  L::Dense projection;
  L::Embedding position_embedding;
  PatchEncoder()
      : projection(track_layer(L::Dense(kDim))), position_embedding(track_layer(L::Embedding(kPatches, kDim))) {}
  tf::Tensor call(const tf::Tensor& patches) override {
    return projection(patches) + position_embedding(tf::range(0, kPatches, 1, tf::int32));
  }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<PatchEncoder>(*this); }
};

K::Model transformer() {
  auto images = K::Input({28, 28});
  auto x = L::Lambda(to_patches)(L::Rescaling(1.0 / 255)(images));
  x = PatchEncoder()(x);
  // Pre-norm encoder block.
  auto normed = L::LayerNormalization()(x);
  auto attended = L::MultiHeadAttention(2, kDim / 2)(normed, normed);
  x = L::Add()({x, attended});
  auto mlp = L::Dense(kDim)(L::Dense(2 * kDim, {.activation = "gelu"})(L::LayerNormalization()(x)));
  x = L::Add()({x, mlp});
  return K::Model(images, L::Dense(10)(L::GlobalAveragePooling1D()(L::LayerNormalization()(x))));
}

int main(int argc, char** argv) {
  int epochs = 5, batch_size = 64;
  int64_t train_samples = 60000, test_samples = 10000;
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
    else {
      std::fprintf(stderr, "usage: %s [--epochs N] [--batch-size B] [--train-samples N] [--test-samples N]\n", argv[0]);
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
  auto x_train = train.first, y_train = train.second;
  if (train_samples < x_train.shape()[0]) {
    x_train = x_train[tf::slice(0, train_samples)];
    y_train = y_train[tf::slice(0, train_samples)];
  }
  auto x_test = test.first, y_test = test.second;
  if (test_samples < x_test.shape()[0]) {
    x_test = x_test[tf::slice(0, test_samples)];
    y_test = y_test[tf::slice(0, test_samples)];
  }

  K::Model model = transformer();
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
