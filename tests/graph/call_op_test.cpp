// Gradients and Functions: a Function called under a tape is one call op whose gradient is the
// traced backward of its graph; a tape inside a Function traces the backward into the graph; a
// whole training step is one Function. Every value is compared with the same program run eagerly
// and, for the op table, with float64 central differences (the autograd checker, order 2).
#include <gtest/gtest.h>

#include "autograd/gradient_check.h"
#include "tapeflow/tapeflow.h"

namespace {

namespace K = tf::keras;
using tf::testing::check_gradients;
using tf::testing::uniform;

/// `f` as a tf::function taking the list of inputs, so the checker calls it through the graph.
tf::testing::Function through_function(tf::testing::Function f) {
  auto fn = tf::function([f](const std::vector<tf::Tensor>& xs) { return f(xs); });
  return [fn](const std::vector<tf::Tensor>& xs) -> tf::Tensor { return fn(xs); };
}

void expect_same(const tf::Tensor& a, const tf::Tensor& b, double tol = 1e-12) {
  ASSERT_EQ(a.shape(), b.shape());
  auto x = tf::cast(a, tf::float64).to_vector<double>(), y = tf::cast(b, tf::float64).to_vector<double>();
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], y[i], tol * (1 + std::abs(y[i]))) << "element " << i;
}

TEST(FunctionGradient, TapeThroughAFunctionEqualsEager) {
  tf::Variable w(uniform({3, 2}, -1, 1, 7));
  auto body = [&](const tf::Tensor& x) {
    return tf::reduce_sum(tf::tanh(tf::matmul(x, w)) * x[{tf::all, tf::slice(0, 2)}]);
  };
  auto f = tf::function(body);
  auto x = uniform({4, 3}, -1, 1, 3);
  std::vector<std::optional<tf::Tensor>> eager, graph;
  {
    tf::GradientTape tape;
    tape.watch(x);
    auto y = body(x);
    tape.stop();
    eager = tape.gradient(y, std::vector<tf::Source>{x, w});
  }
  {
    tf::GradientTape tape;
    tape.watch(x);
    tf::Tensor y = f(x);
    tape.stop();
    graph = tape.gradient(y, std::vector<tf::Source>{x, w});
  }
  ASSERT_TRUE(graph[0] && graph[1]);
  expect_same(*graph[0], *eager[0]);
  expect_same(*graph[1], *eager[1]);
}

TEST(FunctionGradient, HigherOrderThroughAFunction) {
  auto cube = tf::function([](const tf::Tensor& x) { return x * x * x; });
  auto x = tf::constant({1.5, -2.0}, tf::float64);
  tf::GradientTape outer;
  outer.watch(x);
  tf::GradientTape inner;
  inner.watch(x);
  tf::Tensor y = cube(x);
  inner.stop();
  tf::Tensor dy = *inner.gradient(y, x);
  outer.stop();
  tf::Tensor d2y = *outer.gradient(dy, x);
  EXPECT_EQ(dy.to_vector<double>(), (std::vector<double>{3 * 1.5 * 1.5, 12.0}));
  EXPECT_EQ(d2y.to_vector<double>(), (std::vector<double>{9.0, -12.0}));
}

TEST(FunctionGradient, TapeInsideAFunctionTracesTheBackward) {
  auto grad = tf::function([](const tf::Tensor& x) {
    tf::GradientTape tape;
    tape.watch(x);
    auto y = tf::sin(x) * x;
    tape.stop();
    return *tape.gradient(y, x);
  });
  auto x = tf::constant({0.5f, 1.0f, -2.0f});
  tf::GradientTape tape;
  tape.watch(x);
  auto y = tf::sin(x) * x;
  tape.stop();
  expect_same(grad(x), *tape.gradient(y, x), 1e-6);
  bool has_cos = false;
  for (const auto& n : grad.concrete_functions()[0].graph().as_graph_def().node) has_cos |= n.op == "Cos";
  EXPECT_TRUE(has_cos) << "the backward (d sin = cos) is part of the traced graph";
}

/// A linear regression trained for a few steps: a whole SGD step (tape, gradient,
/// apply_gradients) as one Function gives the eager loop's weights.
TEST(FunctionGradient, TrainingStepAsOneFunction) {
  auto x = tf::random::normal({32, 3}, {.seed = 1});
  auto y = tf::matmul(x, tf::constant({{1.0f}, {-2.0f}, {0.5f}})) + 0.3f;
  auto run = [&](bool traced) {
    tf::Variable w(tf::zeros({3, 1})), b(tf::zeros({1}));
    K::optimizers::SGD opt({.learning_rate = 0.1});
    auto step = [&](const tf::Tensor& xb, const tf::Tensor& yb) {
      tf::GradientTape tape;
      auto loss = tf::reduce_mean(tf::square(tf::matmul(xb, w) + b - yb));
      tape.stop();
      std::vector<tf::Variable> vars{w, b};
      opt.apply_gradients(tape.gradient(loss, vars), vars);
      return loss;
    };
    auto fstep = tf::function(step);
    std::vector<float> losses;
    for (int i = 0; i < 20; ++i) losses.push_back((traced ? fstep(x, y).tensor() : step(x, y)).item<float>());
    if (traced) EXPECT_EQ(fstep.experimental_get_tracing_count(), 1);
    return std::make_tuple(losses, w.to_vector<float>(), b.to_vector<float>());
  };
  auto [eager_losses, eager_w, eager_b] = run(false);
  auto [graph_losses, graph_w, graph_b] = run(true);
  EXPECT_LT(eager_losses.back(), eager_losses.front() * 0.1f);
  for (std::size_t i = 0; i < eager_losses.size(); ++i) EXPECT_FLOAT_EQ(graph_losses[i], eager_losses[i]);
  for (std::size_t i = 0; i < eager_w.size(); ++i) EXPECT_FLOAT_EQ(graph_w[i], eager_w[i]);
  EXPECT_FLOAT_EQ(graph_b[0], eager_b[0]);
}

// The autograd checker (order 2: gradients of gradients) through Functions.
struct Case {
  const char* name;
  tf::testing::Function f;
  std::vector<tf::Tensor> inputs;
};

TEST(FunctionGradient, GradientChecksPassThroughFunctions) {
  std::vector<Case> cases = {
      {"Tanh", [](const auto& v) { return tf::tanh(v[0]); }, {uniform({2, 3}, -2, 2)}},
      {"Sigmoid", [](const auto& v) { return tf::sigmoid(v[0]); }, {uniform({2, 3}, -2, 2)}},
      {"Exp", [](const auto& v) { return tf::exp(v[0]); }, {uniform({3}, -1, 1)}},
      {"Log", [](const auto& v) { return tf::log(v[0]); }, {uniform({3}, 0.5, 2)}},
      {"Sqrt", [](const auto& v) { return tf::sqrt(v[0]); }, {uniform({3}, 0.5, 2)}},
      {"Mul", [](const auto& v) { return v[0] * v[1]; }, {uniform({2, 3}, -1, 1, 1), uniform({3}, -1, 1, 2)}},
      {"RealDiv", [](const auto& v) { return v[0] / v[1]; }, {uniform({2, 3}, -1, 1, 1), uniform({3}, 1, 2, 2)}},
      {"Maximum",
       [](const auto& v) { return tf::maximum(v[0], v[1]); },
       {uniform({4}, -1, 1, 1), uniform({4}, -1, 1, 2)}},
      {"MatMul",
       [](const auto& v) { return tf::matmul(v[0], v[1]); },
       {uniform({2, 3}, -1, 1, 1), uniform({3, 4}, -1, 1, 2)}},
      {"Sum", [](const auto& v) { return tf::reduce_sum(v[0] * v[0], 1); }, {uniform({2, 3}, -1, 1)}},
      {"Mean", [](const auto& v) { return tf::reduce_mean(tf::square(v[0]), 0, true); }, {uniform({2, 3}, -1, 1)}},
      {"Softmax", [](const auto& v) { return tf::nn::softmax(v[0]); }, {uniform({2, 4}, -1, 1)}},
      {"Transpose", [](const auto& v) { return tf::transpose(v[0]) * 2.0; }, {uniform({2, 3}, -1, 1)}},
      {"ConcatV2",
       [](const auto& v) {
         return tf::concat({v[0], tf::square(v[1])}, 0);
       },
       {uniform({2, 3}, -1, 1, 1), uniform({1, 3}, -1, 1, 2)}},
      {"StridedSlice",
       [](const auto& v) {
         return v[0][{tf::slice(0, 1), tf::slice(1, {})}] * v[0][{1, 0}];
       },
       {uniform({2, 3}, -1, 1)}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    check_gradients(through_function(c.f), c.inputs, {.order = 2});
  }
}

// A Function traced with a None dimension is differentiated per call: the backward graph is traced
// for the call's concrete shapes, so it matches the eager gradient for every batch size.
TEST(FunctionGradient, NoneDimensionsAreDifferentiable) {
  tf::Variable w(uniform({3, 2}, -1, 1, 5));
  auto body = [&](const tf::Tensor& x) { return tf::reduce_sum(tf::square(tf::matmul(tf::tanh(x), w)), 1); };
  auto f = tf::function(body, {.input_signature = {{tf::TensorSpec({-1, 3}, tf::float64)}}});
  for (int64_t rows : {6, 2, 1}) {
    SCOPED_TRACE(rows);
    auto x = uniform({rows, 3}, -1, 1, static_cast<unsigned>(rows));
    std::vector<std::optional<tf::Tensor>> eager, graph;
    {
      tf::GradientTape tape;
      tape.watch(x);
      auto y = body(x);
      tape.stop();
      eager = tape.gradient(y, std::vector<tf::Source>{x, w});
    }
    {
      tf::GradientTape tape;
      tape.watch(x);
      tf::Tensor y = f(x).tensor();
      tape.stop();
      EXPECT_EQ(y.shape(), tf::Shape({rows}));
      graph = tape.gradient(y, std::vector<tf::Source>{x, w});
    }
    ASSERT_TRUE(graph[0] && graph[1]);
    expect_same(*graph[0], *eager[0], 1e-6);
    expect_same(*graph[1], *eager[1], 1e-6);
  }
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
}

// Keras's Flatten traced with a None batch keeps the batch dimension unknown, runs for any batch,
// and is differentiable through the Function.
TEST(FunctionGradient, FlattenWithNoneBatch) {
  auto flatten = K::layers::Flatten();
  auto f = tf::function([&](const tf::Tensor& x) { return flatten(x); },
                        {.input_signature = {{tf::TensorSpec({-1, 2, 3}, tf::float64)}}});
  EXPECT_EQ(f.get_concrete_function().structured_outputs()[0].shape, tf::Shape({-1, 6}));
  for (int64_t rows : {4, 1}) {
    auto x = uniform({rows, 2, 3}, -1, 1, 9);
    tf::GradientTape tape;
    tape.watch(x);
    tf::Tensor y = f(x).tensor();
    auto loss = tf::reduce_sum(y * y);
    tape.stop();
    EXPECT_EQ(y.shape(), tf::Shape({rows, 6}));
    expect_same(y, tf::reshape(x, {rows, 6}));
    expect_same(*tape.gradient(loss, x), 2.0 * x, 1e-6);
  }
}

}  // namespace
