// tf::custom_gradient: TF's documented examples (log1pexp's numerically stable gradient, a
// gradient-clipping identity), several inputs, vector outputs, variables, higher order.
#include <cmath>

#include "tests/autograd/gradient_check.h"
#include "tests/core/test_util.h"

namespace {
using tf::testing::expect_values;
using Xs = std::vector<tf::Tensor>;

auto log1pexp = tf::custom_gradient([](const tf::Tensor& x) {
  tf::Tensor e = tf::exp(x);
  auto grad = [e](const tf::Tensor& upstream) { return upstream * (1 - 1 / (1 + e)); };
  return std::pair{tf::log(1 + e), grad};
});

// TF's example: the naive gradient of log(1 + e^x) is nan at x = 100; the custom one is 1.
TEST(CustomGradient, Log1pexpIsStable) {
  auto x = tf::constant(100.0f);
  tf::GradientTape tape({.persistent = true});
  tape.watch(x);
  auto naive = tf::log(1 + tf::exp(x));
  auto y = log1pexp(x);
  tape.stop();
  EXPECT_TRUE(std::isnan(tape.gradient(naive, x)->item<float>()));
  EXPECT_FLOAT_EQ(tape.gradient(y, x)->item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(log1pexp(tf::constant(0.0f)).item<float>(), std::log(2.0f));
}

// tf.custom_gradient's clip_gradients example: identity forward, clipped gradient.
TEST(CustomGradient, ClipGradientByNorm) {
  auto clip = tf::custom_gradient([](const tf::Tensor& x) {
    return std::pair{tf::identity(x), [](const tf::Tensor& dy) { return tf::clip_by_value(dy, -0.5f, 0.5f); }};
  });
  tf::Variable v(tf::constant({1.0f, 2.0f}));
  tf::GradientTape tape;
  auto y = clip(v) * tf::constant({0.1f, 3.0f});
  tape.stop();
  expect_values(*tape.gradient(y, v), {2}, {0.1, 0.5});
}

TEST(CustomGradient, SeveralInputsAndNone) {
  auto f = tf::custom_gradient([](const tf::Tensor& a, const tf::Tensor& b) {
    auto grad = [a, b](const tf::Tensor& dz) {
      return std::vector<std::optional<tf::Tensor>>{dz * b * 10.0f, std::nullopt};
    };
    return std::pair{a * b, grad};
  });
  auto a = tf::constant(2.0f), b = tf::constant(3.0f);
  tf::GradientTape tape;
  tape.watch(a);
  tape.watch(b);
  auto z = f(a, b);
  tape.stop();
  EXPECT_FLOAT_EQ(z.item<float>(), 6.0f);
  auto g = tape.gradient(z, {a, b});
  EXPECT_FLOAT_EQ(g[0]->item<float>(), 30.0f);
  EXPECT_FALSE(g[1]);
}

TEST(CustomGradient, VectorOutputs) {
  auto f = tf::custom_gradient([](const tf::Tensor& x) {
    auto grad = [x](const std::vector<tf::Tensor>& dy) { return dy[0] * 2.0f * x + dy[1] * 3.0f; };
    return std::pair{std::vector<tf::Tensor>{x * x, x * 3.0f}, grad};
  });
  auto x = tf::constant({1.0f, 2.0f});
  tf::GradientTape tape;
  tape.watch(x);
  auto ys = f(x);
  tape.stop();
  expect_values(*tape.gradient({ys[0], ys[1]}, x), {2}, {5, 7});
}

TEST(CustomGradient, VariablesNeedAVariablesArgument) {
  tf::Variable w(2.0f);
  auto bad = tf::custom_gradient([w](const tf::Tensor& x) {
    return std::pair{x * w, [](const tf::Tensor& dy) { return dy; }};
  });
  auto x = tf::constant(3.0f);
  {
    tf::GradientTape tape;
    tape.watch(x);
    EXPECT_TF_ERROR(bad(x), tf::errors::InvalidArgumentError, "grad_fn must accept");
  }
  auto good = tf::custom_gradient([w](const tf::Tensor& x) {
    auto grad = [x, w](const tf::Tensor& dy, const std::vector<tf::Variable>& variables) {
      EXPECT_EQ(variables.size(), 1u);
      return std::pair{dy * w, std::vector<tf::Tensor>{dy * x * 100.0f}};
    };
    return std::pair{x * w, grad};
  });
  tf::GradientTape tape;
  tape.watch(x);
  auto y = good(x);
  tape.stop();
  auto g = tape.gradient(y, {x, w});
  EXPECT_FLOAT_EQ(g[0]->item<float>(), 2.0f);
  EXPECT_FLOAT_EQ(g[1]->item<float>(), 300.0f);
}

// The gradient function is made of public ops, so an outer tape differentiates it again.
GRADIENT_CHECK_TEST(CustomGradient, FirstAndSecondOrder) {
  auto cube = tf::custom_gradient([](const tf::Tensor& x) {
    return std::pair{x * x * x, [x](const tf::Tensor& dy) { return dy * 3.0 * x * x; }};
  });
  tf::testing::check_gradients([cube](const Xs& x) { return cube(x[0]); }, {tf::testing::uniform({3}, -1, 1)},
                               {.order = 2});
  auto x = tf::constant(2.0f);
  tf::GradientTape outer;
  outer.watch(x);
  tf::GradientTape inner;
  inner.watch(x);
  auto y = cube(x);
  inner.stop();
  auto dy = *inner.gradient(y, x);
  outer.stop();
  EXPECT_FLOAT_EQ(dy.item<float>(), 12.0f);
  EXPECT_FLOAT_EQ(outer.gradient(dy, x)->item<float>(), 12.0f);
}

// A straight-through estimator: round() has no gradient, but only the CustomGradient op is on
// the tape, so the identity gradient flows.
TEST(CustomGradient, ForwardOpsAreNotRecorded) {
  auto round_ste = tf::custom_gradient([](const tf::Tensor& x) {
    return std::pair{tf::round(x), [](const tf::Tensor& dy) { return dy; }};
  });
  auto x = tf::constant({0.4f, 1.6f});
  tf::GradientTape tape;
  tape.watch(x);
  auto y = round_ste(x) * tf::constant({2.0f, 3.0f});
  tape.stop();
  expect_values(y, {2}, {0, 6});
  expect_values(*tape.gradient(y, x), {2}, {2, 3});
}

}  // namespace
