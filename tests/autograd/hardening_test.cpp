// Regression tests of issue 12's GradientTape defects: an unwatched constant source gives None as
// in TF, and a missing gradient is a checked optional whose `*`/`->` raise a typed error saying
// why instead of dereferencing nothing (a segfault before).
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/core/test_util.h"

namespace {

// The seed's case: x3 is a constant the tape never watched. TF drops the gradient of an input
// that is neither watched nor computed from watched values, so tape.gradient(y, x3) is None
// even though the recorded AddV2 consumed x3.
TEST(GradientTapeHardening, UnwatchedConstantSourceIsNone) {
  tf::Variable x0(3.0f, {.name = "x0"});
  auto x3 = tf::constant(3.0f);
  tf::GradientTape tape({.persistent = true});
  auto y = x0 * x0 + x3;
  tape.stop();
  auto grads = tape.gradient(y, {tf::Source(x0), tf::Source(x3)});
  ASSERT_TRUE(grads[0]);
  EXPECT_FLOAT_EQ(grads[0]->item<float>(), 6.0f);
  EXPECT_FALSE(grads[1].has_value());
  EXPECT_EQ(tape.gradient(y, x3), std::nullopt);
  // Watched, the same tensor has its gradient (1.0).
  tf::GradientTape watched;
  watched.watch(x3);
  auto y2 = x0 * x0 + x3;
  watched.stop();
  auto g = watched.gradient(y2, x3);
  ASSERT_TRUE(g);
  EXPECT_FLOAT_EQ(g->item<float>(), 1.0f);
}

TEST(GradientTapeHardening, SourceThatIsTheTargetGetsOnesAsTf) {
  auto x = tf::constant(2.0f);
  tf::GradientTape tape;
  tape.stop();
  auto g = tape.gradient(x, x);  // TF's sources_that_are_targets: ones, watched or not
  ASSERT_TRUE(g);
  EXPECT_FLOAT_EQ(g->item<float>(), 1.0f);
}

TEST(GradientTapeHardening, DereferencingNoneRaisesSayingWhy) {
  tf::Variable x(2.0f), unused(1.0f);
  tf::GradientTape tape({.persistent = true});
  auto y = x * x;
  tape.stop();
  auto g = tape.gradient(y, unused);
  EXPECT_FALSE(g);
  EXPECT_TF_ERROR(g->item<float>(), tf::errors::FailedPreconditionError,
                  "the gradient is None: the target does not depend on the source");
  EXPECT_TF_ERROR(*g, tf::errors::FailedPreconditionError, "UnconnectedGradients::Zero");
  EXPECT_TF_ERROR(g.value(), tf::errors::FailedPreconditionError, "the gradient is None");
  EXPECT_TF_ERROR(tape.gradient(y, unused)->item<float>(), tf::errors::FailedPreconditionError, "is None");
  auto t = tf::constant(1.0f);
  EXPECT_TF_ERROR(*tape.gradient(y, t), tf::errors::FailedPreconditionError, "not watched by the tape");
  auto i = tf::constant(1);
  EXPECT_TF_ERROR(*tape.gradient(y, i), tf::errors::FailedPreconditionError, "dtype int32");
}

TEST(GradientTapeHardening, BehavesAsStdOptional) {
  tf::Variable x(2.0f), unused(1.0f);
  tf::GradientTape tape({.persistent = true});
  auto y = x * x;
  tape.stop();
  // API.md's spellings compile and keep their meaning.
  std::optional<tf::Tensor> dy_dx = tape.gradient(y, x);
  ASSERT_TRUE(dy_dx.has_value());
  EXPECT_FLOAT_EQ(dy_dx->item<float>(), 4.0f);
  std::vector<std::optional<tf::Tensor>> as_vector = tape.gradient(y, std::vector<tf::Variable>{x, unused});
  ASSERT_EQ(as_vector.size(), 2u);
  EXPECT_TRUE(as_vector[0].has_value());
  EXPECT_FALSE(as_vector[1].has_value());
  std::map<std::string, tf::OptionalGradient> named = tape.gradient(y, {{"x", x}, {"u", unused}});
  EXPECT_TRUE(named.at("x"));
  EXPECT_EQ(named.at("u"), std::nullopt);

  auto g = tape.gradient(y, unused);
  EXPECT_TRUE(g == std::nullopt);
  EXPECT_FALSE(g != std::nullopt);
  EXPECT_FLOAT_EQ(g.value_or(tf::constant(7.0f)).item<float>(), 7.0f);
  std::optional<tf::Tensor> converted = g;
  EXPECT_FALSE(converted.has_value());
  g = tf::constant(5.0f);  // assignable as an optional
  EXPECT_TRUE(g.has_value());
  EXPECT_FLOAT_EQ((*g).item<float>(), 5.0f);
  g = std::nullopt;
  EXPECT_FALSE(g);
  g.reset();
  EXPECT_FALSE(g.has_value());

  // A rvalue dereference gives a value, so binding it to a reference does not dangle.
  const tf::Tensor& held = *tape.gradient(y, x);
  EXPECT_FLOAT_EQ(held.item<float>(), 4.0f);
  // A gradient list still feeds an optimizer (which takes std::vector<std::optional<Tensor>>).
  tf::GradientTape t2;
  auto loss = x * x;
  t2.stop();
  std::vector<tf::Variable> vars{x};
  tf::keras::optimizers::SGD sgd({.learning_rate = 0.5});
  sgd.apply_gradients(t2.gradient(loss, vars), vars);
  EXPECT_FLOAT_EQ(x.read_value().item<float>(), 0.0f);  // 2 - 0.5 * 4
}

}  // namespace
