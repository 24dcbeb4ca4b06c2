// K::Sequential with compile/fit/evaluate/predict, callbacks, summary, and a short fit on real
// Fashion-MNIST (or a synthetic task when it is absent) that provably learns.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/core/test_util.h"

namespace {
namespace K = tf::keras;

K::Sequential mlp(int hidden = 100) {
  return K::Sequential({K::layers::Flatten(), K::layers::Dense(hidden, {.activation = "relu"}), K::layers::Dense(10)});
}

TEST(Sequential, TracksLayersAndPrintsKerasSummary) {
  K::backend::clear_session();
  auto model = mlp();
  EXPECT_EQ(model.name(), "sequential");
  model(tf::zeros({1, 28, 28}));
  auto named = model.named_variables();
  ASSERT_EQ(named.size(), 4u);
  EXPECT_EQ(named[2].first, "sequential/dense_1/kernel");
  EXPECT_EQ(model.layers().size(), 3u);
  std::ostringstream got;
  model.summary(got);
  std::ifstream f(std::string(TAPEFLOW_TEST_DIR) + "/nn/fixtures/summary_mlp.txt");
  std::stringstream want;
  want << f.rdbuf();
  EXPECT_EQ(got.str(), want.str());
}

// A learnable synthetic task: the class is the argmax of 10 fixed random projections.
std::pair<tf::Tensor, tf::Tensor> synthetic(int n, int64_t seed) {
  auto x = tf::random::normal({n, 8, 8}, {.seed = seed});
  auto w = tf::random::normal({64, 10}, {.seed = 99});
  auto y = tf::cast(tf::argmax(tf::matmul(tf::reshape(x, {n, 64}), w), 1), tf::int32);
  return {x, y};
}

TEST(Sequential, FitEvaluatePredictLearnSyntheticData) {
  tf::random::set_seed(1);
  auto [x, y] = synthetic(2000, 1);
  auto model = mlp(64);
  model.compile({.optimizer = K::optimizers::Adam({.learning_rate = 3e-3}),
                 .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
  auto history = model.fit(x, y, {.epochs = 10, .batch_size = 32, .validation_split = 0.2, .verbose = 0});
  ASSERT_EQ(history.epoch.size(), 10u);
  for (const char* k : {"loss", "accuracy", "val_loss", "val_accuracy"}) ASSERT_EQ(history.history[k].size(), 10u) << k;
  EXPECT_LT(history.history["loss"].back(), history.history["loss"].front());
  EXPECT_GT(history.history["val_accuracy"].back(), 0.7);
  auto r = model.evaluate(x, y, {.verbose = 0});
  EXPECT_GT(r["accuracy"], 0.8);
  EXPECT_LT(r["loss"], 0.6);
  auto p = model.predict(x[tf::slice(0, 70)]);
  EXPECT_EQ(p.shape(), tf::Shape({70, 10}));
  EXPECT_EQ(model.optimizer().iterations(), 10 * 50);  // 1600 training samples / 32
}

TEST(Sequential, CallbacksSeeEpochsAndCanStopTraining) {
  auto [x, y] = synthetic(256, 2);
  auto model = mlp(16);
  model.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.0}),
                 .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true})});
  std::vector<int> seen;
  std::vector<double> rates;
  auto early = std::make_shared<K::callbacks::EarlyStopping>(
      K::callbacks::EarlyStoppingOptions{.monitor = "loss", .min_delta = 1e-3, .patience = 2});
  auto history = model.fit(x, y,
                           {.epochs = 20,
                            .batch_size = 64,
                            .verbose = 0,
                            .callbacks = {K::callbacks::LambdaCallback({.on_epoch_end =
                                                                            [&](int e, const K::callbacks::Logs& logs) {
                                                                              seen.push_back(e);
                                                                              EXPECT_TRUE(logs.count("loss"));
                                                                            }}),
                                          K::callbacks::LearningRateScheduler([&](int epoch, double lr) {
                                            rates.push_back(lr);
                                            return 0.0;
                                          }),
                                          early}});
  // The learning rate is zero, so the loss never improves by min_delta (only float32 summation
  // order varies with the shuffle): stop after patience epochs.
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(early->stopped_epoch(), 2);
  EXPECT_EQ(history.history["loss"].size(), 3u);
  EXPECT_EQ(rates.size(), 3u);
}

TEST(Sequential, RegularizationLossesJoinTheTrainingLoss) {
  auto x = tf::ones({4, 3});
  auto y = tf::zeros({4, 2});
  K::Sequential model(
      {K::layers::Dense(2, {.kernel_initializer = "ones", .kernel_regularizer = K::regularizers::L2(0.5)})});
  model.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.0}), .loss = "mse"});
  auto r = model.evaluate(x, y, {.verbose = 0});
  // mse = 3^2 = 9; penalty = 0.5 * 6 = 3.
  EXPECT_NEAR(r["loss"], 12.0, 1e-5);
}

TEST(Sequential, BadInputsGiveTypedErrors) {
  auto model = mlp(8);
  EXPECT_TF_ERROR(model.fit(tf::zeros({4, 28, 28}), tf::zeros({4})), tf::errors::FailedPreconditionError, "compile()");
  model.compile({.optimizer = "adam", .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true})});
  EXPECT_TF_ERROR(model.fit(tf::zeros({4, 28, 28}), tf::constant({1, 2, 3}), {.verbose = 0}),
                  tf::errors::InvalidArgumentError, "Data cardinality is ambiguous");
  // evaluate's test_step runs as a tf::Function: the kernel's error names its graph node; run
  // eagerly, the loss names itself.
  EXPECT_TF_ERROR(model.evaluate(tf::zeros({2, 28, 28}), tf::constant({1, 12}), {.verbose = 0}),
                  tf::errors::InvalidArgumentError, "Received a label value of 12 which is outside the valid range");
  auto eager = mlp(8);
  eager.compile({.optimizer = "adam",
                 .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                 .run_eagerly = true});
  EXPECT_TF_ERROR(eager.evaluate(tf::zeros({2, 28, 28}), tf::constant({1, 12}), {.verbose = 0}),
                  tf::errors::InvalidArgumentError, "sparse_categorical_crossentropy");
  // Built for 28 x 28 inputs, the first Dense names itself when fed 27 x 27.
  EXPECT_TF_ERROR(model.predict(tf::zeros({2, 27, 27})), tf::errors::InvalidArgumentError,
                  "expected axis -1 of input shape to have value 784");
}

TEST(Sequential, ShortFitOnRealFashionMnistLearns) {
  if (K::datasets::fashion_mnist::data_dir().empty())
    GTEST_SKIP() << "Fashion-MNIST is not installed (apt-get install -y dataset-fashion-mnist); "
                    "Sequential.FitEvaluatePredictLearnSyntheticData covers fitting";
  tf::random::set_seed(3);
  auto [train, test] = K::datasets::fashion_mnist::load_data();
  auto x = tf::cast(train.first[tf::slice(0, 3000)], tf::float32) / 255.0f;
  auto y = train.second[tf::slice(0, 3000)];
  auto model = mlp(64);
  model.compile({.optimizer = K::optimizers::Adam({.learning_rate = 1e-3}),
                 .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
  auto history = model.fit(x, y, {.epochs = 3, .batch_size = 32, .verbose = 0});
  auto r = model.evaluate(tf::cast(test.first[tf::slice(0, 1000)], tf::float32) / 255.0f,
                          test.second[tf::slice(0, 1000)], {.verbose = 0});
  EXPECT_LT(history.history["loss"].back(), 0.7);
  EXPECT_GT(r["accuracy"], 0.72);
}

}  // namespace
