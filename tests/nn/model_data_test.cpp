// Model::fit/evaluate/predict on a tf::data::Dataset and on several inputs (list and by name),
// and evaluate's results by position. References: the tensor path (checked against Keras in
// keras_training_test.cpp) and a hand-written loop of Keras's train_step (tape, loss, SGD).
#include <gtest/gtest.h>

#include "tests/core/test_util.h"

namespace {
namespace K = tf::keras;
using tf::data::Dataset;

tf::Tensor features(int n, int d, int seed) { return tf::random::normal({n, d}, {.seed = seed}); }
tf::Tensor labels(const tf::Tensor& x) {  // class 1 when the first feature is positive
  return tf::cast(tf::greater(x[{tf::all, 0}], 0.0f), tf::int32);
}

K::Sequential mlp() {
  K::utils::set_random_seed(11);
  K::Sequential m({K::Input({3}), K::layers::Dense(8, {.activation = "relu"}), K::layers::Dense(2)});
  m.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.1}),
             .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
             .metrics = {"accuracy"}});
  return m;
}

void expect_same_weights(const std::vector<tf::Tensor>& a, const std::vector<tf::Tensor>& b, double tol = 1e-6) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    tf::testing::expect_values(a[i], b[i].shape(), tf::testing::values_as_double(b[i]), tol);
}

TEST(ModelData, FitOnABatchedDatasetMatchesFitOnTensors) {
  auto x = features(40, 3, 1);
  auto y = labels(x);
  auto by_tensors = mlp();
  auto h1 = by_tensors.fit(x, y, {.epochs = 3, .batch_size = 8, .shuffle = false, .verbose = 0});
  auto by_dataset = mlp();
  // Keras ignores batch_size (and shuffle) with a dataset: the dataset's batches are the steps.
  auto h2 = by_dataset.fit(Dataset::from_tensor_slices({x, y}).batch(8),
                           {.epochs = 3, .batch_size = 5, .shuffle = true, .verbose = 0});
  expect_same_weights(by_dataset.get_weights(), by_tensors.get_weights());
  ASSERT_EQ(h2.history.at("loss").size(), 3u);
  for (int e = 0; e < 3; ++e) {
    EXPECT_NEAR(h2.history.at("loss")[e], h1.history.at("loss")[e], 1e-5);
    EXPECT_NEAR(h2.history.at("accuracy")[e], h1.history.at("accuracy")[e], 1e-6);
  }
  // evaluate and predict on datasets give the tensor path's numbers.
  auto r1 = by_tensors.evaluate(x, y, {.batch_size = 16, .verbose = 0});
  auto r2 = by_tensors.evaluate(Dataset::from_tensor_slices({x, y}).batch(16), {.verbose = 0});
  EXPECT_NEAR(r2.at("loss"), r1.at("loss"), 1e-6);
  EXPECT_NEAR(r2.at("accuracy"), r1.at("accuracy"), 1e-6);
  auto p1 = by_tensors.predict(x);
  auto p2 = by_tensors.predict(Dataset::from_tensor_slices({x, y}).batch(7));
  tf::testing::expect_values(p2, p1.shape(), tf::testing::values_as_double(p1));
}

TEST(ModelData, DatasetPipelinesAndValidation) {
  auto x = features(48, 3, 2);
  auto y = labels(x);
  auto model = mlp();
  // A per-component map, a shuffle reshuffled each epoch, validation_data as tensors.
  auto ds = Dataset::from_tensor_slices({x, y})
                .map([](tf::Tensor a, tf::Tensor b) {
                  return std::tuple{a * 2.0f, b};
                })
                .shuffle(48, {.seed = 4})
                .batch(12);
  auto h = model.fit(ds, {.epochs = 4, .validation_data = std::pair{x * 2.0f, y}, .verbose = 0});
  ASSERT_EQ(h.history.at("val_loss").size(), 4u);
  EXPECT_LT(h.history.at("loss")[3], h.history.at("loss")[0]);
  auto r = model.evaluate(x * 2.0f, y, {.verbose = 0});
  EXPECT_NEAR(h.history.at("val_loss")[3], r.at("loss"), 1e-6);
  // (x, y, sample_weight) elements: weights of zero leave the model where it was.
  auto frozen = mlp();
  auto before = frozen.get_weights();
  frozen.fit(Dataset::from_tensor_slices({x, y, tf::zeros({48})}).batch(16), {.epochs = 1, .verbose = 0});
  expect_same_weights(frozen.get_weights(), before, 0);
  // Keras's rules for datasets.
  EXPECT_TF_ERROR(model.fit(ds, {.validation_split = 0.2, .verbose = 0}), tf::errors::InvalidArgumentError,
                  "`validation_split` is only supported for Tensors or NumPy arrays");
  EXPECT_TF_ERROR(model.fit(ds.repeat(), {.verbose = 0}), tf::errors::InvalidArgumentError, "the dataset is infinite");
  EXPECT_TF_ERROR(model.fit(Dataset::from_tensor_slices({x}).batch(4), {.verbose = 0}),
                  tf::errors::InvalidArgumentError, "a dataset element must be (x, y)");
}

TEST(ModelData, EvaluateResultsIndexByPosition) {
  auto x = features(20, 3, 3);
  auto y = labels(x);
  auto model = mlp();
  auto r = model.evaluate(x, y, {.verbose = 0});
  ASSERT_EQ(r.names(), (std::vector<std::string>{"loss", "accuracy"}));  // Keras's list order
  EXPECT_EQ(r[0], r.at("loss"));
  EXPECT_EQ(r[1], r.at("accuracy"));
  EXPECT_EQ(r["loss"], r.at("loss"));
  std::map<std::string, double> as_map = r;  // still a map
  EXPECT_EQ(as_map.size(), 2u);
  EXPECT_TF_ERROR(r[std::size_t(2)], tf::errors::InvalidArgumentError, "out of range");
}

struct TwoInputs {
  K::Model model;
  TwoInputs() : model(build()) {
    model.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.05}), .loss = "mse"});
  }
  static K::Model build() {
    K::utils::set_random_seed(5);
    auto a = K::Input({3}, {.name = "image"});
    auto b = K::Input({2}, {.name = "meta"});
    auto h = K::layers::Concatenate()({K::layers::Dense(4, {.activation = "tanh"})(a), b});
    return K::Model({a, b}, K::layers::Dense(1)(h));
  }
};

TEST(ModelData, SeveralInputsAsAListOrByNameTrainAsKerasTrainStepDoes) {
  auto xa = features(12, 3, 6), xb = features(12, 2, 7);
  auto y = tf::reduce_sum(xa, {.axis = 1, .keepdims = true}) - xb[{tf::all, tf::slice(0, 1)}];
  TwoInputs listed, named, by_hand;
  listed.model.fit({xa, xb}, y, {.epochs = 2, .batch_size = 4, .shuffle = false, .verbose = 0});
  named.model.fit({{"meta", xb}, {"image", xa}}, y, {.epochs = 2, .batch_size = 4, .shuffle = false, .verbose = 0});
  // Keras's train_step written out: per batch, the MSE on a tape, SGD on its gradients.
  auto vars = by_hand.model.trainable_variables();
  for (int epoch = 0; epoch < 2; ++epoch)
    for (int b = 0; b < 12; b += 4) {
      auto rows = tf::slice(b, b + 4);
      tf::GradientTape tape;
      auto pred = by_hand.model({xa[rows], xb[rows]}, true);
      auto loss = tf::reduce_mean(tf::square(pred - y[rows]));
      tape.stop();
      auto grads = tape.gradient(loss, vars);
      for (std::size_t i = 0; i < vars.size(); ++i) vars[i].assign_sub(*grads[i] * 0.05f);
    }
  expect_same_weights(listed.model.get_weights(), by_hand.model.get_weights(), 1e-5);
  expect_same_weights(named.model.get_weights(), by_hand.model.get_weights(), 1e-5);
  // evaluate/predict take the same forms; a Dataset element is (image, meta, y).
  auto r = listed.model.evaluate({xa, xb}, y, {.batch_size = 5, .verbose = 0});
  auto r_named = listed.model.evaluate({{"image", xa}, {"meta", xb}}, y, {.verbose = 0});
  auto r_ds = listed.model.evaluate(Dataset::from_tensor_slices({xa, xb, y}).batch(3), {.verbose = 0});
  auto want = tf::reduce_mean(tf::square(listed.model({xa, xb}, false) - y)).item<float>();
  EXPECT_NEAR(r[0], want, 1e-5);
  EXPECT_NEAR(r_named[0], want, 1e-5);
  EXPECT_NEAR(r_ds[0], want, 1e-5);
  auto p = listed.model.predict({{"image", xa}, {"meta", xb}});
  auto p_ds = listed.model.predict(Dataset::from_tensor_slices({xa, xb}).batch(5));
  tf::testing::expect_values(p_ds, {12, 1}, tf::testing::values_as_double(p));
  EXPECT_TF_ERROR(listed.model.fit({{"image", xa}}, y, {.verbose = 0}), tf::errors::InvalidArgumentError,
                  "no data for input 'meta' (the model's inputs are: image, meta)");
  EXPECT_TF_ERROR(listed.model.fit({xa, xb[tf::slice(0, 5)]}, y, {.verbose = 0}), tf::errors::InvalidArgumentError,
                  "Data cardinality is ambiguous");
}

}  // namespace
