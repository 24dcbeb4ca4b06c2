// Optimizer trajectories: 5 steps of fixed gradients on (w, b), compared with Keras 3 run from the
// same initial values (tests/fixtures/gen_keras.py), plus schedules, skipping and state; and
// the fused training ops (core/ops/training.h) every optimizer uses for float32/float64,
// checked against the update formulas computed in double on the host.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <functional>
#include <random>

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

// ---- the fused training ops against reference formulas -----------------------------------------

/// One element's update in double: w, its slots (initialized from slot_init), g, the 1-based step.
using ElementUpdate = std::function<void(double& w, std::array<double, 3>& s, double g, int t)>;

/// Runs 3 steps of `opt` on variables of 5, 270000 (the multi-threaded path) and 7 elements with
/// random gradients and compares every element with `ref`.
void expect_matches_reference(O::Optimizer& opt, tf::DType dtype, const ElementUpdate& ref,
                              std::array<double, 3> slot_init, double tol) {
  std::mt19937 rng(5);
  std::normal_distribution<double> normal(0.0, 1.0);
  const std::vector<int64_t> sizes{5, 270000, 7};
  std::vector<std::vector<double>> w(sizes.size());
  std::vector<std::vector<std::array<double, 3>>> slots(sizes.size());
  std::vector<tf::Variable> vars;
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    for (int64_t i = 0; i < sizes[k]; ++i) w[k].push_back(normal(rng));
    slots[k].assign(std::size_t(sizes[k]), slot_init);
    vars.emplace_back(tf::constant(w[k], tf::Shape({sizes[k]}), dtype));
    w[k] = tf::cast(vars.back().read_value(), tf::float64).to_vector<double>();  // the values as rounded to dtype
  }
  for (int t = 1; t <= 3; ++t) {
    std::vector<std::optional<tf::Tensor>> grads;
    for (std::size_t k = 0; k < sizes.size(); ++k) {
      std::vector<double> g;
      for (int64_t i = 0; i < sizes[k]; ++i) g.push_back(normal(rng));
      grads.emplace_back(tf::constant(g, tf::Shape({sizes[k]}), dtype));
      g = tf::cast(*grads.back(), tf::float64).to_vector<double>();
      for (int64_t i = 0; i < sizes[k]; ++i) ref(w[k][i], slots[k][i], g[i], t);
    }
    opt.apply_gradients(grads, vars);
  }
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    auto got = tf::cast(vars[k].read_value(), tf::float64).to_vector<double>();
    double worst = 0;
    for (int64_t i = 0; i < sizes[k]; ++i) worst = std::max(worst, std::abs(got[i] - w[k][i]));
    EXPECT_LT(worst, tol) << "variable " << k << " of " << sizes[k] << " elements";
  }
}

ElementUpdate decayed(double lr, double wd, ElementUpdate update) {
  return [=](double& w, std::array<double, 3>& s, double g, int t) {
    w -= w * wd * lr;
    update(w, s, g, t);
  };
}

ElementUpdate adam_ref(double lr, bool amsgrad, double b1 = 0.9, double b2 = 0.999, double eps = 1e-7) {
  return [=](double& w, std::array<double, 3>& s, double g, int t) {
    double alpha = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
    s[0] += (g - s[0]) * (1 - b1);
    s[1] += (g * g - s[1]) * (1 - b2);
    s[2] = std::max(s[2], s[1]);
    w -= alpha * s[0] / (std::sqrt(amsgrad ? s[2] : s[1]) + eps);
  };
}

TEST(FusedTrainingOps, AdamAndAdamWMatchTheFormulas) {
  for (tf::DType dtype : {tf::float64, tf::float32}) {
    const double tol = dtype == tf::float64 ? 1e-12 : 2e-6;
    O::Adam adam({.learning_rate = 0.01});
    expect_matches_reference(adam, dtype, adam_ref(0.01, false), {0, 0, 0}, tol);
    O::Adam ams({.learning_rate = 0.01, .amsgrad = true});
    expect_matches_reference(ams, dtype, adam_ref(0.01, true), {0, 0, 0}, tol);
    O::AdamW adamw({.learning_rate = 0.01, .weight_decay = 0.1});
    expect_matches_reference(adamw, dtype, decayed(0.01, 0.1, adam_ref(0.01, false)), {0, 0, 0}, tol);
  }
}

TEST(FusedTrainingOps, SGDVariantsMatchTheFormulas) {
  for (tf::DType dtype : {tf::float64, tf::float32}) {
    const double tol = dtype == tf::float64 ? 1e-12 : 2e-6;
    O::SGD plain({.learning_rate = 0.1, .weight_decay = 0.01});
    expect_matches_reference(plain, dtype, decayed(0.1, 0.01, [](double& w, auto&, double g, int) { w -= 0.1 * g; }),
                             {0, 0, 0}, tol);
    for (bool nesterov : {false, true}) {
      O::SGD momentum({.learning_rate = 0.1, .momentum = 0.9, .nesterov = nesterov});
      expect_matches_reference(
          momentum, dtype,
          [=](double& w, std::array<double, 3>& s, double g, int) {
            s[0] = 0.9 * s[0] - 0.1 * g;
            w += nesterov ? 0.9 * s[0] - 0.1 * g : s[0];
          },
          {0, 0, 0}, tol);
    }
  }
}

TEST(FusedTrainingOps, AdagradAndRMSpropMatchTheFormulas) {
  for (tf::DType dtype : {tf::float64, tf::float32}) {
    const double tol = dtype == tf::float64 ? 1e-12 : 1e-5;
    O::Adagrad adagrad({.learning_rate = 0.1});
    expect_matches_reference(
        adagrad, dtype,
        [](double& w, std::array<double, 3>& s, double g, int) {
          s[0] += g * g;
          w -= 0.1 * g / std::sqrt(s[0] + 1e-7);
        },
        {0.1, 0, 0}, tol);
    for (bool centered : {false, true}) {
      for (double momentum : {0.0, 0.5}) {
        O::RMSprop rms({.learning_rate = 0.01, .momentum = momentum, .centered = centered});
        expect_matches_reference(
            rms, dtype,
            [=](double& w, std::array<double, 3>& s, double g, int) {
              s[0] = 0.9 * s[0] + 0.1 * g * g;
              s[1] = 0.9 * s[1] + 0.1 * g;
              const double inc = 0.01 * g / std::sqrt(centered ? s[0] - s[1] * s[1] + 1e-7 : s[0] + 1e-7);
              s[2] = momentum * s[2] + inc;
              w -= momentum > 0 ? s[2] : inc;
            },
            {0, 0, 0}, tol);
      }
    }
  }
}

TEST(FusedTrainingOps, OtherDtypesTakeTheCompositeUpdate) {
  O::Adam adam({.learning_rate = 0.01});
  tf::Variable w(tf::constant({1.0f, -2.0f}, tf::float16));
  adam.apply_gradients({tf::constant({0.5f, 0.5f}, tf::float16)}, {w});
  // The first Adam step moves every weight by lr against the gradient's sign.
  tf::testing::expect_values(w.read_value(), {2}, {0.99, -2.01}, 1e-3);
  EXPECT_TF_ERROR(tf::training::apply_gradient_descent(std::vector<tf::Variable>{w},
                                                       std::vector<tf::Tensor>{tf::ones({2}, tf::float16)}, {}),
                  tf::errors::InvalidArgumentError, "supports float32 and float64 variables, got float16");
}

TEST(FusedTrainingOps, AReadTakenBeforeTheStepKeepsItsValue) {
  // Note [Fused training ops write in place]: a shared buffer is copied first.
  tf::Variable w(tf::constant({1.0f, 2.0f}));
  tf::Tensor before = w.read_value();
  tf::training::apply_gradient_descent(std::vector<tf::Variable>{w}, std::vector<tf::Tensor>{tf::ones({2})},
                                       {.learning_rate = 0.5});
  tf::testing::expect_values(before, {2}, {1.0, 2.0});
  tf::testing::expect_values(w.read_value(), {2}, {0.5, 1.5});
  tf::training::apply_gradient_descent(std::vector<tf::Variable>{w}, std::vector<tf::Tensor>{tf::ones({2})},
                                       {.learning_rate = 0.5});
  tf::testing::expect_values(w.read_value(), {2}, {0.0, 1.0});
}

TEST(FusedTrainingOps, RejectsMismatchedLists) {
  tf::Variable w(tf::zeros({3})), m(tf::zeros({2})), v(tf::zeros({3}));
  using Vars = std::vector<tf::Variable>;
  using Grads = std::vector<tf::Tensor>;
  EXPECT_TF_ERROR(tf::training::apply_adam(Vars{w}, Vars{m}, Vars{v}, {}, Grads{tf::zeros({3})}, {}),
                  tf::errors::InvalidArgumentError, "does not match variable");
  EXPECT_TF_ERROR(tf::training::apply_gradient_descent(Vars{w}, Grads{tf::zeros({4})}, {}),
                  tf::errors::InvalidArgumentError, "the gradient of variable");
  EXPECT_TF_ERROR(tf::training::apply_gradient_descent(Vars{w, w}, Grads{tf::zeros({3}), tf::zeros({3})}, {}),
                  tf::errors::InvalidArgumentError, "listed twice");
  EXPECT_TF_ERROR(tf::training::apply_gradient_descent(Vars{w}, Grads{}, {}), tf::errors::InvalidArgumentError,
                  "got 0 gradients for 1 variables");
}

}  // namespace
