// Model::fit/evaluate/predict on a tf::data::Dataset and on several inputs (list and by name),
// evaluate's results by position, fit's steps_per_epoch/validation_steps/validation_data forms.
// References: Keras 3's fits (fixtures from tests/nn/fixtures/gen_tf_data.py), the tensor path
// (checked against Keras in keras_training_test.cpp) and a hand-written loop of Keras's
// train_step (tape, loss, SGD).
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "tapeflow/core/logging.h"
#include "tests/core/test_util.h"
#include "tests/nn/fixtures/tf_data_fixtures.h"

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

namespace fx = fixtures::tf_data;

tf::Tensor from_case(const fx::Case& c, tf::DType dtype = tf::float32) {
  return tf::cast(tf::constant(c.values, tf::Shape(c.shape), tf::float64), dtype);
}

std::vector<std::string>& captured_warnings() {
  static std::vector<std::string> w;
  return w;
}
struct CaptureWarnings {
  CaptureWarnings() {
    captured_warnings().clear();
    tf::logging::set_sink([](const std::string& level, const std::string& message) {
      if (level == "warning") captured_warnings().push_back(message);
    });
  }
  ~CaptureWarnings() { tf::logging::set_sink(nullptr); }
  int count(const std::string& words) const {
    int n = 0;
    for (const auto& m : captured_warnings()) n += m.find(words) != std::string::npos;
    return n;
  }
};

/// A fit as gen_tf_data.py's keras_fit runs it: Dense(2) from the fixture's weights, SGD(0.1),
/// verbose 2 (the progress bar's final "current/target" of each epoch read back from stdout).
struct FitRun {
  K::callbacks::History history;
  std::vector<double> steps, bar;
  int ran_out = 0;
  std::vector<tf::Tensor> weights;
};
K::Sequential keras_fit_model() {
  K::layers::Dense dense(2);
  K::Sequential model({K::Input({3}), dense});
  dense.set_weights({from_case(fx::fit_kernel), from_case(fx::fit_bias)});
  model.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.1}),
                 .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
  return model;
}
template <typename... Data> FitRun run_fit(K::FitOptions options, const Data&... data) {
  auto model = keras_fit_model();
  FitRun run;
  options.verbose = 2;
  options.callbacks.push_back(
      K::callbacks::LambdaCallback({.on_epoch_begin = [&](int, const K::callbacks::Logs&) { run.steps.push_back(0); },
                                    .on_batch_end = [&](int, const K::callbacks::Logs&) { ++run.steps.back(); }}));
  CaptureWarnings warnings;
  testing::internal::CaptureStdout();
  run.history = model.fit(data..., options);
  const std::string out = testing::internal::GetCapturedStdout();
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {  // "2/2 - 0s - 3ms/step - accuracy: ..."
    long long current = 0, target = 0;
    char dash = 0;
    if (std::sscanf(line.c_str(), "%lld/%lld %c", &current, &target, &dash) == 3 && dash == '-') {
      run.bar.push_back(double(current));
      run.bar.push_back(double(target));
    }
  }
  run.ran_out = warnings.count("Your input ran out of data; interrupting training. Make sure that your dataset");
  run.weights = model.get_weights();
  return run;
}
void expect_like_keras(const FitRun& run, const fx::Case& steps, const fx::Case& ran_out, const fx::Case& bar,
                       const fx::Case& kernel, const fx::Case& bias, const fx::Case& loss, const fx::Case& accuracy) {
  EXPECT_EQ(run.steps, steps.values);
  EXPECT_EQ(run.ran_out > 0, ran_out.values[0] > 0);  // Python shows the warning once; Keras issues it per epoch
  EXPECT_EQ(run.bar, bar.values);
  tf::testing::expect_values(run.weights[0], tf::Shape(kernel.shape), kernel.values, 1e-5);
  tf::testing::expect_values(run.weights[1], tf::Shape(bias.shape), bias.values, 1e-5);
  ASSERT_EQ(run.history.history.at("loss").size(), loss.values.size());
  for (std::size_t e = 0; e < loss.values.size(); ++e) {
    EXPECT_NEAR(run.history.history.at("loss")[e], loss.values[e], 1e-5) << "epoch " << e;
    EXPECT_NEAR(run.history.history.at("accuracy")[e], accuracy.values[e], 1e-6) << "epoch " << e;
  }
}
#define EXPECT_FIT_LIKE_KERAS(run, name)                                                                           \
  expect_like_keras(run, fx::name##_steps, fx::name##_ran_out, fx::name##_bar, fx::name##_kernel, fx::name##_bias, \
                    fx::name##_loss, fx::name##_accuracy)

TEST(ModelDataSteps, StepsPerEpochCarriesThePassOnAcrossEpochsAsKeras) {
  auto x = from_case(fx::fit_x);
  auto y = from_case(fx::fit_y, tf::int32);
  auto batches = Dataset::from_tensor_slices({x, y}).batch(4);  // 3 batches: 4, 4, 2
  // Tensors and a finite dataset: epoch 2 takes the pass's last batch, runs out (Keras's warning),
  // and epoch 3 starts a new pass; the bar still shows steps_per_epoch as its target.
  EXPECT_FIT_LIKE_KERAS(run_fit({.epochs = 3, .batch_size = 4, .shuffle = false, .steps_per_epoch = 2}, x, y),
                        fit_spe_tensors);
  EXPECT_FIT_LIKE_KERAS(run_fit({.epochs = 3, .steps_per_epoch = 2}, batches), fit_spe_dataset);
  // The usual case: a repeated dataset, the iterator carrying on across epochs.
  EXPECT_FIT_LIKE_KERAS(run_fit({.epochs = 3, .steps_per_epoch = 2}, batches.repeat()), fit_spe_repeat);
  // More steps than the data holds: each epoch ends at the pass's end.
  EXPECT_FIT_LIKE_KERAS(run_fit({.epochs = 2, .steps_per_epoch = 5}, batches), fit_spe_longer);
  // Unknown length (filter): Keras counts the first pass and warns at each pass's end.
  auto unknown = batches.filter([](tf::Tensor, tf::Tensor) { return true; });
  EXPECT_FIT_LIKE_KERAS(run_fit({.epochs = 2}, unknown), fit_unknown);
  EXPECT_FIT_LIKE_KERAS(run_fit({.epochs = 3, .steps_per_epoch = 2}, unknown), fit_unknown_spe);
  auto model = keras_fit_model();
  // Keras's ProgbarLogger prints "Epoch 1/1" only when there are several epochs.
  testing::internal::CaptureStdout();
  model.fit(batches, {.verbose = 2, .steps_per_epoch = 2});
  const std::string one_epoch = testing::internal::GetCapturedStdout();
  EXPECT_EQ(one_epoch.rfind("2/2 - ", 0), 0u) << one_epoch;
  EXPECT_EQ(one_epoch.find("Epoch"), std::string::npos) << one_epoch;
  EXPECT_TF_ERROR(model.fit(batches, {.verbose = 0, .steps_per_epoch = 0}), tf::errors::InvalidArgumentError,
                  "fit: steps must be a positive integer, got 0");
  EXPECT_TF_ERROR(model.fit(batches.repeat(), {.verbose = 0}), tf::errors::InvalidArgumentError,
                  "the dataset is infinite (repeat() without a count): pass steps_per_epoch");
}

TEST(ModelDataSteps, ValidationStepsTakeTheFirstBatchesEachEpoch) {
  auto x = from_case(fx::fit_x);
  auto y = from_case(fx::fit_y, tf::int32);
  auto x_train = x[tf::slice(0, 6)], y_train = y[tf::slice(0, 6)];
  auto x_val = x[tf::slice(6, 10)], y_val = y[tf::slice(6, 10)];
  auto run = run_fit({.epochs = 2,
                      .batch_size = 2,
                      .validation_data = std::pair{x_val, y_val},
                      .shuffle = false,
                      .validation_steps = 1},
                     x_train, y_train);
  EXPECT_FIT_LIKE_KERAS(run, fit_val_steps);
  for (int e = 0; e < 2; ++e) {
    EXPECT_NEAR(run.history.history.at("val_loss")[e], fx::fit_val_steps_val_loss.values[e], 1e-5);
    EXPECT_NEAR(run.history.history.at("val_accuracy")[e], fx::fit_val_steps_val_accuracy.values[e], 1e-6);
  }
  // A repeated validation dataset: 3 steps from its start each epoch (batches 1, 2, 1).
  auto val_ds = Dataset::from_tensor_slices({x_val, y_val}).batch(2).repeat();
  run = run_fit({.epochs = 2, .batch_size = 2, .validation_data = val_ds, .shuffle = false, .validation_steps = 3},
                x_train, y_train);
  EXPECT_FIT_LIKE_KERAS(run, fit_val_dataset);
  for (int e = 0; e < 2; ++e) {
    EXPECT_NEAR(run.history.history.at("val_loss")[e], fx::fit_val_dataset_val_loss.values[e], 1e-5);
    EXPECT_NEAR(run.history.history.at("val_accuracy")[e], fx::fit_val_dataset_val_accuracy.values[e], 1e-6);
  }
  auto model = keras_fit_model();
  EXPECT_TF_ERROR(model.fit(x_train, y_train, {.validation_data = val_ds, .verbose = 0}),
                  tf::errors::InvalidArgumentError, "validation_data is infinite");
  // evaluate's steps: the first batches only; an infinite dataset needs them.
  auto r = model.evaluate(val_ds, {.verbose = 0, .steps = 1});
  auto first = model.evaluate(x_val[tf::slice(0, 2)], y_val[tf::slice(0, 2)], {.verbose = 0});
  EXPECT_NEAR(r.at("loss"), first.at("loss"), 1e-6);
  EXPECT_TF_ERROR(model.evaluate(val_ds, {.verbose = 0}), tf::errors::InvalidArgumentError, "pass steps");
}

TEST(ModelDataSteps, ValidationFreqValidatesEveryNthEpochAsKeras) {
  auto x = from_case(fx::fit_x);
  auto y = from_case(fx::fit_y, tf::int32);
  auto run = run_fit({.epochs = 5,
                      .batch_size = 2,
                      .validation_data = std::pair{x[tf::slice(6, 10)], y[tf::slice(6, 10)]},
                      .shuffle = false,
                      .validation_freq = 2},
                     x[tf::slice(0, 6)], y[tf::slice(0, 6)]);
  EXPECT_FIT_LIKE_KERAS(run, fit_val_freq);
  // Epochs 2 and 4 only: History holds their two values, as Keras's.
  ASSERT_EQ(run.history.history.at("val_loss").size(), fx::fit_val_freq_val_loss.values.size());
  for (std::size_t e = 0; e < fx::fit_val_freq_val_loss.values.size(); ++e) {
    EXPECT_NEAR(run.history.history.at("val_loss")[e], fx::fit_val_freq_val_loss.values[e], 1e-5);
    EXPECT_NEAR(run.history.history.at("val_accuracy")[e], fx::fit_val_freq_val_accuracy.values[e], 1e-6);
  }
  auto model = keras_fit_model();
  EXPECT_TF_ERROR(model.fit(x, y, {.verbose = 0, .validation_freq = 0}), tf::errors::InvalidArgumentError,
                  "fit: validation_freq must be a positive integer, got 0");
}

TEST(ModelDataSteps, EvaluateWithSampleWeightWeighsTheLossAsKeras) {
  auto x = from_case(fx::fit_x);
  auto y = from_case(fx::fit_y, tf::int32);
  auto w = from_case(fx::eval_sample_weight);
  auto model = keras_fit_model();  // loss and "accuracy"
  // The fixtures' values: loss, accuracy, and Keras's weighted_metrics accuracy (checked below).
  auto expect_results = [](const K::EvaluateResult& r, const fx::Case& want) {
    ASSERT_EQ(r.size(), 2u);
    EXPECT_NEAR(r[0], want.values[0], 1e-6) << "loss";
    EXPECT_NEAR(r[1], want.values[1], 1e-6) << "accuracy";
  };
  expect_results(model.evaluate(x, y, {.batch_size = 4, .verbose = 0}), fx::eval_plain);
  // The loss weighted; the compiled metrics unweighted (Keras 3's `metrics`: the weighted
  // accuracy, 0.45, would differ).
  ASSERT_NE(fx::eval_weighted.values[1], fx::eval_weighted.values[2]);
  expect_results(model.evaluate(x, y, {.batch_size = 4, .verbose = 0, .sample_weight = w}), fx::eval_weighted);
  // The same from (x, y, sample_weight) dataset elements and as a one-input list.
  expect_results(model.evaluate(Dataset::from_tensor_slices({x, y, w}).batch(4), {.verbose = 0}), fx::eval_weighted);
  expect_results(model.evaluate(std::vector{x}, y, {.batch_size = 4, .verbose = 0, .sample_weight = w}),
                 fx::eval_weighted);
  // compile(weighted_metrics): Keras's weighted accuracy, from every form of the data (the
  // dataset's and the list's steps too), traced and eager.
  for (bool eager : {false, true}) {
    auto weighted = keras_fit_model();
    weighted.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.1}),
                      .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                      .metrics = {"accuracy"},
                      .weighted_metrics = {"accuracy"},
                      .run_eagerly = eager});
    for (const K::EvaluateResult& r :
         {weighted.evaluate(x, y, {.batch_size = 4, .verbose = 0, .sample_weight = w}),
          weighted.evaluate(Dataset::from_tensor_slices({x, y, w}).batch(4), {.verbose = 0}),
          weighted.evaluate(std::vector{x}, y, {.batch_size = 4, .verbose = 0, .sample_weight = w})}) {
      ASSERT_EQ(r.names(), (std::vector<std::string>{"loss", "accuracy", "weighted_accuracy"}));
      for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(r[i], fx::eval_weighted.values[i], 1e-6) << r.names()[i];
    }
  }
  EXPECT_TF_ERROR(model.evaluate(x, y, {.verbose = 0, .sample_weight = w[tf::slice(0, 4)]}),
                  tf::errors::InvalidArgumentError, "evaluate: sample_weight must hold one weight per sample (10)");
  EXPECT_TF_ERROR(model.evaluate(Dataset::from_tensor_slices({x, y}).batch(4), {.verbose = 0, .sample_weight = w}),
                  tf::errors::InvalidArgumentError, "`sample_weight` argument is not supported when using a dataset");
}

TEST(ModelDataSteps, ValidationDataWithSeveralInputsOrAsADataset) {
  auto xa = features(16, 3, 8), xb = features(16, 2, 9);
  auto y = tf::reduce_sum(xa, {.axis = 1, .keepdims = true}) - xb[{tf::all, tf::slice(0, 1)}];
  auto va = features(6, 3, 10), vb = features(6, 2, 11);
  auto vy = tf::reduce_sum(va, {.axis = 1, .keepdims = true});
  TwoInputs listed, named, by_dataset;
  const K::FitOptions base{.epochs = 2, .batch_size = 4, .shuffle = false, .verbose = 0};
  auto with = [&](K::ValidationData v) {
    K::FitOptions o = base;
    o.validation_data = std::move(v);
    return o;
  };
  auto h1 = listed.model.fit({xa, xb}, y, with(std::pair{std::vector{va, vb}, vy}));
  auto h2 = named.model.fit({{"image", xa}, {"meta", xb}}, y,
                            with(std::pair{K::NamedInputs{{"meta", vb}, {"image", va}}, vy}));
  auto h3 = by_dataset.model.fit(Dataset::from_tensor_slices({xa, xb, y}).batch(4),
                                 with(Dataset::from_tensor_slices({va, vb, vy}).batch(4)));
  // Keras evaluates the validation data after each epoch: the last val_loss is evaluate's on the
  // trained model.
  const double want = listed.model.evaluate({va, vb}, vy, {.verbose = 0})[0];
  for (const auto* h : {&h1, &h2, &h3}) {
    ASSERT_EQ(h->history.at("val_loss").size(), 2u);
    EXPECT_NEAR(h->history.at("val_loss")[1], want, 1e-5);
    EXPECT_NEAR(h->history.at("loss")[1], h1.history.at("loss")[1], 1e-5);
  }
  // Single-input data given to a model with two inputs, or inputs of different lengths.
  EXPECT_TF_ERROR(listed.model.fit({xa, xb}, y, with(std::pair{std::vector{va}, vy})), tf::errors::InvalidArgumentError,
                  "a dataset element must be (x, y)");
  EXPECT_TF_ERROR(listed.model.fit({xa, xb}, y, with(std::pair{std::vector{va, vb[tf::slice(0, 2)]}, vy})),
                  tf::errors::InvalidArgumentError, "Data cardinality is ambiguous");
  EXPECT_TF_ERROR(named.model.fit({xa, xb}, y, with(std::pair{K::NamedInputs{{"image", va}}, vy})),
                  tf::errors::InvalidArgumentError, "no data for input 'meta'");
}

}  // namespace
