// Keras parity for training (issue 17): option structs in Keras's keyword order; the losses
// MeanAbsoluteError, Huber, the cross-entropies and their function forms (values and gradients);
// the metrics AUC, Precision, Recall, MeanSquaredError, MeanAbsoluteError, TopKCategoricalAccuracy
// over several update_state calls; Nadam, Adamax and minimize; the callbacks ReduceLROnPlateau,
// TerminateOnNaN and CSVLogger; K::utils and the model/layer helpers. References come from Keras 3
// on TensorFlow (tests/fixtures/gen_keras_training.py), in float64.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <unistd.h>

#include "tests/core/test_util.h"
#include "tests/nn/fixtures/keras_training_fixtures.h"

namespace {
namespace K = tf::keras;
namespace fx = fixtures::keras_training;
using tf::testing::expect_values;

tf::Tensor from_case(const fx::Case& c, tf::DType dtype = tf::float64) {
  return tf::constant(c.values, tf::Shape(c.shape), dtype);
}
void expect_case(const tf::Tensor& got, const fx::Case& want, double tol = 1e-6) {
  expect_values(got, tf::Shape(want.shape), want.values, tol);
}
double scalar(const fx::Case& c) { return c.values.at(0); }

// ---- option structs: Keras's keyword order, FitOptions's first fields in API.md's (docs/keras_training.md)

TEST(KerasOptionOrder, TheDocumentedKeywordOrderCompilesAndTrains) {
  tf::random::set_seed(3);
  auto x = tf::random::normal({64, 4}, {.seed = 1});
  auto y = tf::reduce_sum(x, 1, true);
  K::Sequential model({K::layers::Dense(1)});
  int epochs_seen = 0;
  // Every field of each struct, written in the documented order; fit's is API.md's example's:
  // model.fit(x_train, y_train, {.epochs = 5, .batch_size = 32, .validation_split = 0.1, .verbose = 1}).
  model.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.05}),
                 .loss = K::losses::MeanSquaredError(),
                 .metrics = {"mae"},
                 .weighted_metrics = {"mse"},
                 .run_eagerly = false});
  auto history = model.fit(x, y,
                           {.epochs = 6,
                            .batch_size = 16,
                            .validation_split = 0.25,
                            .validation_data = std::nullopt,
                            .shuffle = true,
                            .verbose = 0,
                            .callbacks = {K::callbacks::LambdaCallback(
                                {.on_epoch_end = [&](int, const K::callbacks::Logs&) { ++epochs_seen; }})},
                            .class_weight = {},
                            .sample_weight = std::nullopt,
                            .initial_epoch = 1,
                            .steps_per_epoch = std::nullopt,
                            .validation_steps = std::nullopt,
                            .validation_batch_size = 8,
                            .validation_freq = 1});
  auto r = model.evaluate(x, y, {.batch_size = 32, .verbose = 0, .steps = std::nullopt});
  auto p = model.predict(x, {.batch_size = 32, .verbose = 0});
  EXPECT_EQ(epochs_seen, 5);  // epochs 1..5
  EXPECT_EQ(history.epoch, (std::vector<int>{1, 2, 3, 4, 5}));
  ASSERT_TRUE(history.history.count("val_mae"));
  EXPECT_LT(history.history["loss"].back(), history.history["loss"].front());
  EXPECT_EQ(p.shape(), tf::Shape({64, 1}));
  // evaluate's loss is the mean squared error of predict's outputs.
  EXPECT_NEAR(r["loss"], tf::reduce_mean(tf::square(p - y)).item<float>(), 1e-4);
  EXPECT_NEAR(r["mae"], tf::reduce_mean(tf::abs(p - y)).item<float>(), 1e-4);
}

// fit(sample_weight=...) and fit(class_weight=...) against Keras: 2 epochs of SGD on a Dense(3)
// with Keras's initial weights, batches of 4 in order (float64 model, so the comparison is tight).
K::Sequential weighted_fit_model() {
  K::layers::Dense dense(3, {.dtype = tf::float64});
  K::Sequential model({dense});
  model(from_case(fx::fit_x));
  dense.set_weights({from_case(fx::fit_kernel), from_case(fx::fit_bias)});
  model.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.1}),
                 .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
  return model;
}

void expect_weighted_fit(K::Sequential& model, const K::callbacks::History& h, const fx::Case& kernel,
                         const fx::Case& bias, const fx::Case& loss, const fx::Case& accuracy) {
  expect_case(model.get_weights()[0], kernel, 1e-9);
  expect_case(model.get_weights()[1], bias, 1e-9);
  for (int e = 0; e < 2; ++e) {
    EXPECT_NEAR(h.history.at("loss")[e], loss.values[e], 1e-6);  // the tracker's float32 total
    EXPECT_NEAR(h.history.at("accuracy")[e], accuracy.values[e], 1e-7);
  }
}

TEST(KerasFitWeights, SampleWeightAndClassWeightMatchKeras) {
  auto labels = tf::cast(from_case(fx::fit_labels), tf::int32);
  auto sw_model = weighted_fit_model();
  auto h = sw_model.fit(from_case(fx::fit_x), labels,
                        {.epochs = 2,
                         .batch_size = 4,
                         .shuffle = false,
                         .verbose = 0,
                         .sample_weight = from_case(fx::fit_sample_weight)});
  expect_weighted_fit(sw_model, h, fx::fit_sw_kernel, fx::fit_sw_bias, fx::fit_sw_loss, fx::fit_sw_accuracy);

  auto cw_model = weighted_fit_model();
  h = cw_model.fit(
      from_case(fx::fit_x), labels,
      {.epochs = 2, .batch_size = 4, .shuffle = false, .verbose = 0, .class_weight = {{0, 0.5}, {1, 2.0}, {2, 1.0}}});
  expect_weighted_fit(cw_model, h, fx::fit_cw_kernel, fx::fit_cw_bias, fx::fit_cw_loss, fx::fit_cw_accuracy);
  // One-hot labels select their class weight by argmax, as Keras does.
  auto onehot_model = weighted_fit_model();
  onehot_model.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.1}),
                        .loss = K::losses::CategoricalCrossentropy({.from_logits = true}),
                        .metrics = {"accuracy"}});
  h = onehot_model.fit(
      from_case(fx::fit_x), K::utils::to_categorical(labels, 3),
      {.epochs = 2, .batch_size = 4, .shuffle = false, .verbose = 0, .class_weight = {{0, 0.5}, {1, 2.0}, {2, 1.0}}});
  expect_weighted_fit(onehot_model, h, fx::fit_cw_kernel, fx::fit_cw_bias, fx::fit_cw_loss, fx::fit_cw_accuracy);

  EXPECT_TF_ERROR(
      cw_model.fit(from_case(fx::fit_x), labels,
                   {.verbose = 0, .class_weight = {{0, 1.0}}, .sample_weight = from_case(fx::fit_sample_weight)}),
      tf::errors::InvalidArgumentError, "You cannot `class_weight` and `sample_weight` at the same time.");
  EXPECT_TF_ERROR(cw_model.fit(from_case(fx::fit_x), labels, {.verbose = 0, .class_weight = {{0, 1.0}, {1, 1.0}}}),
                  tf::errors::InvalidArgumentError, "class_weight has no entry for class 2");
  EXPECT_TF_ERROR(cw_model.fit(from_case(fx::fit_x), labels, {.verbose = 0, .sample_weight = tf::ones({3})}),
                  tf::errors::InvalidArgumentError, "sample_weight must hold one weight per sample (8)");
}

// compile(weighted_metrics) against Keras: weighted by fit's and evaluate's sample_weight (unweighted
// without one), named "weighted_<name>" only where `metrics` has the name; traced and eager alike.
void expect_logs(const std::map<std::string, double>& got, const std::map<std::string, const fx::Case*>& want,
                 std::size_t index = 0) {
  std::vector<std::string> got_names, want_names;
  for (const auto& [k, _] : got) got_names.push_back(k);
  for (const auto& [k, _] : want) want_names.push_back(k);
  EXPECT_EQ(got_names, want_names);
  for (const auto& [k, c] : want)
    if (got.count(k)) EXPECT_NEAR(got.at(k), c->values.at(index), 1e-6) << k;
}

TEST(KerasWeightedMetrics, WeightedBySampleWeightAndNamedAsKeras) {
  const auto labels = tf::cast(from_case(fx::fit_labels), tf::int32);
  const tf::Tensor x = from_case(fx::fit_x), sw = from_case(fx::fit_sample_weight);
  for (bool eager : {false, true}) {
    for (bool both : {true, false}) {
      SCOPED_TRACE(std::string(eager ? "eager" : "traced") + (both ? ", metrics and weighted_metrics" : ""));
      auto model = weighted_fit_model();
      model.compile(
          {.optimizer = K::optimizers::SGD({.learning_rate = 0.1}),
           .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
           .metrics = both ? std::vector<K::metrics::AnyMetric>{"accuracy"} : std::vector<K::metrics::AnyMetric>{},
           .weighted_metrics = {"accuracy"},
           .run_eagerly = eager});
      const auto h =
          model.fit(x, labels, {.epochs = 2, .batch_size = 4, .shuffle = false, .verbose = 0, .sample_weight = sw});
      const auto ev = model.evaluate(x, labels, {.batch_size = 4, .verbose = 0, .sample_weight = sw});
      const auto unweighted = model.evaluate(x, labels, {.batch_size = 4, .verbose = 0});
      for (int e = 0; e < 2; ++e) {
        std::map<std::string, double> logs;
        for (const auto& [k, v] : h.history) logs[k] = v.at(std::size_t(e));
        if (both)
          expect_logs(logs,
                      {{"loss", &fx::wm_both_fit_loss},
                       {"accuracy", &fx::wm_both_fit_accuracy},
                       {"weighted_accuracy", &fx::wm_both_fit_weighted_accuracy}},
                      std::size_t(e));
        else
          expect_logs(logs, {{"loss", &fx::wm_only_fit_loss}, {"accuracy", &fx::wm_only_fit_accuracy}}, std::size_t(e));
      }
      if (both) {
        expect_logs(ev, {{"loss", &fx::wm_both_evaluate_loss},
                         {"accuracy", &fx::wm_both_evaluate_accuracy},
                         {"weighted_accuracy", &fx::wm_both_evaluate_weighted_accuracy}});
        expect_logs(unweighted, {{"loss", &fx::wm_both_unweighted_evaluate_loss},
                                 {"accuracy", &fx::wm_both_unweighted_evaluate_accuracy},
                                 {"weighted_accuracy", &fx::wm_both_unweighted_evaluate_weighted_accuracy}});
        // By position: the loss, the metrics, then the weighted metrics (each once).
        EXPECT_EQ(ev.names(), (std::vector<std::string>{"loss", "accuracy", "weighted_accuracy"}));
      } else {
        expect_logs(ev, {{"loss", &fx::wm_only_evaluate_loss}, {"accuracy", &fx::wm_only_evaluate_accuracy}});
        expect_logs(unweighted, {{"loss", &fx::wm_only_unweighted_evaluate_loss},
                                 {"accuracy", &fx::wm_only_unweighted_evaluate_accuracy}});
      }
    }
  }
}

// fit(validation_batch_size): the validation data's batches (validation_data or validation_split),
// batch_size's when unset; traced and eager alike. The batch sizes test_step sees are recorded
// (-1: None): eagerly every batch's; traced, those of its traces (reduce_retracing: the first size,
// then None, which serves every later size).
struct BatchRecorder : K::Sequential {
  using K::Sequential::Sequential;
  std::set<int64_t> test_batches;
  void test_step(const tf::Tensor& x, const tf::Tensor& y) override {
    test_batches.insert(x.shape()[0] < 0 ? -1 : x.shape()[0]);
    K::Sequential::test_step(x, y);
  }
};

TEST(KerasFitValidationBatchSize, BatchesTheValidationDataAsKeras) {
  const tf::Tensor x = tf::reshape(tf::range(0.0, 40.0, 1.0, tf::float32), {20, 2}) * 0.05f;
  const tf::Tensor y = tf::reduce_sum(x, 1, true);
  for (bool eager : {false, true}) {
    SCOPED_TRACE(eager ? "eager" : "traced");
    BatchRecorder model({K::layers::Dense(1)});
    model.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.01}),
                   .loss = K::losses::MeanSquaredError(),
                   .run_eagerly = eager});
    auto h = model.fit(x, y,
                       {.batch_size = 4, .validation_data = std::pair{x, y}, .verbose = 0, .validation_batch_size = 7});
    EXPECT_EQ(model.test_batches, (eager ? std::set<int64_t>{7, 6} : std::set<int64_t>{7, -1}));  // 20 = 7 + 7 + 6
    // The validation loss does not depend on the batching: evaluate's with one batch.
    EXPECT_NEAR(h.history.at("val_loss").at(0), model.evaluate(x, y, {.batch_size = 20, .verbose = 0})["loss"], 1e-6);
    model.test_batches.clear();
    model.fit(x, y, {.batch_size = 4, .validation_split = 0.3, .verbose = 0, .validation_batch_size = 5});
    EXPECT_EQ(model.test_batches, (eager ? std::set<int64_t>{5, 1} : std::set<int64_t>{}));  // the last 6 samples
    model.test_batches.clear();
    model.fit(x, y, {.batch_size = 4, .validation_split = 0.3, .verbose = 0});
    EXPECT_EQ(model.test_batches, (eager ? std::set<int64_t>{4, 2} : std::set<int64_t>{}));  // batch_size's
    EXPECT_TF_ERROR(model.fit(x, y, {.validation_data = std::pair{x, y}, .verbose = 0, .validation_batch_size = 0}),
                    tf::errors::InvalidArgumentError, "validation_batch_size must be a positive integer, got 0");
  }
}

// ---- losses ------------------------------------------------------------------------------------

struct LossCase {
  const char* name;
  std::function<tf::Tensor(const tf::Tensor&, const tf::Tensor&, const std::optional<tf::Tensor>&)> loss;
  const fx::Case &y_true, &y_pred, &value, &grad, &weighted;
};

std::vector<LossCase> loss_cases() {
  auto wrap = [](auto loss) {
    return
        [loss](const tf::Tensor& t, const tf::Tensor& p, const std::optional<tf::Tensor>& w) { return loss(t, p, w); };
  };
  return {
      {"mae", wrap(K::losses::MeanAbsoluteError()), fx::reg_true, fx::reg_pred, fx::mae_loss, fx::mae_grad,
       fx::mae_weighted},
      {"mse", wrap(K::losses::MeanSquaredError()), fx::reg_true, fx::reg_pred, fx::mse_loss, fx::mse_grad,
       fx::mse_weighted},
      {"huber", wrap(K::losses::Huber()), fx::reg_true, fx::reg_pred, fx::huber_loss, fx::huber_grad,
       fx::huber_weighted},
      {"huber_delta", wrap(K::losses::Huber({.delta = 0.4})), fx::reg_true, fx::reg_pred, fx::huber_delta_loss,
       fx::huber_delta_grad, fx::huber_delta_weighted},
      {"cce_probs", wrap(K::losses::CategoricalCrossentropy()), fx::onehot, fx::probs, fx::cce_probs_loss,
       fx::cce_probs_grad, fx::cce_probs_weighted},
      {"cce_logits", wrap(K::losses::CategoricalCrossentropy({.from_logits = true})), fx::onehot, fx::logits,
       fx::cce_logits_loss, fx::cce_logits_grad, fx::cce_logits_weighted},
      {"bce_probs", wrap(K::losses::BinaryCrossentropy()), fx::bin_true, fx::bin_probs, fx::bce_probs_loss,
       fx::bce_probs_grad, fx::bce_probs_weighted},
      {"bce_logits", wrap(K::losses::BinaryCrossentropy({.from_logits = true})), fx::bin_true, fx::bin_logits,
       fx::bce_logits_loss, fx::bce_logits_grad, fx::bce_logits_weighted},
  };
}

TEST(KerasLosses, ValuesAndGradientsMatchKeras) {
  for (const LossCase& c : loss_cases()) {
    SCOPED_TRACE(c.name);
    tf::Variable y_pred(from_case(c.y_pred));
    tf::GradientTape tape;
    tf::Tensor value = c.loss(from_case(c.y_true), y_pred, std::nullopt);
    tape.stop();
    expect_case(value, c.value, 1e-9);
    expect_case(*tape.gradient(value, y_pred), c.grad, 1e-9);
    expect_case(c.loss(from_case(c.y_true), y_pred.read_value(), from_case(fx::sample_weight)), c.weighted, 1e-9);
  }
}

TEST(KerasLosses, Float32LabelsAgainstFloat32Predictions) {
  // The usual case: float32 everywhere, integer-valued one-hot labels cast to the predictions' dtype.
  auto got = K::losses::CategoricalCrossentropy({.from_logits = true})(tf::cast(from_case(fx::onehot), tf::int32),
                                                                       from_case(fx::logits, tf::float32));
  expect_case(got, fx::cce_logits_loss, 1e-5);
  expect_case(K::losses::Huber()(from_case(fx::reg_true, tf::float32), from_case(fx::reg_pred, tf::float32)),
              fx::huber_loss, 1e-5);
}

TEST(KerasLosses, FunctionFormsGivePerSampleLosses) {
  auto t = from_case(fx::reg_true), p = from_case(fx::reg_pred);
  expect_case(K::losses::mean_squared_error(t, p), fx::fn_mse, 1e-9);
  expect_case(K::losses::mean_absolute_error(t, p), fx::fn_mae, 1e-9);
  expect_case(K::losses::huber(t, p, 0.4), fx::fn_huber, 1e-9);
  expect_case(K::losses::categorical_crossentropy(from_case(fx::onehot), from_case(fx::probs)), fx::fn_cce, 1e-9);
  expect_case(K::losses::categorical_crossentropy(from_case(fx::onehot), from_case(fx::logits), true),
              fx::fn_cce_logits, 1e-9);
  expect_case(K::losses::sparse_categorical_crossentropy(tf::cast(from_case(fx::sparse), tf::int32),
                                                         from_case(fx::logits), true),
              fx::fn_scce_logits, 1e-9);
  expect_case(K::losses::binary_crossentropy(from_case(fx::bin_true), from_case(fx::bin_probs)), fx::fn_bce, 1e-9);
  expect_case(K::losses::binary_crossentropy(from_case(fx::bin_true), from_case(fx::bin_logits), true),
              fx::fn_bce_logits, 1e-9);
}

TEST(KerasLosses, ByNameAndBadInputs) {
  auto t = from_case(fx::reg_true), p = from_case(fx::reg_pred);
  K::losses::AnyLoss mae = "mae", huber = "huber";
  EXPECT_EQ(mae->name(), "mean_absolute_error");
  EXPECT_EQ(huber->name(), "huber_loss");
  expect_case((*mae)(t, p), fx::mae_loss, 1e-9);
  EXPECT_TF_ERROR(K::losses::Huber({.delta = 0}), tf::errors::InvalidArgumentError, "delta must be positive");
  EXPECT_TF_ERROR(K::losses::BinaryCrossentropy({.name = "my_bce"})(tf::ones({2, 3}), tf::ones({2, 2})),
                  tf::errors::InvalidArgumentError, "Loss \"my_bce\": Arguments `target` and `output`");
  EXPECT_TF_ERROR(K::losses::categorical_crossentropy(tf::ones({2, 3}), tf::ones({2, 2})),
                  tf::errors::InvalidArgumentError, "Loss \"categorical_crossentropy\"");
}

// ---- metrics: three update_state calls, the third weighted ---------------------------------------

template <typename M> double streamed(M metric) {
  const fx::Case* ys[] = {&fx::bin_y0, &fx::bin_y1, &fx::bin_y2};
  const fx::Case* ps[] = {&fx::bin_p0, &fx::bin_p1, &fx::bin_p2};
  for (int i = 0; i < 3; ++i) {
    std::optional<tf::Tensor> w;
    if (i == 2) w = from_case(fx::bin_w2, tf::float32);
    metric.update_state(from_case(*ys[i], tf::float32), from_case(*ps[i], tf::float32), w);
  }
  return metric.result().template item<float>();
}

TEST(KerasMetrics, ConfusionMetricsMatchKeras) {
  EXPECT_NEAR(streamed(K::metrics::AUC()), scalar(fx::auc_roc), 2e-6);
  EXPECT_NEAR(streamed(K::metrics::AUC({.curve = "PR"})), scalar(fx::auc_pr), 2e-6);
  EXPECT_NEAR(streamed(K::metrics::AUC({.num_thresholds = 10})), scalar(fx::auc_roc_10), 2e-6);
  EXPECT_NEAR(streamed(K::metrics::Precision()), scalar(fx::precision), 2e-6);
  EXPECT_NEAR(streamed(K::metrics::Recall()), scalar(fx::recall), 2e-6);
  EXPECT_NEAR(streamed(K::metrics::Precision({.thresholds = 0.7})), scalar(fx::precision_07), 2e-6);
  EXPECT_NEAR(streamed(K::metrics::Recall({.thresholds = 0.7})), scalar(fx::recall_07), 2e-6);
}

TEST(KerasMetrics, RegressionAndTopKMetricsMatchKeras) {
  EXPECT_NEAR(streamed(K::metrics::MeanSquaredError()), scalar(fx::metric_mse), 2e-6);
  EXPECT_NEAR(streamed(K::metrics::MeanAbsoluteError()), scalar(fx::metric_mae), 2e-6);
  auto topk = [](K::metrics::TopKCategoricalAccuracy m) {
    m.update_state(from_case(fx::cat_y0, tf::float32), from_case(fx::cat_p0, tf::float32));
    m.update_state(from_case(fx::cat_y1, tf::float32), from_case(fx::cat_p1, tf::float32));
    return double(m.result().item<float>());
  };
  EXPECT_NEAR(topk(K::metrics::TopKCategoricalAccuracy()), scalar(fx::top5), 1e-7);
  EXPECT_NEAR(topk(K::metrics::TopKCategoricalAccuracy({.k = 2})), scalar(fx::top2), 1e-7);
}

TEST(KerasMetrics, ResetNamesAndEdgeCases) {
  K::metrics::AUC auc;
  EXPECT_EQ(auc.name(), "auc");
  EXPECT_FLOAT_EQ(auc.result().item<float>(), 0.0f);  // nothing seen: 0, not NaN
  // Perfectly separated scores: AUC 1 (up to the threshold grid), precision and recall 1.
  auto y = tf::constant({0.f, 0.f, 1.f, 1.f}), p = tf::constant({0.1f, 0.2f, 0.8f, 0.9f});
  auc.update_state(y, p);
  EXPECT_NEAR(auc.result().item<float>(), 1.0, 1e-6);
  auc.reset_state();
  EXPECT_FLOAT_EQ(auc.result().item<float>(), 0.0f);
  K::metrics::Precision precision;
  precision.update_state(y, p);
  EXPECT_FLOAT_EQ(precision.result().item<float>(), 1.0f);
  EXPECT_EQ(K::metrics::AnyMetric("mae").resolve("mse")->name(), "mae");
  EXPECT_EQ(K::metrics::AnyMetric("auc").resolve("mse")->name(), "auc");
  EXPECT_TF_ERROR(K::metrics::AUC({.num_thresholds = 1}), tf::errors::InvalidArgumentError, "num_thresholds");
  EXPECT_TF_ERROR(K::metrics::AUC({.curve = "XY"}), tf::errors::InvalidArgumentError, "Invalid AUC curve");
  EXPECT_TF_ERROR(precision.update_state(tf::ones({4}), tf::ones({3})), tf::errors::InvalidArgumentError,
                  "Metric \"precision\": y_true and y_pred must have the same shape");
}

// ---- optimizers -----------------------------------------------------------------------------------

void expect_trajectory(K::optimizers::Optimizer& opt, const fx::Case& want_w, const fx::Case& want_b) {
  const fx::Case* gw[] = {&fx::opt_gw0, &fx::opt_gw1, &fx::opt_gw2, &fx::opt_gw3, &fx::opt_gw4};
  const fx::Case* gb[] = {&fx::opt_gb0, &fx::opt_gb1, &fx::opt_gb2, &fx::opt_gb3, &fx::opt_gb4};
  tf::Variable w(from_case(fx::opt_w0)), b(from_case(fx::opt_b0));
  for (int i = 0; i < 5; ++i) opt.apply_gradients({from_case(*gw[i]), from_case(*gb[i])}, {w, b});
  // Keras (even in float64) turns some Python constants of its update into float32 tensors
  // (beta_2 in `ops.multiply(beta_2, u)`), which moves its float64 trajectory by up to 5e-8;
  // the same formula in exact float64 (NumPy) agrees with ours to the last bits.
  expect_case(w.read_value(), want_w, 1e-7);
  expect_case(b.read_value(), want_b, 1e-7);
}

TEST(KerasOptimizers, NadamAndAdamaxMatchKeras) {
  K::optimizers::Nadam nadam({.learning_rate = 0.01});
  expect_trajectory(nadam, fx::nadam_w, fx::nadam_b);
  K::optimizers::Nadam nadam_betas({.learning_rate = 0.05, .beta_1 = 0.8, .beta_2 = 0.99});
  expect_trajectory(nadam_betas, fx::nadam_betas_w, fx::nadam_betas_b);
  K::optimizers::Adamax adamax({.learning_rate = 0.01});
  expect_trajectory(adamax, fx::adamax_w, fx::adamax_b);
  K::optimizers::Adamax adamax_decay({.learning_rate = 0.05, .weight_decay = 0.1});
  expect_trajectory(adamax_decay, fx::adamax_decay_w, fx::adamax_decay_b);
  EXPECT_EQ(nadam.name(), "nadam");
  EXPECT_EQ(adamax.name(), "adamax");
  tf::Variable w(from_case(fx::opt_w0));
  K::optimizers::AnyOptimizer by_name = "adamax";
  by_name->apply_gradients({from_case(fx::opt_gw0)}, {w});
  EXPECT_TRUE(by_name->slot(w, "norm").defined());
}

// Nadam's momentum-schedule product is recomputed from the step count after a restore, so a run
// resumed from a checkpoint after 3 steps ends bit-identical to an uninterrupted one.
TEST(KerasOptimizers, NadamResumesFromACheckpointBitForBit) {
  const fx::Case* gw[] = {&fx::opt_gw0, &fx::opt_gw1, &fx::opt_gw2, &fx::opt_gw3, &fx::opt_gw4};
  const fx::Case* gb[] = {&fx::opt_gb0, &fx::opt_gb1, &fx::opt_gb2, &fx::opt_gb3, &fx::opt_gb4};
  auto steps = [&](K::optimizers::Nadam& opt, tf::Variable& w, tf::Variable& b, int from, int to) {
    for (int i = from; i < to; ++i) opt.apply_gradients({from_case(*gw[i]), from_case(*gb[i])}, {w, b});
  };
  K::optimizers::Nadam straight({.learning_rate = 0.01});
  tf::Variable w(from_case(fx::opt_w0)), b(from_case(fx::opt_b0));
  steps(straight, w, b, 0, 5);

  const auto dir = std::filesystem::temp_directory_path() / ("tapeflow_nadam_" + std::to_string(::getpid()));
  K::optimizers::Nadam first({.learning_rate = 0.01});
  tf::Variable w1(from_case(fx::opt_w0)), b1(from_case(fx::opt_b0));
  steps(first, w1, b1, 0, 3);
  tf::train::Checkpoint({{"w", w1}, {"b", b1}, {"optimizer", first}}).write((dir / "ckpt").string());
  K::optimizers::Nadam resumed({.learning_rate = 0.01});
  tf::Variable w2(tf::zeros({2, 3}, tf::float64)), b2(tf::zeros({3}, tf::float64));
  tf::train::Checkpoint({{"w", w2}, {"b", b2}, {"optimizer", resumed}}).restore((dir / "ckpt").string());
  EXPECT_EQ(resumed.iterations(), 3);
  steps(resumed, w2, b2, 3, 5);
  EXPECT_EQ(w2.read_value().to_vector<double>(), w.read_value().to_vector<double>());
  EXPECT_EQ(b2.read_value().to_vector<double>(), b.read_value().to_vector<double>());
  expect_case(w.read_value(), fx::nadam_w, 1e-7);
  std::filesystem::remove_all(dir);
}

TEST(KerasOptimizers, MinimizeTakesOneStepOnTheLossFunction) {
  tf::Variable w(tf::constant({1.0, -2.0}, tf::float64)), frozen(tf::constant(3.0, tf::float64), {.trainable = false});
  auto x = tf::constant({0.5, 1.5}, tf::float64);
  K::optimizers::SGD sgd({.learning_rate = 0.1});
  // loss = sum((w * x - frozen)^2): d/dw = 2 (w x - f) x, d/df = -2 sum(w x - f).
  auto loss = [&] { return tf::reduce_sum(tf::square(w * x - frozen)); };
  sgd.minimize(loss, {w, frozen});
  const double r0 = 1.0 * 0.5 - 3.0, r1 = -2.0 * 1.5 - 3.0;
  expect_values(w.read_value(), tf::Shape({2}), {1.0 - 0.1 * 2 * r0 * 0.5, -2.0 - 0.1 * 2 * r1 * 1.5}, 1e-12);
  EXPECT_NEAR(frozen.read_value().item<double>(), 3.0 + 0.1 * 2 * (r0 + r1), 1e-12);
  EXPECT_EQ(sgd.iterations(), 1);
  // A loss that ignores the variables is Keras's "No gradients provided" error.
  EXPECT_TF_ERROR(sgd.minimize([] { return tf::constant(1.0, tf::float64); }, {w}), tf::errors::InvalidArgumentError,
                  "No gradients provided");
}

// ---- callbacks -----------------------------------------------------------------------------------

K::Sequential compiled_model(double learning_rate = 0.1) {
  K::Sequential model({K::layers::Dense(1)});
  model.compile({.optimizer = K::optimizers::SGD({.learning_rate = learning_rate}), .loss = "mse"});
  return model;
}

void expect_plateau_rates(K::callbacks::ReduceLROnPlateau cb, const std::string& monitor, const fx::Case& monitored,
                          const fx::Case& rates) {
  auto model = compiled_model();
  cb.set_model(&model);
  cb.on_train_begin({});
  for (std::size_t e = 0; e < monitored.values.size(); ++e) {
    cb.on_epoch_end(int(e), {{monitor, monitored.values[e]}});
    // Keras in float64 keeps the rate in float64; ours is read back through float32 as Keras's
    // float32 variable is (ReduceLROnPlateauInFitPrintsAsKeras), so each reduction rounds once.
    EXPECT_NEAR(model.optimizer().learning_rate(), rates.values[e], 1e-6 * rates.values[e]) << "epoch " << e;
  }
}

TEST(KerasCallbacks, ReduceLROnPlateauMatchesKeras) {
  expect_plateau_rates(
      K::callbacks::ReduceLROnPlateau({.factor = 0.5, .patience = 2, .min_delta = 0.01, .cooldown = 1, .min_lr = 0.02}),
      "val_loss", fx::plateau_min_monitored, fx::plateau_min_rates);
  expect_plateau_rates(
      K::callbacks::ReduceLROnPlateau({.monitor = "val_accuracy", .factor = 0.2, .patience = 1, .min_delta = 0.0}),
      "val_accuracy", fx::plateau_max_monitored, fx::plateau_max_rates);
  EXPECT_TF_ERROR(K::callbacks::ReduceLROnPlateau({.factor = 1.5}), tf::errors::InvalidArgumentError,
                  "does not support a factor >= 1.0. Received factor=1.5");
  auto model = compiled_model();
  K::callbacks::ReduceLROnPlateau unknown({.monitor = "val_my_score"});
  unknown.set_model(&model);
  EXPECT_TF_ERROR(unknown.on_epoch_end(0, {{"val_my_score", 1.0}}), tf::errors::InvalidArgumentError,
                  "isn't able to automatically determine");
}

TEST(KerasCallbacks, ReduceLROnPlateauInFitPrintsAsKeras) {
  auto model = compiled_model(0.001);
  auto x = tf::ones({8, 1}), y = tf::ones({8, 1});
  testing::internal::CaptureStdout();
  // loss is monitored: patience 0 reduces after every epoch that does not improve by 10.
  model.fit(x, y,
            {.epochs = 2,
             .batch_size = 8,
             .verbose = 0,
             .callbacks = {K::callbacks::ReduceLROnPlateau(
                 {.monitor = "loss", .factor = 0.5, .patience = 0, .verbose = 1, .min_delta = 10})}});
  const std::string out = testing::internal::GetCapturedStdout();
  // Keras reads the rate from its float32 variable: 0.001f / 2, printed as Python prints floats.
  EXPECT_NE(out.find("\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.0005000000237487257.\n"),
            std::string::npos)
      << out;
  EXPECT_NEAR(model.optimizer().learning_rate(), 0.0005000000237487257, 1e-15);
}

TEST(KerasCallbacks, TerminateOnNaNStopsAfterTheBadBatch) {
  auto x = tf::ones({12, 1});
  auto y = tf::reshape(tf::constant({1.f, 1.f, 1.f, 1.f, 1.f, 1.f, NAN, 1.f, 1.f, 1.f, 1.f, 1.f}), {12, 1});
  auto model = compiled_model();
  int batches = 0;
  testing::internal::CaptureStdout();
  auto history = model.fit(x, y,
                           {.epochs = 3,
                            .batch_size = 3,
                            .shuffle = false,
                            .verbose = 0,
                            .callbacks = {K::callbacks::TerminateOnNaN(),
                                          K::callbacks::LambdaCallback(
                                              {.on_batch_end = [&](int, const K::callbacks::Logs&) { ++batches; }})}});
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(out, "Batch 2: Invalid loss, terminating training\n");
  EXPECT_EQ(batches, 3);                          // batches 0, 1 and the NaN batch 2; not batch 3
  EXPECT_EQ(history.epoch, std::vector<int>{0});  // the epoch still ends (Keras's on_epoch_end runs)
  auto model2 = compiled_model();
  EXPECT_THROW(model2.fit(x, y,
                          {.epochs = 1,
                           .batch_size = 3,
                           .shuffle = false,
                           .verbose = 0,
                           .callbacks = {K::callbacks::TerminateOnNaN({.raise_error = true})}}),
               tf::RuntimeError);
}

TEST(KerasCallbacks, LearningRateSchedulerAndEarlyStoppingPrintAsKeras) {
  auto model = compiled_model();
  auto x = tf::ones({4, 1}), y = tf::ones({4, 1});
  std::vector<double> rates;
  testing::internal::CaptureStdout();
  // schedule(epoch) as well as schedule(epoch, lr); a loss that cannot improve by 100 stops at epoch 2.
  auto history = model.fit(
      x, y,
      {.epochs = 5,
       .batch_size = 4,
       .verbose = 0,
       .callbacks = {
           K::callbacks::LearningRateScheduler([](int epoch) { return 0.01 / (epoch + 1); }, 1),
           K::callbacks::EarlyStopping(
               {.monitor = "loss", .min_delta = 100, .patience = 1, .verbose = 1, .restore_best_weights = true}),
           K::callbacks::LambdaCallback({.on_epoch_end = [&](int, const K::callbacks::Logs&) {
             rates.push_back(model.optimizer().learning_rate());
           }})}});
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(out,
            "\nEpoch 1: LearningRateScheduler setting learning rate to 0.01.\n"
            "\nEpoch 2: LearningRateScheduler setting learning rate to 0.005.\n"
            "Epoch 2: early stopping\n"
            "Restoring model weights from the end of the best epoch: 1.\n");
  EXPECT_EQ(rates, (std::vector<double>{0.01, 0.005}));
  // Keras 3 adds the rate (read from its float32 variable) to the epoch logs History keeps.
  EXPECT_EQ(history.history.at("learning_rate"), (std::vector<double>{0.01f, 0.005f}));
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(KerasCallbacks, CSVLoggerWritesKerasFileByteForByte) {
  const auto dir = std::filesystem::temp_directory_path() / ("tapeflow_csv_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "log.csv";
  K::callbacks::CSVLogger logger(path.string());
  // The epoch logs gen_keras_training.py gave Keras's CSVLogger.
  const std::vector<K::callbacks::Logs> epochs{{{"loss", 0.6931471824645996}, {"accuracy", 0.5}, {"mae", 1e-05}},
                                               {{"loss", 0.25}, {"accuracy", 0.8125}, {"mae", 12345678901234567.0}},
                                               {{"loss", NAN}, {"accuracy", 1.0}, {"mae", 0.1}}};
  logger.on_train_begin({});
  for (std::size_t e = 0; e < epochs.size(); ++e) logger.on_epoch_end(int(e), epochs[e]);
  logger.on_train_end({});
  EXPECT_EQ(read_file(path), read_file(std::string(TAPEFLOW_TEST_DIR) + "/nn/fixtures/csv_logger.csv"));

  // In fit, with validation: the columns are the sorted keys; append adds rows, not a header.
  auto model = compiled_model();
  auto x = tf::ones({8, 1}), y = tf::ones({8, 1});
  model.fit(x, y, {.epochs = 2, .batch_size = 4, .validation_split = 0.5, .verbose = 0, .callbacks = {logger}});
  model.fit(x, y,
            {.epochs = 1,
             .batch_size = 4,
             .validation_split = 0.5,
             .verbose = 0,
             .callbacks = {K::callbacks::CSVLogger(path.string(), ";", /*append=*/true)}});
  std::vector<std::string> lines;
  std::stringstream text(read_file(path));
  for (std::string line; std::getline(text, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "epoch,loss,val_loss\r");
  // A ReduceLROnPlateau before the logger adds its learning_rate column, as in Keras.
  model.fit(
      x, y,
      {.epochs = 1,
       .batch_size = 4,
       .verbose = 0,
       .callbacks = {K::callbacks::ReduceLROnPlateau({.monitor = "loss"}), K::callbacks::CSVLogger(path.string())}});
  // (no validation: Keras adds a val_ column per key, val_learning_rate included).
  const std::string header = "epoch,learning_rate,loss,val_learning_rate,val_loss\r\n";
  EXPECT_EQ(read_file(path).substr(0, header.size()), header);
  EXPECT_EQ(lines[1].rfind("0,", 0), 0u);
  EXPECT_EQ(lines[3].rfind("0;", 0), 0u);
  EXPECT_TF_ERROR(K::callbacks::CSVLogger((dir / "missing" / "log.csv").string()).on_train_begin({}),
                  tf::errors::NotFoundError, "CSVLogger: cannot open");
  std::filesystem::remove_all(dir);
}

// ---- utilities, model and layer helpers -------------------------------------------------------

TEST(KerasUtils, ToCategoricalMatchesKeras) {
  expect_case(K::utils::to_categorical(tf::constant({0, 2, 1, 2, 0}), 4), fx::to_categorical, 0);
  expect_case(K::utils::to_categorical(tf::constant({{1, 0}, {2, 2}})), fx::to_categorical_2d, 0);
  // A trailing axis of 1 is dropped, as Keras does: (3, 1) labels give (3, 3).
  EXPECT_EQ(K::utils::to_categorical(tf::constant({{0}, {1}, {2}})).shape(), tf::Shape({3, 3}));
  EXPECT_EQ(K::utils::to_categorical(tf::constant({1, 0})).dtype(), tf::float32);
  EXPECT_TF_ERROR(K::utils::to_categorical(tf::constant({0, 3}), 3), tf::errors::InvalidArgumentError,
                  "label 3 is outside [0, 3)");
  EXPECT_TF_ERROR(K::utils::to_categorical(tf::constant({-1, 0})), tf::errors::InvalidArgumentError,
                  "label -1 is outside");
}

TEST(KerasUtils, SetRandomSeedRepeatsInitialization) {
  auto init = [] {
    K::utils::set_random_seed(1234);
    K::layers::Dense d(3);
    d(tf::ones({1, 2}));
    return d.get_weights()[0].to_vector<float>();
  };
  const auto a = init(), b = init();
  EXPECT_EQ(a, b);
  K::utils::set_random_seed(99);
  K::layers::Dense other(3);
  other(tf::ones({1, 2}));
  EXPECT_NE(other.get_weights()[0].to_vector<float>(), a);
}

TEST(KerasModelHelpers, GetLayerLayersWeightsAndPop) {
  K::layers::Dense hidden(4, {.name = "hidden"}), out(2, {.name = "out"});
  K::Sequential model({hidden, out});
  model(tf::ones({1, 3}));
  ASSERT_EQ(model.layers().size(), 2u);
  EXPECT_EQ(model.get_layer("out")->name(), "out");
  EXPECT_EQ(model.get_layer(0)->name(), "hidden");
  EXPECT_TF_ERROR(model.get_layer("nope"), tf::errors::InvalidArgumentError,
                  "No such layer: nope. Existing layers are: [hidden, out].");
  EXPECT_TF_ERROR(model.get_layer(2), tf::errors::InvalidArgumentError, "index 2 but model only has 2 layers");

  // A layer's weights out and back in, and the errors Keras raises.
  auto weights = hidden.get_weights();
  ASSERT_EQ(weights.size(), 2u);
  EXPECT_EQ(weights[0].shape(), tf::Shape({3, 4}));
  hidden.set_weights({tf::fill({3, 4}, 0.5f), tf::fill({4}, 1.0f)});
  expect_values(model.get_layer("hidden")->get_weights()[1], tf::Shape({4}), {1.0, 1.0, 1.0, 1.0}, 0);
  EXPECT_TF_ERROR(hidden.set_weights({weights[0]}), tf::errors::InvalidArgumentError,
                  "with a weight list of length 1, but the layer was expecting 2 weights");
  EXPECT_TF_ERROR(hidden.set_weights({tf::ones({4, 3}), weights[1]}), tf::errors::InvalidArgumentError,
                  "Layer hidden weight shape (3, 4) is not compatible with provided weight shape (4, 3).");

  // pop removes the last layer and its weights; the model then outputs the hidden layer.
  EXPECT_EQ(model.get_weights().size(), 4u);
  auto popped = model.pop();
  EXPECT_EQ(popped->name(), "out");
  EXPECT_EQ(model.layers().size(), 1u);
  EXPECT_EQ(model.trainable_variables().size(), 2u);
  expect_values(model(tf::ones({1, 3})), tf::Shape({1, 4}), {2.5, 2.5, 2.5, 2.5}, 1e-6);
  model.pop();
  EXPECT_TF_ERROR(model.pop(), tf::errors::InvalidArgumentError, "There are no layers in the model.");
}

}  // namespace
