// tf::autodiff::ForwardAccumulator: TF's documented examples give TF's values (fixtures from
// tests/fixtures/gen_forward_accumulator.py), TF's errors, nesting with tapes and accumulators
// (Hessian-vector products of an MLP loss against finite differences of its gradients),
// forward-mode jacobian/batch_jacobian, and Functions seen as one op. Every op's JVP is checked
// by check_gradients (gradient_check.h) in each GRADIENT_CHECK_TEST.
#include <gtest/gtest-spi.h>

#include <cmath>

#include "tests/autograd/fixtures/forward_accumulator_fixtures.h"
#include "tests/autograd/gradient_check.h"

namespace {
namespace fx = fixtures::forward_accumulator;
using tf::testing::expect_values;
using tf::testing::uniform;

std::vector<double> as_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

TEST(ForwardAccumulator, IssueExampleGivesTFsValue) {
  tf::Variable x(tf::constant({1.0f, 2.0f}));
  auto v = tf::constant({1.0f, 0.0f});
  tf::autodiff::ForwardAccumulator acc({x}, {v});
  auto y = tf::reduce_sum(tf::sin(x) * x);
  acc.stop();
  auto jv = acc.jvp(y);
  ASSERT_TRUE(jv.has_value());
  expect_values(*jv, tf::Shape{}, as_double(fx::issue_jvp), 1e-6);
  expect_values(*acc.jvp(x), tf::Shape{2}, {1.0, 0.0});  // a primal's JVP is its tangent
}

TEST(ForwardAccumulator, UnconnectedStoppedAndIntegerGiveNone) {
  auto x = tf::constant({1.0, 2.0}, tf::float64);
  auto c = tf::constant({3.0, 4.0}, tf::float64);
  tf::autodiff::ForwardAccumulator acc({x}, {tf::constant({1.0, 1.0}, tf::float64)});
  auto y = c * c;
  auto i = tf::argmax(x * x, 0);
  acc.stop();
  auto z = tf::sin(x);  // after stop(): not recorded
  EXPECT_FALSE(acc.jvp(y).has_value());
  EXPECT_FALSE(acc.jvp(i).has_value());
  EXPECT_FALSE(acc.jvp(z).has_value());
  expect_values(*acc.jvp(y, tf::UnconnectedGradients::Zero), tf::Shape{2}, {0.0, 0.0});
  acc.resume();
  auto w = tf::sin(x);
  acc.stop();
  expect_values(*acc.jvp(w), tf::Shape{2}, {std::cos(1.0), std::cos(2.0)}, 1e-12);
}

TEST(ForwardAccumulator, BadArgumentsRaiseTFsErrors) {
  auto x = tf::constant({1.0f, 2.0f});
  using Acc = tf::autodiff::ForwardAccumulator;
  EXPECT_THROW(Acc({x, x + 1.0f}, {x}), tf::errors::InvalidArgumentError);                            // structure
  EXPECT_THROW(Acc({x}, {tf::constant({1.0, 2.0}, tf::float64)}), tf::errors::InvalidArgumentError);  // dtype
  EXPECT_THROW(Acc({x}, {tf::constant({1.0f, 2.0f, 3.0f})}), tf::errors::InvalidArgumentError);       // shape
  EXPECT_THROW(Acc({x, x}, {x, x}), tf::errors::InvalidArgumentError);                                // twice
  Acc acc({x}, {x});
  EXPECT_THROW(acc.resume(), tf::errors::InvalidArgumentError);  // "Accumulator is already recording."
  EXPECT_EQ(tf::tape_hook_depth(), 1);
  acc.stop();
  EXPECT_EQ(tf::tape_hook_depth(), 0);
}

TEST(ForwardAccumulator, DenseLossAlongAKernelEntryGivesTFsValue) {
  auto xs = tf::constant({{2.0f, 3.0f}, {1.0f, 4.0f}});
  auto targets = tf::constant({{1.0f}, {-1.0f}});
  tf::Variable kernel(tf::constant({{0.5f}, {-0.25f}}));
  tf::Variable bias(tf::constant({0.1f}));
  tf::autodiff::ForwardAccumulator acc({kernel}, {tf::constant({{1.0f}, {0.0f}})});
  auto loss = tf::reduce_sum(tf::pow(tf::matmul(xs, kernel) + bias - targets, 2.0f));
  acc.stop();
  expect_values(*acc.jvp(loss), tf::Shape{}, as_double(fx::doc_dense_jvp), 1e-6);
}

TEST(ForwardAccumulator, ForwardOverBackwardGivesTFsHessianVectorProduct) {
  tf::Variable v(tf::constant({1.0f, 2.0f}));
  tf::autodiff::ForwardAccumulator acc({v}, {tf::constant({1.0f, 3.0f})});
  tf::Tensor backward;
  {
    tf::GradientTape tape;
    auto y = tf::reduce_sum(tf::pow(v, 3.0f));
    tape.stop();
    backward = *tape.gradient(y, v);
  }
  acc.stop();
  expect_values(backward, tf::Shape{2}, as_double(fx::doc_hvp_backward));
  expect_values(*acc.jvp(backward), tf::Shape{2}, as_double(fx::doc_hvp));
}

TEST(ForwardAccumulator, TapeInsideAccumulatorGivesTFsValues) {
  auto x = tf::constant(2.0f);
  tf::autodiff::ForwardAccumulator acc({x}, {tf::constant(-1.0f)});
  tf::GradientTape tape;
  tape.watch(x);
  auto y = tf::pow(x, 3.0f);
  tape.stop();
  auto grad = *tape.gradient(y, x);
  acc.stop();
  expect_values(*acc.jvp(y), tf::Shape{}, as_double(fx::doc_nested_jvp_y));
  expect_values(*acc.jvp(grad), tf::Shape{}, as_double(fx::doc_nested_jvp_grad));
}

TEST(ForwardAccumulator, BackwardOverForwardGivesTFsValues) {
  auto x = tf::constant(2.0f);
  tf::GradientTape tape;
  tape.watch(x);
  tf::Tensor jvp;
  {
    tf::autodiff::ForwardAccumulator acc({x}, {tf::constant(1.0f)});
    auto y = x * x * x;
    acc.stop();
    jvp = *acc.jvp(y);
  }
  tape.stop();
  expect_values(jvp, tf::Shape{}, as_double(fx::back_over_fwd_jvp));
  expect_values(*tape.gradient(jvp, x), tf::Shape{}, as_double(fx::back_over_fwd_grad));
}

TEST(ForwardAccumulator, NestedAccumulatorsGiveTFsSecondDerivative) {
  auto x = tf::constant(1.0f);
  tf::autodiff::ForwardAccumulator outer({x}, {tf::constant(1.0f)});
  tf::Tensor y, inner_jvp;
  {
    tf::autodiff::ForwardAccumulator inner({x}, {tf::constant(1.0f)});
    y = tf::sin(x);
    inner.stop();
    inner_jvp = *inner.jvp(y);
  }
  outer.stop();
  expect_values(inner_jvp, tf::Shape{}, as_double(fx::double_fwd_inner));
  expect_values(*outer.jvp(inner_jvp), tf::Shape{}, as_double(fx::double_fwd_outer_of_inner));
  expect_values(*outer.jvp(y), tf::Shape{}, as_double(fx::double_fwd_outer));
}

// ---- Hessian-vector products of an MLP loss (float64) against finite differences of gradients --
struct Mlp {
  tf::Tensor x = uniform({6, 5}, -1, 1, 11);
  tf::Tensor labels = tf::one_hot(tf::constant({0, 2, 1, 2, 0, 1}), 3, 1, 0, -1, tf::float64);
  tf::Tensor loss(const std::vector<tf::Tensor>& p) const {
    tf::Tensor h = tf::tanh(tf::matmul(x, p[0]) + p[1]);
    tf::Tensor logits = tf::matmul(h, p[2]) + p[3];
    return tf::reduce_mean(tf::nn::softmax_cross_entropy_with_logits(labels, logits));
  }
  std::vector<tf::Tensor> gradient(const std::vector<tf::Tensor>& p) const {
    tf::GradientTape tape;
    for (const auto& t : p) tape.watch(t);
    tf::Tensor l = loss(p);
    tape.stop();
    auto g = tape.gradient(l, p);
    return {*g[0], *g[1], *g[2], *g[3]};
  }
};

TEST(ForwardAccumulator, MlpHessianVectorProductMatchesFiniteDifferencesOfGradients) {
  Mlp mlp;
  std::vector<tf::Tensor> p = {uniform({5, 4}, -1, 1, 1), uniform({4}, -1, 1, 2), uniform({4, 3}, -1, 1, 3),
                               uniform({3}, -1, 1, 4)};
  std::vector<tf::Tensor> v = {uniform({5, 4}, -1, 1, 5), uniform({4}, -1, 1, 6), uniform({4, 3}, -1, 1, 7),
                               uniform({3}, -1, 1, 8)};
  std::vector<tf::Tensor> hvp;
  {
    tf::autodiff::ForwardAccumulator acc({p[0], p[1], p[2], p[3]}, v);
    std::vector<tf::Tensor> g = mlp.gradient(p);
    acc.stop();
    for (const auto& gi : g) hvp.push_back(*acc.jvp(gi));
  }
  const double eps = 1e-5;
  auto shifted = [&](double s) {
    std::vector<tf::Tensor> q;
    for (std::size_t i = 0; i < p.size(); ++i) q.push_back(p[i] + v[i] * s);
    return mlp.gradient(q);
  };
  std::vector<tf::Tensor> up = shifted(eps), down = shifted(-eps);
  for (std::size_t i = 0; i < p.size(); ++i) {
    std::vector<double> u = up[i].to_vector<double>(), d = down[i].to_vector<double>(), want;
    for (std::size_t k = 0; k < u.size(); ++k) want.push_back((u[k] - d[k]) / (2 * eps));
    expect_values(hvp[i], p[i].shape(), want, 1e-7);
  }
}

// ---- forward-mode jacobian / batch_jacobian ------------------------------------------------
TEST(ForwardAccumulator, ForwardModeJacobianEqualsReverseMode) {
  auto x = uniform({2, 2}, -1, 1, 3);
  auto w = uniform({2, 5}, -1, 1, 4);
  auto f = [&](const tf::Tensor& t) { return tf::sin(tf::matmul(t, w)) * tf::reduce_sum(t); };
  tf::Tensor fwd, rev;
  {
    tf::GradientTape tape;
    tape.watch(x);
    auto y = f(x);
    tape.stop();
    fwd = *tape.jacobian(y, x, {.forward_mode = true});  // the spelling README shows
  }
  {
    tf::GradientTape tape;
    tape.watch(x);
    auto y = f(x);
    tape.stop();
    rev = *tape.jacobian(y, x);
  }
  expect_values(fwd, tf::Shape{2, 5, 2, 2}, rev.to_vector<double>(), 1e-12);
  tf::GradientTape tape;
  tape.watch(x);
  (void)f(x);
  auto unrelated = tf::constant({1.0, 2.0});
  tape.stop();
  EXPECT_FALSE(tape.jacobian(unrelated, x, tf::JacobianOptions{.forward_mode = true}).has_value());
}

TEST(ForwardAccumulator, ForwardModeBatchJacobianEqualsReverseModeWithVariables) {
  auto x = uniform({3, 4}, -1, 1, 5);
  tf::Variable w(uniform({4, 2}, -1, 1, 6));
  auto f = [&](const tf::Tensor& t) { return tf::tanh(tf::matmul(t * t, w)); };
  tf::Tensor fwd, rev;
  {
    tf::GradientTape tape({.persistent = true});
    tape.watch(x);
    auto y = f(x);
    tape.stop();
    fwd = *tape.batch_jacobian(y, x, tf::JacobianOptions{.forward_mode = true});
    rev = *tape.batch_jacobian(y, x);
    // A variable source: d y / d w through its reads.
    auto jw_fwd = *tape.jacobian(y, w, tf::JacobianOptions{.forward_mode = true});
    auto jw_rev = *tape.jacobian(y, w);
    expect_values(jw_fwd, tf::Shape{3, 2, 4, 2}, jw_rev.to_vector<double>(), 1e-12);
  }
  expect_values(fwd, tf::Shape{3, 2, 4}, rev.to_vector<double>(), 1e-12);
}

// ---- tf::function: a call is one op to the accumulator ---------------------------------------
TEST(ForwardAccumulator, FunctionCallIsOneOpWithTheEagerJvp) {
  auto f = tf::function([](const tf::Tensor& a, const tf::Tensor& b) { return tf::tanh(tf::matmul(a, b)) * a; });
  auto a = uniform({2, 2}, -1, 1, 1), b = uniform({2, 2}, -1, 1, 2);
  auto ta = uniform({2, 2}, -1, 1, 3), tb = uniform({2, 2}, -1, 1, 4);
  tf::Tensor traced, eager;
  {
    tf::autodiff::ForwardAccumulator acc({a, b}, {ta, tb});
    tf::Tensor y = f(a, b);
    acc.stop();
    traced = *acc.jvp(y);
  }
  {
    tf::autodiff::ForwardAccumulator acc({a, b}, {ta, tb});
    auto y = tf::tanh(tf::matmul(a, b)) * a;
    acc.stop();
    eager = *acc.jvp(y);
  }
  expect_values(traced, tf::Shape{2, 2}, eager.to_vector<double>(), 1e-12);
}

// ---- the registry: which ops have explicit JVP rules ------------------------------------------
TEST(ForwardAccumulator, ExplicitJvpRulesCoverTheHotOpsAndAreGradientChecked) {
  const auto& checked = tf::testing::gradient_checked_ops();
  std::set<std::string> explicit_rules;
  for (tf::OpDef* op : tf::registered_ops())
    if (tf::autograd::jvp_function(*op)) {
      explicit_rules.insert(op->name);
      EXPECT_NE(tf::autograd::gradient_function(*op), nullptr) << op->name << " has a JVP rule but no gradient rule";
      EXPECT_TRUE(checked.count(op->name)) << op->name << " has a JVP rule but no GRADIENT_CHECK_TEST checks it";
    }
  for (const char* hot : {"AddV2", "Sub", "Mul", "RealDiv", "MatMul", "BatchMatMulV2", "Exp", "Log", "Tanh", "Sigmoid",
                          "Relu", "Sin", "Cos", "Square", "Sqrt", "Neg", "Sum", "Mean", "BiasAdd"})
    EXPECT_TRUE(explicit_rules.count(hot)) << hot << " should have an explicit JVP rule";
}

// The checker's forward-mode half catches a wrong JVP rule (Sin's, swapped for twice the truth).
tf::autograd::OutputTangents doubled_sin_jvp(const tf::autograd::JvpContext& c) {
  return {c.tangent(0) * tf::cos(c.input(0)) * 2.0};
}
TEST(ForwardAccumulator, CheckerCatchesAWrongJvpRule) {
  tf::OpDef* sin = tf::find_op("Sin");
  ASSERT_NE(sin, nullptr);
  tf::autograd::JvpFn right = tf::autograd::jvp_function(*sin);
  ASSERT_NE(right, nullptr);
  tf::autograd::register_jvp(*sin, doubled_sin_jvp);
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    tf::testing::check_gradients([](const std::vector<tf::Tensor>& v) { return tf::sin(v[0]); },
                                 {uniform({3}, -1, 1, 1)});
  }
  tf::autograd::register_jvp(*sin, right);
  // Each of the 3 JVP elements against central differences, and <w, J t> against <Jᵀw, t>.
  ASSERT_EQ(failures.size(), 4);
  for (int i = 0; i < 3; ++i)
    EXPECT_NE(std::string(failures.GetTestPartResult(i).message()).find("JVP element"), std::string::npos);
  EXPECT_NE(std::string(failures.GetTestPartResult(3).message()).find("reverse mode"), std::string::npos);
  tf::testing::check_gradients([](const std::vector<tf::Tensor>& v) { return tf::sin(v[0]); },
                               {uniform({3}, -1, 1, 1)});
}

}  // namespace
