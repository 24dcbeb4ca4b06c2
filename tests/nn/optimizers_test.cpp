// Optimizer trajectories: 5 steps of fixed gradients on (w, b), compared with Keras 3 run from the
// same initial values (tests/fixtures/gen_keras.py), plus schedules, skipping and state. The fused
// training ops every optimizer uses have their rows in the op table
// (tests/core/op_table_training_test.cpp).
#include <gtest/gtest.h>

#include <cmath>

#include "tests/nn/nn_test_util.h"

namespace {
namespace K = tf::keras;
namespace O = tf::keras::optimizers;
namespace fx = fixtures::keras;
using tf::testing::expect_case;
using tf::testing::from_case;

const fx::Case* const kGradW[] = {&fx::opt_gw0, &fx::opt_gw1, &fx::opt_gw2, &fx::opt_gw3, &fx::opt_gw4};
const fx::Case* const kGradB[] = {&fx::opt_gb0, &fx::opt_gb1, &fx::opt_gb2, &fx::opt_gb3, &fx::opt_gb4};

void expect_trajectory(O::Optimizer& opt, const fx::Case& want_w, const fx::Case& want_b, int skip_bias_at = -1) {
  tf::Variable w(from_case(fx::opt_w0)), b(from_case(fx::opt_b0));
  for (int i = 0; i < 5; ++i) {
    std::optional<tf::Tensor> gb;
    if (i != skip_bias_at) gb = from_case(*kGradB[i]);
    opt.apply_gradients({from_case(*kGradW[i]), gb}, {w, b});
  }
  expect_case(w.read_value(), want_w, 2e-5);
  expect_case(b.read_value(), want_b, 2e-5);
  EXPECT_EQ(opt.iterations(), 5);
}

TEST(Optimizers, SGDVariantsMatchKeras) {
  O::SGD sgd({.learning_rate = 0.1});
  expect_trajectory(sgd, fx::sgd_w, fx::sgd_b);
  O::SGD momentum({.learning_rate = 0.1, .momentum = 0.9});
  expect_trajectory(momentum, fx::sgd_momentum_w, fx::sgd_momentum_b);
  O::SGD nesterov({.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
  expect_trajectory(nesterov, fx::sgd_nesterov_w, fx::sgd_nesterov_b);
}

TEST(Optimizers, AdamAndAdamWMatchKeras) {
  O::Adam adam({.learning_rate = 0.01});
  expect_trajectory(adam, fx::adam_w, fx::adam_b);
  O::AdamW adamw({.learning_rate = 0.01, .weight_decay = 0.1});
  expect_trajectory(adamw, fx::adamw_w, fx::adamw_b);
}

TEST(Optimizers, MissingGradientSkipsItsVariable) {
  O::Adam adam({.learning_rate = 0.01});
  expect_trajectory(adam, fx::adam_skip_w, fx::adam_skip_b, /*skip_bias_at=*/2);
}

TEST(Optimizers, RMSpropAndAdagradMatchKeras) {
  O::RMSprop rms({.learning_rate = 0.01});
  expect_trajectory(rms, fx::rmsprop_w, fx::rmsprop_b);
  O::RMSprop centered({.learning_rate = 0.01, .momentum = 0.5, .centered = true});
  expect_trajectory(centered, fx::rmsprop_centered_momentum_w, fx::rmsprop_centered_momentum_b);
  O::Adagrad adagrad({.learning_rate = 0.1});
  expect_trajectory(adagrad, fx::adagrad_w, fx::adagrad_b);
}

TEST(Optimizers, ClippingMatchesKeras) {
  O::SGD clip({.learning_rate = 0.1, .clipnorm = 0.5});
  expect_trajectory(clip, fx::sgd_clipnorm_w, fx::sgd_clipnorm_b);
  O::SGD global({.learning_rate = 0.1, .global_clipnorm = 0.5});
  expect_trajectory(global, fx::sgd_global_clipnorm_w, fx::sgd_global_clipnorm_b);
}

TEST(Optimizers, SchedulesMatchKeras) {
  O::SGD exp_decay({.learning_rate = O::schedules::ExponentialDecay(0.1, 2, 0.5)});
  expect_trajectory(exp_decay, fx::sgd_exp_decay_w, fx::sgd_exp_decay_b);
  O::Adam cosine({.learning_rate = O::schedules::CosineDecay(0.01, 4, {.alpha = 0.1})});
  expect_trajectory(cosine, fx::adam_cosine_w, fx::adam_cosine_b);
  O::SGD piecewise({.learning_rate = O::schedules::PiecewiseConstantDecay({1, 3}, {0.1, 0.05, 0.01})});
  expect_trajectory(piecewise, fx::sgd_piecewise_w, fx::sgd_piecewise_b);
  O::schedules::ExponentialDecay staircase(0.1, 3, 0.5, true);
  for (int s = 0; s < 8; ++s)
    EXPECT_NEAR(staircase(s), fx::exp_decay_staircase.values[s], 1e-7) << s;  // Keras computes in float32
  O::schedules::CosineDecay warmup(0.0, 10, {.warmup_target = 0.1, .warmup_steps = 4});
  for (int s = 0; s < 16; ++s) EXPECT_NEAR(warmup(s), fx::cosine_warmup.values[s], 1e-7) << s;
}

TEST(Optimizers, StateLivesInVariables) {
  O::Adam adam;
  O::Adam copy = adam;  // a handle: same state
  tf::Variable w(tf::ones({2}));
  copy.apply_gradients({tf::ones({2})}, {w});
  EXPECT_EQ(adam.iterations(), 1);
  auto vars = adam.variables();
  ASSERT_EQ(vars.size(), 3u);  // iterations, momentum, velocity
  EXPECT_EQ(vars[0].item<int64_t>(), 1);
  EXPECT_FALSE(vars[1].trainable());
  tf::testing::expect_values(adam.slot(w, "momentum"), {2}, {0.1, 0.1});
  EXPECT_NEAR(adam.learning_rate(), 0.001, 1e-12);
  adam.set_learning_rate(0.5);
  EXPECT_NEAR(copy.learning_rate(), 0.5, 1e-12);
  EXPECT_TF_ERROR(adam.apply_gradients({tf::ones({3})}, {w}), tf::errors::InvalidArgumentError, "has shape (3,)");
}

TEST(Optimizers, TrainsAModelWithTheSeedsLoop) {
  K::layers::Dense d(1, {.kernel_initializer = "zeros"});
  O::Adam opt({.learning_rate = 0.1});
  auto x = tf::constant({{1.0f}, {2.0f}, {3.0f}});
  auto y = tf::constant({{3.0f}, {5.0f}, {7.0f}});  // y = 2x + 1
  float first = 0, last = 0;
  for (int step = 0; step < 300; ++step) {
    tf::GradientTape tape;
    auto loss = K::losses::MeanSquaredError()(y, d(x));
    tape.stop();
    auto vars = d.trainable_variables();
    opt.apply_gradients(tape.gradient(loss, vars), vars);
    (step == 0 ? first : last) = loss.item<float>();
  }
  EXPECT_GT(first, 10.0f);
  EXPECT_LT(last, 1e-2f);
  EXPECT_NEAR(d.kernel().to_vector<float>()[0], 2.0f, 0.1f);
}

}  // namespace
