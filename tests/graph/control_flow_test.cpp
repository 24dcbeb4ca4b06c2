// tf::cond: eager (the chosen branch runs), traced (an If node running one branch graph), and
// differentiable both ways, with the same values and gradients.
#include <gtest/gtest.h>

#include <cmath>

#include "tapeflow/tapeflow.h"

namespace {

tf::Tensor piecewise(const tf::Tensor& x) {
  // x > 0: x^2 * 3; else: sin(x)
  return tf::cond(tf::greater(tf::reduce_sum(x), tf::constant(0.0f)), [&] { return x * x * 3.0f; },
                  [&] { return tf::sin(x); });
}

TEST(Cond, EagerRunsTheChosenBranchOnly) {
  int true_runs = 0, false_runs = 0;
  auto r = tf::cond(tf::constant(true), [&] { ++true_runs; return tf::constant(1); }, [&] { ++false_runs; return tf::constant(2); });
  EXPECT_EQ(r.tensor().item<int>(), 1);
  EXPECT_EQ(true_runs, 1);
  EXPECT_EQ(false_runs, 0);
  EXPECT_THROW(tf::cond(tf::constant(1), [] { return tf::constant(1); }, [] { return tf::constant(2); }),
               tf::errors::InvalidArgumentError);
}

TEST(Cond, TracedIsOneIfNodeAndMatchesEager) {
  auto f = tf::function(piecewise);
  for (auto x : {tf::constant({1.0f, 2.0f}), tf::constant({-1.0f, -0.5f})}) {
    EXPECT_EQ(f(x).tensor().to_vector<float>(), piecewise(x).to_vector<float>());
  }
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
  int ifs = 0;
  for (const auto& n : f.concrete_functions()[0].graph().as_graph_def().node) ifs += n.op == "If";
  EXPECT_EQ(ifs, 1);
}

TEST(Cond, GradientsMatchEagerInAndOutOfFunctions) {
  auto f = tf::function(piecewise);
  tf::Variable scale(2.0f);
  auto g = tf::function([&](const tf::Tensor& x) {
    return tf::cond(tf::less(tf::reduce_sum(x), tf::constant(0.0f)), [&] { return x * scale; }, [&] { return x + 1.0f; });
  });
  for (auto x : {tf::constant({1.0f, 2.0f}), tf::constant({-1.0f, -0.5f})}) {
    tf::GradientTape te;
    te.watch(x);
    auto ye = piecewise(x);
    te.stop();
    tf::GradientTape tg;
    tg.watch(x);
    tf::Tensor yg = f(x);
    tg.stop();
    auto a = te.gradient(ye, x)->to_vector<float>(), b = tg.gradient(yg, x)->to_vector<float>();
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], a[i], 1e-6f);
    // A variable read inside a branch gets its gradient through the If.
    tf::GradientTape tv;
    tf::Tensor yv = g(x);
    tv.stop();
    auto gv = tv.gradient(yv, scale);
    const float sum = x.to_vector<float>()[0] + x.to_vector<float>()[1];
    if (sum < 0) {
      ASSERT_TRUE(gv.has_value());
      EXPECT_FLOAT_EQ(gv->item<float>(), sum);
    }
  }
}

TEST(Cond, TapeInsideAFunctionDifferentiatesTheIf) {
  auto f = tf::function([](const tf::Tensor& x) {
    tf::GradientTape tape;
    tape.watch(x);
    auto y = piecewise(x);
    tape.stop();
    return *tape.gradient(y, x);
  });
  auto x = tf::constant({1.0f, 2.0f});
  EXPECT_EQ(f(x).tensor().to_vector<float>(), (std::vector<float>{6.0f, 12.0f}));
  auto xn = tf::constant({-1.0f, -0.5f});
  auto got = f(xn).tensor().to_vector<float>();
  EXPECT_NEAR(got[0], std::cos(-1.0f), 1e-6f);
  EXPECT_NEAR(got[1], std::cos(-0.5f), 1e-6f);
}

}  // namespace
