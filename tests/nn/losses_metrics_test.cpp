// K::losses and K::metrics against Keras 3 (tests/fixtures/gen_keras.py).
#include <gtest/gtest.h>

#include "tests/nn/nn_test_util.h"

namespace {
namespace K = tf::keras;
namespace fx = fixtures::keras;
using tf::testing::expect_case;
using tf::testing::from_case;

tf::Tensor labels() { return tf::cast(from_case(fx::loss_sparse), tf::int32); }

TEST(Losses, MatchKeras) {
  auto logits = from_case(fx::loss_logits), probs = from_case(fx::loss_probs), onehot = from_case(fx::loss_onehot);
  expect_case(K::losses::CategoricalCrossentropy({.from_logits = true})(onehot, logits), fx::cce_logits);
  expect_case(K::losses::CategoricalCrossentropy()(onehot, probs), fx::cce_probs);
  expect_case(K::losses::SparseCategoricalCrossentropy({.from_logits = true})(labels(), logits), fx::scce_logits);
  expect_case(K::losses::SparseCategoricalCrossentropy()(labels(), probs), fx::scce_probs);
  expect_case(
      K::losses::BinaryCrossentropy({.from_logits = true})(from_case(fx::bce_true), from_case(fx::bce_logits_in)),
      fx::bce_logits);
  expect_case(K::losses::BinaryCrossentropy()(from_case(fx::bce_true), from_case(fx::bce_probs_in)), fx::bce_probs);
  expect_case(K::losses::MeanSquaredError()(from_case(fx::mse_a), from_case(fx::mse_b)), fx::mse);
}

TEST(Losses, FromLogitsIsStableForHugeLogits) {
  auto big = from_case(fx::loss_big_logits);
  expect_case(K::losses::SparseCategoricalCrossentropy({.from_logits = true})(labels(), big), fx::scce_big_logits);
  expect_case(K::losses::CategoricalCrossentropy({.from_logits = true})(from_case(fx::loss_onehot), big),
              fx::cce_big_logits);
}

TEST(Losses, SampleWeightAndReductions) {
  auto logits = from_case(fx::loss_logits);
  K::losses::SparseCategoricalCrossentropy scce({.from_logits = true});
  expect_case(scce(labels(), logits, from_case(fx::sample_weight)), fx::scce_logits_weighted);
  auto per_sample =
      K::losses::SparseCategoricalCrossentropy({.from_logits = true, .reduction = "none"})(labels(), logits);
  EXPECT_EQ(per_sample.shape(), tf::Shape({4}));
  auto sum = K::losses::SparseCategoricalCrossentropy({.from_logits = true, .reduction = "sum"})(labels(), logits);
  EXPECT_NEAR(sum.item<float>(), 4 * fx::scce_logits.values[0], 1e-5);
  // (B, 1) labels are squeezed, as Keras does.
  expect_case(scce(tf::reshape(labels(), {4, 1}), logits), fx::scce_logits);
}

TEST(Losses, BadInputsNameTheLoss) {
  auto logits = from_case(fx::loss_logits);
  K::losses::SparseCategoricalCrossentropy scce({.from_logits = true});
  EXPECT_TF_ERROR(scce(tf::constant({0, 1, 3, 2}), logits), tf::errors::InvalidArgumentError,
                  "sparse_categorical_crossentropy");
  EXPECT_TF_ERROR(scce(tf::constant({0, 1, 2}), logits), tf::errors::InvalidArgumentError,
                  "Loss \"sparse_categorical_crossentropy\": y_true and y_pred must hold the same number of samples");
  EXPECT_TF_ERROR(K::losses::MeanSquaredError()(tf::ones({3, 2}), tf::ones({2, 2})), tf::errors::InvalidArgumentError,
                  "mean_squared_error");
}

// A custom loss: mean absolute error.
struct MeanAbsoluteError : K::losses::Loss {
  MeanAbsoluteError() : Loss("mae") {}
  tf::Tensor call(const tf::Tensor& y_true, const tf::Tensor& y_pred) const override {
    return tf::reduce_mean(tf::abs(y_true - y_pred), -1);
  }
};

TEST(Losses, CustomLossGetsTheReduction) {
  MeanAbsoluteError mae;
  auto y = mae(tf::constant({{1.0f, 2.0f}, {3.0f, 4.0f}}), tf::constant({{0.0f, 2.0f}, {3.0f, 8.0f}}));
  tf::testing::expect_values(y, {}, {(0.5 + 2.0) / 2});
  K::losses::AnyLoss any = mae;
  EXPECT_EQ(any->name(), "mae");
  EXPECT_EQ(K::losses::AnyLoss("mse")->name(), "mean_squared_error");
}

TEST(Metrics, MatchKeras) {
  K::metrics::SparseCategoricalAccuracy sca;
  sca.update_state(labels(), from_case(fx::loss_logits));
  sca.update_state(tf::constant({1, 1}), from_case(fx::sca_pred2));
  expect_case(sca.result(), fx::sca_result);
  EXPECT_EQ(sca.name(), "sparse_categorical_accuracy");
  K::metrics::CategoricalAccuracy ca;
  ca.update_state(from_case(fx::loss_onehot), from_case(fx::loss_logits));
  expect_case(ca.result(), fx::ca_result);
  K::metrics::Accuracy acc;
  acc.update_state(tf::constant({1, 2, 3, 4}), tf::constant({1, 2, 0, 4}));
  expect_case(acc.result(), fx::acc_result);
  K::metrics::Mean mean;
  mean.update_state(tf::constant({1.0f, 2.0f, 3.0f}));
  mean.update_state(tf::constant({10.0f}), tf::constant({3.0f}));
  expect_case(mean.result(), fx::mean_result);
  mean.reset_state();
  tf::testing::expect_values(mean.result(), {}, {0.0});
}

TEST(Metrics, SparseCategoricalAccuracyCountsArgmaxMatches) {
  K::metrics::SparseCategoricalAccuracy sca;
  auto pred = tf::constant({{0.1f, 0.9f}, {0.8f, 0.2f}, {0.3f, 0.7f}});
  sca.update_state(tf::constant({1, 1, 1}, tf::uint8), pred);
  tf::testing::expect_values(sca.result(), {}, {2.0 / 3.0});
  sca.update_state(tf::constant({{0}}), tf::constant({{0.6f, 0.4f}}));
  tf::testing::expect_values(sca.result(), {}, {3.0 / 4.0});
  EXPECT_EQ(sca.variables().size(), 2u);
  EXPECT_FALSE(sca.variables()[0].trainable());
  EXPECT_TF_ERROR(sca.update_state(tf::constant({1, 1}), pred), tf::errors::InvalidArgumentError,
                  "sparse_categorical_accuracy");
}

// A custom metric: counts positive predictions.
struct CountPositives : K::metrics::Metric {
  tf::Variable n;
  CountPositives() : Metric("count_positives"), n(add_variable("n")) {}
  void update_state(const tf::Tensor&, const tf::Tensor& y_pred,
                    const std::optional<tf::Tensor>& = std::nullopt) override {
    n.assign(n + tf::reduce_sum(tf::cast(tf::greater(y_pred, 0.0f), tf::float32)));
  }
  tf::Tensor result() const override { return n.read_value(); }
};

TEST(Metrics, CustomMetricUpdatesResultsAndResets) {
  CountPositives m;
  m.update_state(tf::Tensor(), tf::constant({1.0f, -1.0f, 2.0f}));
  tf::testing::expect_values(m.result(), {}, {2.0});
  m.reset_state();
  tf::testing::expect_values(m.result(), {}, {0.0});
}

}  // namespace
