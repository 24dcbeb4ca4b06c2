// tf::cond: eager (the chosen branch runs), traced (an If node running one branch graph), and
// differentiable both ways, with the same values and gradients.
#include <gtest/gtest.h>

#include <cmath>

#include "tapeflow/tapeflow.h"

namespace {

tf::Tensor piecewise(const tf::Tensor& x) {
  // x > 0: x^2 * 3; else: sin(x)
  return tf::cond(
      tf::greater(tf::reduce_sum(x), tf::constant(0.0f)), [&] { return x * x * 3.0f; }, [&] { return tf::sin(x); });
}

TEST(Cond, EagerRunsTheChosenBranchOnly) {
  int true_runs = 0, false_runs = 0;
  auto r = tf::cond(
      tf::constant(true),
      [&] {
        ++true_runs;
        return tf::constant(1);
      },
      [&] {
        ++false_runs;
        return tf::constant(2);
      });
  EXPECT_EQ(r.tensor().item<int>(), 1);
  EXPECT_EQ(true_runs, 1);
  EXPECT_EQ(false_runs, 0);
  EXPECT_THROW(tf::cond(
                   tf::constant(1), [] { return tf::constant(1); }, [] { return tf::constant(2); }),
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
    return tf::cond(
        tf::less(tf::reduce_sum(x), tf::constant(0.0f)), [&] { return x * scale; }, [&] { return x + 1.0f; });
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

namespace {
std::vector<tf::Tensor> collatz_steps(const std::vector<tf::Tensor>& start) {
  return tf::while_loop([](const std::vector<tf::Tensor>& v) { return tf::greater(v[0], tf::constant(1)); },
                        [](const std::vector<tf::Tensor>& v) {
                          auto n = v[0];
                          auto next = tf::cond(
                              tf::equal(tf::floormod(n, tf::constant(2)), tf::constant(0)),
                              [&] { return tf::floordiv(n, tf::constant(2)); },
                              [&] { return n * tf::constant(3) + tf::constant(1); });
                          return std::vector<tf::Tensor>{next.tensor(), v[1] + tf::constant(1)};
                        },
                        start);
}

TEST(WhileLoop, EagerAndTracedGiveTheSameCounts) {
  auto f = tf::function([](const tf::Tensor& n) { return collatz_steps({n, tf::constant(0)})[1]; });
  for (int n : {1, 6, 7, 27}) {
    const int eager = collatz_steps({tf::constant(n), tf::constant(0)})[1].item<int>();
    EXPECT_EQ(f(tf::constant(n)).tensor().item<int>(), eager) << n;
  }
  EXPECT_EQ(collatz_steps({tf::constant(27), tf::constant(0)})[1].item<int>(), 111);
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
  int whiles = 0;
  for (const auto& node : f.concrete_functions()[0].graph().as_graph_def().node) whiles += node.op == "While";
  EXPECT_EQ(whiles, 1);
}

TEST(WhileLoop, SideEffectsInTheBodyRunEveryIterationAndAShapeChangeIsRejected) {
  tf::Variable total(0);
  auto f = tf::function([&](const tf::Tensor& n) {
    tf::while_loop([](const std::vector<tf::Tensor>& v) { return tf::less(v[0], v[1]); },
                   [&](const std::vector<tf::Tensor>& v) {
                     total.assign_add(v[0]);
                     return std::vector<tf::Tensor>{v[0] + tf::constant(1), v[1]};
                   },
                   {tf::constant(0), n});
    return total.read_value();
  });
  EXPECT_EQ(f(tf::constant(5)).tensor().item<int>(), 10);  // 0+1+2+3+4, the loop's outputs unused
  EXPECT_EQ(total.item<int>(), 10);
  auto bad = tf::function([](const tf::Tensor& x) {
    return tf::while_loop(
        [](const std::vector<tf::Tensor>& v) { return tf::less(tf::reduce_sum(v[0]), tf::constant(10.0f)); },
        [](const std::vector<tf::Tensor>& v) {
          return std::vector<tf::Tensor>{tf::concat({v[0], v[0]}, 0)};
        },
        {x})[0];
  });
  EXPECT_THROW(bad(tf::constant({1.0f})), tf::errors::InvalidArgumentError);
}
}  // namespace
