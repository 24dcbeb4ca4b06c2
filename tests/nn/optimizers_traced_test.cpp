// Optimizers inside tf::function (Note [Optimizers in tf::function]): a step traced once and
// replayed must update the weights exactly as the same steps run eagerly (which
// optimizers_test.cpp checks against Keras). The gradients are the Function's arguments, so
// the optimizer's arithmetic is the only difference between the two runs: its step-dependent
// scalars (Adam's bias correction, Nadam's momentum product, schedules) are computed in the
// graph in double, in the host formulas' order, so the weights agree bit for bit.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <unistd.h>

#include "tests/nn/nn_test_util.h"

namespace {
namespace O = tf::keras::optimizers;
namespace S = tf::keras::optimizers::schedules;

constexpr int kSteps = 20;

/// The gradients of step i: fixed pseudo-random values, large enough that clipping acts.
std::pair<tf::Tensor, tf::Tensor> gradients(int i, tf::DType dtype) {
  auto gw = tf::random::normal({3, 2}, {.stddev = 2.0, .seed = 100 + i});
  auto gb = tf::random::normal({2}, {.stddev = 2.0, .seed = 200 + i});
  return {tf::cast(gw, dtype), tf::cast(gb, dtype)};
}

struct Trained {
  std::vector<double> w, b;
};

/// Runs steps [from, to) of `opt` on (w, b): eagerly, or through `step` when given.
void run_steps(O::Optimizer& opt, tf::Variable& w, tf::Variable& b, int from, int to, tf::Function* step) {
  for (int i = from; i < to; ++i) {
    auto [gw, gb] = gradients(i, w.dtype());
    if (step)
      (*step)(gw, gb);
    else
      opt.apply_gradients({gw, gb}, {w, b});
  }
}

tf::Function traced_step(O::Optimizer& opt, tf::Variable& w, tf::Variable& b) {
  return tf::function([&opt, w, b](const tf::Tensor& gw, const tf::Tensor& gb) {
    opt.apply_gradients({gw, gb}, {w, b});
    return gw;  // something to return; the update is the side effect
  });
}

Trained values(const tf::Variable& w, const tf::Variable& b) {
  return {tf::cast(w.read_value(), tf::float64).to_vector<double>(),
          tf::cast(b.read_value(), tf::float64).to_vector<double>()};
}

/// kSteps steps eagerly or as one traced Function; checks the Function traced once and that
/// iterations() counts its replays.
Trained train(const std::function<O::AnyOptimizer()>& make, bool traced, tf::DType dtype) {
  tf::random::set_seed(1);  // the same initial values and gradients in both runs
  O::AnyOptimizer opt = make();
  tf::Variable w(tf::cast(tf::random::normal({3, 2}, {.seed = 7}), dtype));
  tf::Variable b(tf::cast(tf::random::normal({2}, {.seed = 8}), dtype));
  if (!traced) {
    run_steps(*opt, w, b, 0, kSteps, nullptr);
  } else {
    tf::Function step = traced_step(*opt, w, b);
    run_steps(*opt, w, b, 0, kSteps, &step);
    EXPECT_EQ(step.experimental_get_tracing_count(), 1);
  }
  EXPECT_EQ(opt->iterations(), kSteps);
  return values(w, b);
}

struct Case {
  const char* name;
  std::function<O::AnyOptimizer()> make;
  tf::DType dtype = tf::float32;
};

std::vector<Case> cases() {
  return {
      {"SGD", [] { return O::SGD({.learning_rate = 0.1}); }},
      {"SGDMomentum", [] { return O::SGD({.learning_rate = 0.1, .momentum = 0.9}); }},
      {"SGDNesterovWeightDecay",
       [] { return O::SGD({.learning_rate = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 0.01}); }},
      {"Adam", [] { return O::Adam({.learning_rate = 0.01}); }},
      {"AdamAmsgradClipnorm", [] { return O::Adam({.learning_rate = 0.01, .amsgrad = true, .clipnorm = 1.0}); }},
      {"AdamWGlobalClipnorm",
       [] { return O::AdamW({.learning_rate = 0.01, .weight_decay = 0.1, .global_clipnorm = 0.5}); }},
      {"AdamWAmsgrad", [] { return O::AdamW({.learning_rate = 0.01, .amsgrad = true}); }},
      {"Nadam", [] { return O::Nadam({.learning_rate = 0.01}); }},
      {"NadamWeightDecay", [] { return O::Nadam({.learning_rate = 0.01, .weight_decay = 0.05}); }},
      {"AdamaxClipvalue", [] { return O::Adamax({.learning_rate = 0.01, .clipvalue = 0.5}); }},
      {"RMSprop", [] { return O::RMSprop({.learning_rate = 0.01}); }},
      {"RMSpropCenteredMomentum",
       [] { return O::RMSprop({.learning_rate = 0.01, .momentum = 0.5, .centered = true}); }},
      {"Adagrad", [] { return O::Adagrad({.learning_rate = 0.1, .weight_decay = 0.01}); }},
      {"AdamExponentialDecay",
       [] { return O::Adam({.learning_rate = S::ExponentialDecay(0.01, 3, 0.5, /*staircase=*/true)}); }},
      {"RMSpropExponentialDecay", [] { return O::RMSprop({.learning_rate = S::ExponentialDecay(0.01, 4, 0.7)}); }},
      {"SGDCosineDecayWarmup",
       [] {
         return O::SGD(
             {.learning_rate = S::CosineDecay(0.05, 10, {.alpha = 0.1, .warmup_target = 0.2, .warmup_steps = 5}),
              .momentum = 0.5});
       }},
      {"AdagradCosineDecay", [] { return O::Adagrad({.learning_rate = S::CosineDecay(0.1, 12)}); }},
      {"NadamPiecewiseConstant",
       [] {
         return O::Nadam({.learning_rate = S::PiecewiseConstantDecay({4, 10}, {0.1, 0.05, 0.01})});
       }},
      // float64 variables take the fused ops' double kernels; float16 the composite updates.
      {"AdamFloat64", [] { return O::Adam({.learning_rate = 0.01}); }, tf::float64},
      {"AdamFloat16Composite", [] { return O::Adam({.learning_rate = 0.01}); }, tf::float16},
      {"SGDMomentumFloat16Composite", [] { return O::SGD({.learning_rate = 0.1, .momentum = 0.9}); }, tf::float16},
      {"RMSpropFloat16Composite",
       [] { return O::RMSprop({.learning_rate = S::ExponentialDecay(0.01, 4, 0.7), .momentum = 0.5}); }, tf::float16},
  };
}

TEST(OptimizersTraced, EveryOptimizerMatchesEagerBitForBit) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    Trained eager = train(c.make, false, c.dtype);
    Trained traced = train(c.make, true, c.dtype);
    EXPECT_EQ(traced.w, eager.w);
    EXPECT_EQ(traced.b, eager.b);
  }
}

// A frozen step would give Adam the bias correction of step 1 forever: the traced run must
// differ from "every step is step 1", or the comparison above proves nothing about it.
TEST(OptimizersTraced, AdamBiasCorrectionAdvancesPerReplay) {
  tf::random::set_seed(1);
  O::Adam traced_opt({.learning_rate = 0.01});
  tf::Variable w(tf::zeros({3, 2})), b(tf::zeros({2}));
  tf::Function step = traced_step(traced_opt, w, b);
  auto [gw, gb] = gradients(0, tf::float32);
  step(gw, gb);
  step(gw, gb);
  // Two equal gradients g: m_2 = 0.19 g, v_2 = 0.001999 g^2, alpha_2 = lr sqrt(1 - b2^2) / (1 - b1^2),
  // so the second update is alpha_2 m_2 / (sqrt(v_2) + eps) ~= lr sign(g); the first one too.
  const auto g = gw.to_vector<float>();
  const auto got = w.read_value().to_vector<float>();
  for (std::size_t i = 0; i < g.size(); ++i) {
    const double g2 = double(g[i]) * g[i];
    const double a1 = 0.01 * std::sqrt(1 - 0.999) / (1 - 0.9), m1 = 0.1 * g[i], v1 = 0.001 * g2;
    const double w1 = -a1 * m1 / (std::sqrt(v1) + 1e-7);
    const double a2 = 0.01 * std::sqrt(1 - 0.999 * 0.999) / (1 - 0.81), m2 = 0.19 * g[i], v2 = 0.001999 * g2;
    EXPECT_NEAR(got[i], w1 - a2 * m2 / (std::sqrt(v2) + 1e-7), 1e-6) << i;
  }
  EXPECT_EQ(traced_opt.iterations(), 2);
}

// Eager steps, then traced replays, then eager steps again (the host mirror of iterations goes
// stale once traced; Nadam's product variable must follow both paths), with the learning rate
// changed between replays (as LearningRateScheduler does): the same as all eager.
TEST(OptimizersTraced, MixedEagerAndTracedStepsAndLearningRateChanges) {
  for (bool nadam : {false, true}) {
    SCOPED_TRACE(nadam ? "Nadam" : "Adam");
    auto make = [&]() -> O::AnyOptimizer {
      if (nadam) return O::Nadam({.learning_rate = 0.01});
      return O::Adam({.learning_rate = 0.01});
    };
    auto run = [&](bool traced) {
      tf::random::set_seed(1);
      O::AnyOptimizer opt = make();
      tf::Variable w(tf::random::normal({3, 2}, {.seed = 7})), b(tf::random::normal({2}, {.seed = 8}));
      tf::Function step = traced_step(*opt, w, b);
      run_steps(*opt, w, b, 0, 5, nullptr);
      run_steps(*opt, w, b, 5, 10, traced ? &step : nullptr);
      opt->set_learning_rate(0.003);
      run_steps(*opt, w, b, 10, 15, traced ? &step : nullptr);
      run_steps(*opt, w, b, 15, 20, nullptr);
      EXPECT_EQ(opt->iterations(), 20);
      EXPECT_DOUBLE_EQ(opt->learning_rate(), 0.003);
      return values(w, b);
    };
    Trained eager = run(false), mixed = run(true);
    EXPECT_EQ(mixed.w, eager.w);
    EXPECT_EQ(mixed.b, eager.b);
  }
}

TEST(OptimizersTraced, ScheduleLearningRateFollowsReplays) {
  O::SGD opt({.learning_rate = S::ExponentialDecay(0.1, 2, 0.5, true)});
  tf::Variable w(tf::zeros({3, 2})), b(tf::zeros({2}));
  tf::Function step = traced_step(opt, w, b);
  run_steps(opt, w, b, 0, 7, &step);
  EXPECT_EQ(opt.iterations(), 7);
  EXPECT_DOUBLE_EQ(opt.learning_rate(), 0.1 * 0.125);  // 0.5^floor(7/2)
}

// A checkpoint of a traced-trained optimizer (Nadam: iterations, slots and its product) resumes
// under a fresh Function exactly as the uninterrupted run continues.
TEST(OptimizersTraced, CheckpointOfTracedTrainingResumesBitForBit) {
  for (const char* name : {"nadam", "adam", "rmsprop"}) {
    SCOPED_TRACE(name);
    const auto dir = std::filesystem::temp_directory_path() /
                     ("tapeflow_traced_opt_" + std::string(name) + std::to_string(::getpid()));
    tf::random::set_seed(1);
    O::AnyOptimizer straight = name;
    tf::Variable w(tf::random::normal({3, 2}, {.seed = 7})), b(tf::random::normal({2}, {.seed = 8}));
    tf::Function step = traced_step(*straight, w, b);
    run_steps(*straight, w, b, 0, 8, &step);
    tf::train::Checkpoint({{"w", w}, {"b", b}, {"optimizer", *straight}}).write((dir / "ckpt").string());
    run_steps(*straight, w, b, 8, 16, &step);

    tf::random::set_seed(1);  // the gradients of steps 8.. as the straight run drew them
    for (int i = 0; i < 8; ++i) gradients(i, tf::float32);
    O::AnyOptimizer resumed = name;
    tf::Variable w2(tf::zeros({3, 2})), b2(tf::zeros({2}));
    tf::train::Checkpoint({{"w", w2}, {"b", b2}, {"optimizer", *resumed}}).restore((dir / "ckpt").string());
    EXPECT_EQ(resumed->iterations(), 8);
    tf::Function step2 = traced_step(*resumed, w2, b2);
    run_steps(*resumed, w2, b2, 8, 16, &step2);
    EXPECT_EQ(resumed->iterations(), 16);
    EXPECT_EQ(values(w2, b2).w, values(w, b).w);
    EXPECT_EQ(values(w2, b2).b, values(w, b).b);
    std::filesystem::remove_all(dir);
  }
}

// Note [Rates as inputs]: the fused ops given their rates as float64 scalar tensors update
// exactly as with the same rates as attributes (the kernel resolves alpha in the same order).
TEST(OptimizersTraced, FusedOpsTakeRatesAsFloat64Scalars) {
  using Vars = std::vector<tf::Variable>;
  using Grads = std::vector<tf::Tensor>;
  auto f64 = [](double x) { return tf::constant(x, tf::float64); };
  auto run = [&](bool as_tensors) {
    tf::Variable w(tf::constant({1.0f, -2.0f, 3.0f})), m(tf::zeros({3})), v(tf::zeros({3}));
    for (int t = 1; t <= 3; ++t) {
      tf::training::AdamOptions o{.learning_rate = 0.01, .weight_decay = 0.1};
      const double p1 = std::pow(0.9, t), p2 = std::pow(0.999, t);
      if (as_tensors)
        o.rates = {.learning_rate = f64(0.01), .beta_1_power = f64(p1), .beta_2_power = f64(p2)};
      else
        o.beta_1_power = p1, o.beta_2_power = p2;
      tf::training::apply_adam(Vars{w}, Vars{m}, Vars{v}, {}, Grads{tf::constant({0.5f, -1.0f, 2.0f}) * float(t)}, o);
    }
    return w.read_value().to_vector<float>();
  };
  EXPECT_EQ(run(true), run(false));

  tf::Variable w(tf::zeros({2}));
  EXPECT_TF_ERROR(tf::training::apply_gradient_descent(Vars{w}, Grads{tf::ones({2})},
                                                       {.rates = {.learning_rate = tf::constant(0.1f)}}),
                  tf::errors::InvalidArgumentError, "rates given as tensors must be float64 scalars");
  tf::Variable m(tf::zeros({2})), v(tf::zeros({2}));
  EXPECT_TF_ERROR(tf::training::apply_adam(Vars{w}, Vars{m}, Vars{v}, {}, Grads{tf::ones({2})},
                                           {.rates = {.learning_rate = f64(0.1)}}),
                  tf::errors::InvalidArgumentError, "needs beta_1_power and beta_2_power");
}

}  // namespace
