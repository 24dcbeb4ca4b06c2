// fit, evaluate and predict with their steps as tf::Functions (compile's default, Note [Steps as
// Functions]) against compile({.run_eagerly = true}): the same histories, weights, evaluation
// results and predictions from the same seed, over the forms of the data fit takes; the number
// of traces; run_eagerly and tf::config::run_functions_eagerly never trace. Dropout is checked
// apart: a traced random op draws from its own per-call stream (Note [Random ops in graphs]),
// as in TF, so its masks are not the eager ones.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>

#include "tests/nn/nn_test_util.h"

namespace {
namespace K = tf::keras;

struct Outcome {
  std::map<std::string, std::vector<double>> history;
  std::vector<std::vector<float>> weights;
  std::map<std::string, double> evaluation;
  std::vector<float> predictions;
};

using MakeModel = std::function<std::shared_ptr<K::Model>()>;
using Train = std::function<K::callbacks::History(K::Model&)>;

/// Builds, compiles and trains a model from seed 42, then evaluates and predicts on `x_eval`.
Outcome run(const MakeModel& make, const Train& train, bool run_eagerly, const std::vector<tf::Tensor>& x_eval,
            const tf::Tensor& y_eval, K::losses::AnyLoss loss = "mse",
            std::vector<K::metrics::AnyMetric> metrics = {"mae"}) {
  K::backend::clear_session();
  tf::random::set_seed(42);
  std::shared_ptr<K::Model> model = make();
  model->compile({.optimizer = K::optimizers::Adam({.learning_rate = 0.01}),
                  .loss = std::move(loss),
                  .metrics = std::move(metrics),
                  .run_eagerly = run_eagerly});
  Outcome out;
  out.history = train(*model).history;
  for (const auto& v : model->variables())
    out.weights.push_back(tf::cast(v.read_value(), tf::float32).to_vector<float>());
  if (x_eval.size() == 1) {
    out.evaluation = model->evaluate(x_eval[0], y_eval, {.batch_size = 24, .verbose = 0});
    out.predictions = model->predict(x_eval[0], {.batch_size = 24}).to_vector<float>();
  } else {
    out.evaluation = model->evaluate(x_eval, y_eval, {.batch_size = 24, .verbose = 0});
    out.predictions = model->predict(x_eval, {.batch_size = 24}).to_vector<float>();
  }
  return out;
}

/// Traced and eager runs agree exactly: the same kernels run on the same values in the same order
/// (the graph passes only remove work or fuse ops whose kernels round alike).
void expect_same(const Outcome& traced, const Outcome& eager) {
  ASSERT_FALSE(eager.history.empty());
  EXPECT_EQ(traced.history, eager.history);
  EXPECT_EQ(traced.weights, eager.weights);
  EXPECT_EQ(traced.evaluation, eager.evaluation);
  EXPECT_EQ(traced.predictions, eager.predictions);
}

void expect_traced_matches_eager(const MakeModel& make, const Train& train, const std::vector<tf::Tensor>& x_eval,
                                 const tf::Tensor& y_eval, K::losses::AnyLoss loss = "mse",
                                 std::vector<K::metrics::AnyMetric> metrics = {"mae"}) {
  Outcome eager = run(make, train, true, x_eval, y_eval, loss, metrics);
  Outcome traced = run(make, train, false, x_eval, y_eval, loss, metrics);
  expect_same(traced, eager);
}

std::shared_ptr<K::Model> mlp() {
  return std::make_shared<K::Sequential>(
      std::vector<K::AnyLayer>{K::layers::Dense(16, {.activation = "relu"}), K::layers::Dense(1)});
}

TEST(ModelTraced, MLPFitWithValidationMatchesEager) {
  auto x = tf::random::normal({100, 6}, {.seed = 1});  // 100 = 3 batches of 32 + a partial one of 4
  auto y = tf::reduce_sum(x, 1, true) * 0.5;
  expect_traced_matches_eager(
      mlp,
      [&](K::Model& m) { return m.fit(x, y, {.epochs = 3, .batch_size = 32, .validation_split = 0.2, .verbose = 0}); },
      {x}, y);
}

TEST(ModelTraced, SampleWeightClassWeightAndStepsPerEpochMatchEager) {
  auto x = tf::random::normal({90, 5}, {.seed = 3});
  auto labels = tf::cast(tf::greater(tf::reduce_sum(x, 1), tf::constant(0.0f)), tf::float32);
  auto y = tf::reshape(labels, {90, 1});
  auto sample_weight = tf::random::uniform({90}, {.minval = 0.5, .maxval = 2.0, .seed = 4});
  auto classifier = [] {
    return std::make_shared<K::Sequential>(std::vector<K::AnyLayer>{K::layers::Dense(8, {.activation = "tanh"}),
                                                                    K::layers::Dense(1, {.activation = "sigmoid"})});
  };
  const std::vector<K::metrics::AnyMetric> metrics = {"accuracy"};
  expect_traced_matches_eager(
      classifier,
      [&](K::Model& m) {
        return m.fit(x, y, {.epochs = 2, .batch_size = 16, .verbose = 0, .sample_weight = sample_weight});
      },
      {x}, y, "binary_crossentropy", metrics);
  expect_traced_matches_eager(
      classifier,
      [&](K::Model& m) {
        return m.fit(x, y, {.epochs = 2, .batch_size = 16, .verbose = 0, .class_weight = {{0, 0.4}, {1, 1.7}}});
      },
      {x}, y, "binary_crossentropy", metrics);
  // A repeated dataset cut into epochs by steps_per_epoch, with validation_data.
  auto ds = tf::data::Dataset::from_tensor_slices({x, y}).batch(20).repeat();
  expect_traced_matches_eager(
      classifier,
      [&](K::Model& m) {
        return m.fit(ds, {.epochs = 3, .validation_data = std::pair{x, y}, .verbose = 0, .steps_per_epoch = 3});
      },
      {x}, y, "binary_crossentropy", metrics);
}

TEST(ModelTraced, SmallCNNWithBatchNormMatchesEager) {
  auto x = tf::random::normal({40, 6, 6, 2}, {.seed = 5});
  auto y = tf::random::uniform({40}, {.maxval = 3, .dtype = tf::int32, .seed = 6});
  auto cnn = [] {
    return std::make_shared<K::Sequential>(
        std::vector<K::AnyLayer>{K::layers::Conv2D(4, 3, {.padding = "same"}), K::layers::BatchNormalization(),
                                 K::layers::Activation("relu"), K::layers::Flatten(), K::layers::Dense(3)});
  };
  expect_traced_matches_eager(
      cnn, [&](K::Model& m) { return m.fit(x, y, {.epochs = 2, .batch_size = 16, .verbose = 0}); }, {x},
      tf::cast(y, tf::float32), K::losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
}

TEST(ModelTraced, MultiInputFunctionalModelMatchesEager) {
  auto a = tf::random::normal({50, 4}, {.seed = 7});
  auto b = tf::random::normal({50, 3}, {.seed = 8});
  auto y = tf::reduce_sum(a, 1, true) - tf::reduce_sum(b, 1, true);
  auto functional = [] {
    auto in_a = K::Input({4}, {.name = "a"});
    auto in_b = K::Input({3}, {.name = "b"});
    auto h = K::layers::Concatenate()({K::layers::Dense(8, {.activation = "relu"})(in_a), in_b});
    return std::make_shared<K::Model>(K::KerasTensors{in_a, in_b}, K::KerasTensors{K::layers::Dense(1)(h)});
  };
  expect_traced_matches_eager(
      functional,
      [&](K::Model& m) {
        return m.fit({a, b}, y,
                     {.epochs = 2, .batch_size = 16, .validation_data = std::pair{std::vector{a, b}, y}, .verbose = 0});
      },
      {a, b}, y);
}

// Dropout in a traced fit: active in train_step (a fresh mask per step), off in test_step and
// predict_step (the training flag reaches the layers through the Functions).
TEST(ModelTraced, DropoutIsActiveInTracedTrainStepsOnly) {
  tf::random::set_seed(11);
  auto x = tf::random::normal({16, 6}, {.seed = 12});
  auto y = tf::reduce_sum(x, 1, true);
  K::Sequential model({K::layers::Dense(32, {.activation = "relu"}), K::layers::Dropout(0.5), K::layers::Dense(1)});
  model.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.0}), .loss = "mse"});
  // lr 0: the weights never change, so the losses differ only by their dropout masks.
  std::vector<double> train_losses;
  for (int i = 0; i < 3; ++i)
    train_losses.push_back(model.fit(x, y, {.batch_size = 16, .verbose = 0}).history.at("loss")[0]);
  EXPECT_NE(train_losses[0], train_losses[1]);
  EXPECT_NE(train_losses[1], train_losses[2]);
  auto eager_out = model(x, false);
  const double expected = tf::reduce_mean(tf::square(y - eager_out)).item<float>();
  EXPECT_NEAR(model.evaluate(x, y, {.batch_size = 16, .verbose = 0}).at("loss"), expected, 1e-6 * expected);
  EXPECT_NE(train_losses[0], model.evaluate(x, y, {.batch_size = 16, .verbose = 0}).at("loss"));
  EXPECT_EQ(model.predict(x, {.batch_size = 16}).to_vector<float>(), eager_out.to_vector<float>());
}

// A custom train_step is traced as Keras traces it: its C++ body runs once per trace, so a
// counter in it counts traces: one for the full batches, one for the last partial batch.
struct CountingModel : K::Model {
  std::shared_ptr<int> traces = std::make_shared<int>(0);
  std::shared_ptr<int> test_traces = std::make_shared<int>(0);
  K::layers::Dense hidden, out;
  CountingModel()
      : K::Model("counting_model"),
        hidden(track_layer(K::layers::Dense(8, {.activation = "relu"}))),
        out(track_layer(K::layers::Dense(1))) {}
  tf::Tensor call(const tf::Tensor& x, bool training) override { return out(hidden(x, training), training); }
  void train_step(const tf::Tensor& x, const tf::Tensor& y) override {
    ++*traces;
    tf::GradientTape tape;
    auto y_pred = (*this)(x, true);
    auto loss = compute_loss(x, y, y_pred) * 2.0;  // not the default step: the override runs
    tape.stop();
    auto vars = trainable_variables();
    optimizer().apply_gradients(tape.gradient(loss, vars), vars);
    for (auto& m : metrics()) {
      if (m->name() == "loss")
        std::static_pointer_cast<K::metrics::Mean>(m)->update_state(loss);
      else
        m->update_state(y, y_pred);
    }
  }
  void test_step(const tf::Tensor& x, const tf::Tensor& y) override {
    ++*test_traces;
    K::Model::test_step(x, y);
  }
};

TEST(ModelTraced, CustomTrainStepIsTracedOncePlusOnceForThePartialBatch) {
  auto x = tf::random::normal({70, 5}, {.seed = 9});  // 2 batches of 32 and one of 6
  auto y = tf::reduce_sum(x, 1, true);
  std::shared_ptr<CountingModel> last;
  auto make = [&] {
    last = std::make_shared<CountingModel>();
    return last;
  };
  auto train = [&](K::Model& m) { return m.fit(x, y, {.epochs = 3, .batch_size = 32, .verbose = 0}); };
  Outcome eager = run(make, train, true, {x}, y);
  EXPECT_EQ(*last->traces, 9);  // eagerly: every step
  Outcome traced = run(make, train, false, {x}, y);
  EXPECT_EQ(*last->traces, 2);       // traced: the full batches, then the partial one
  EXPECT_EQ(*last->test_traces, 2);  // evaluate: 70 = 2 x 24 + 22
  expect_same(traced, eager);

  // run_functions_eagerly(true) makes the steps eager again, as in TF.
  tf::config::run_functions_eagerly(true);
  run(make, train, false, {x}, y);
  tf::config::run_functions_eagerly(false);
  EXPECT_EQ(*last->traces, 9);
}

// Keras's reduce_retracing: full batches of 32 trace once, the first batch of another size (17)
// traces once more with the batch as None, and any later size (9) reuses that trace. What needs
// the batch size is taken when the step runs (BatchNormalization's n, the loss tracker's and the
// metrics' counts, the sample weights): the histories, weights (moving statistics included),
// evaluation and predictions equal run_eagerly's to the float.
struct BatchNormModel : K::Model {
  std::shared_ptr<int> train_traces = std::make_shared<int>(0);
  K::layers::Dense hidden, out;
  K::layers::BatchNormalization norm;
  BatchNormModel()
      : K::Model("batch_norm_model"),
        hidden(track_layer(K::layers::Dense(8))),
        out(track_layer(K::layers::Dense(1, {.activation = "sigmoid"}))),
        norm(track_layer(K::layers::BatchNormalization())) {}
  tf::Tensor call(const tf::Tensor& x, bool training) override {
    if (training) ++*train_traces;  // traced: once per trace of train_step
    return out(tf::nn::relu(norm(hidden(x, training), training)), training);
  }
};

TEST(ModelTraced, PartialBatchesShareOneGeneralizedTraceAndMatchEager) {
  auto x = tf::random::normal({81, 5}, {.seed = 13});  // 32 + 32 + 17; then 9 batches of 9
  auto y = tf::reshape(tf::cast(tf::greater(tf::reduce_sum(x, 1), tf::constant(0.0f)), tf::float32), {81, 1});
  auto sample_weight = tf::random::uniform({81}, {.minval = 0.5, .maxval = 2.0, .seed = 14});
  std::shared_ptr<BatchNormModel> last;
  auto make = [&] {
    last = std::make_shared<BatchNormModel>();
    return last;
  };
  std::vector<double> second_fit_losses;
  auto train = [&](K::Model& m) {
    auto h = m.fit(x, y, {.epochs = 2, .batch_size = 32, .verbose = 0, .sample_weight = sample_weight});
    second_fit_losses =
        m.fit(x, y, {.epochs = 1, .batch_size = 9, .verbose = 0, .sample_weight = sample_weight}).history.at("loss");
    return h;
  };
  const std::vector<K::metrics::AnyMetric> metrics = {"accuracy", "mae"};
  Outcome eager = run(make, train, true, {x}, y, "binary_crossentropy", metrics);
  const std::vector<double> eager_second = second_fit_losses;
  EXPECT_EQ(*last->train_traces, 2 * 3 + 9);  // eagerly: every step
  Outcome traced = run(make, train, false, {x}, y, "binary_crossentropy", metrics);
  EXPECT_EQ(*last->train_traces, 2);  // batch 32, then None for 17 and 9
  expect_same(traced, eager);
  EXPECT_EQ(second_fit_losses, eager_second);
}

// BatchNormalization on a feature axis other than the last (moments over the batch and the
// other axes, whose gradient counts the None batch at run time), with a partial batch.
TEST(ModelTraced, BatchNormOnAnotherAxisWithAPartialBatchMatchesEager) {
  auto x = tf::random::normal({42, 3, 4}, {.seed = 16});  // 16 + 16 + 10
  auto y = tf::reshape(tf::reduce_sum(x, {1, 2}), {42, 1});
  auto model = [] {
    return std::make_shared<K::Sequential>(std::vector<K::AnyLayer>{
        K::layers::BatchNormalization({.axis = 1}), K::layers::Flatten(), K::layers::Dense(1)});
  };
  expect_traced_matches_eager(
      model, [&](K::Model& m) { return m.fit(x, y, {.epochs = 2, .batch_size = 16, .verbose = 0}); }, {x}, y);
}

// Dropout in a step retraced for a partial batch draws the call's mask (its masks are not the
// eager ones, Note [Random ops in graphs]); evaluation, where it is off, equals the eager model's.
TEST(ModelTraced, DropoutWithAPartialBatchTracesTwiceAndTrains) {
  auto x = tf::random::normal({50, 6}, {.seed = 15});  // 32 + 18
  auto y = tf::reduce_sum(x, 1, true);
  K::Sequential model({K::layers::Dense(16, {.activation = "relu"}), K::layers::Dropout(0.3), K::layers::Dense(1)});
  model.compile({.optimizer = K::optimizers::Adam({.learning_rate = 0.01}), .loss = "mse"});
  auto losses = model.fit(x, y, {.epochs = 3, .batch_size = 32, .verbose = 0}).history.at("loss");
  ASSERT_EQ(losses.size(), 3u);
  for (double l : losses) EXPECT_TRUE(std::isfinite(l)) << l;
  EXPECT_LT(losses[2], losses[0]);
  const double expected = tf::reduce_mean(tf::square(y - model(x, false))).item<float>();
  EXPECT_NEAR(model.evaluate(x, y, {.batch_size = 32, .verbose = 0}).at("loss"), expected, 1e-6 * expected);
}

// A recurrent layer unrolls its time steps while tracing, so the generalized trace of a second
// sequence length (reduce_retracing's None time dimension) cannot be made: predict traces that
// length exactly instead and gives the eager values, at each length.
TEST(ModelTraced, RecurrentPredictOnAnotherSequenceLengthTracesItExactly) {
  K::Sequential model({K::Input({-1, 3}), K::layers::LSTM(4), K::layers::Dense(2)});
  for (int64_t steps : {5, 3, 7}) {
    auto x = tf::random::normal({6, steps, 3}, {.seed = 20 + static_cast<int>(steps)});
    const auto traced = model.predict(x, {.verbose = 0}).to_vector<float>();
    const auto eager = model(x, false).to_vector<float>();
    ASSERT_EQ(traced.size(), eager.size());
    for (std::size_t i = 0; i < eager.size(); ++i) EXPECT_NEAR(traced[i], eager[i], 1e-6) << steps << " steps, " << i;
  }
}

// A step that needs a value on the host cannot be traced: a clear error says to run eagerly.
struct HostReadModel : CountingModel {
  void train_step(const tf::Tensor& x, const tf::Tensor& y) override {
    const float first = x.to_vector<float>()[0];  // a host read
    CountingModel::train_step(x * first, y);
  }
};

TEST(ModelTraced, AHostReadInATracedStepRaisesAndRunEagerlyWorks) {
  auto x = tf::random::normal({8, 5}, {.seed = 10});
  auto y = tf::reduce_sum(x, 1, true);
  HostReadModel model;
  model.compile({.optimizer = "sgd", .loss = "mse"});
  try {
    model.fit(x, y, {.epochs = 1, .batch_size = 8, .verbose = 0});
    ADD_FAILURE() << "expected FailedPreconditionError";
  } catch (const tf::errors::FailedPreconditionError& e) {
    EXPECT_NE(std::string(e.what()).find("compile it with {.run_eagerly = true}"), std::string::npos) << e.what();
  }
  HostReadModel eager;
  eager.compile({.optimizer = "sgd", .loss = "mse", .run_eagerly = true});
  auto h = eager.fit(x, y, {.epochs = 2, .batch_size = 8, .verbose = 0});
  EXPECT_EQ(h.history.at("loss").size(), 2u);
  EXPECT_EQ(*eager.traces, 2);
}

}  // namespace
