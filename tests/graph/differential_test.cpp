// Differential test: random programs built from the door's ops run eagerly and as Functions must
// give identical values (the graph runs the same kernels, so bit for bit), and identical
// gradients through the call op's traced backward.
#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <cstring>
#include <random>

#include "tapeflow/core/ops/binary_table.h"
#include "tapeflow/core/ops/unary_table.h"
#include "tapeflow/tapeflow.h"

namespace {

using Op = std::function<tf::Tensor(const tf::Tensor&, const tf::Tensor&)>;

struct NamedOp {
  const char* name;
  Op fn;
};

// Shape-preserving ops on (3, 4) float32 values; inputs stay in ranges where every op is defined.
const std::vector<NamedOp>& op_table() {
  static const std::vector<NamedOp> ops = {
      {"AddV2", [](auto& a, auto& b) { return a + b; }},
      {"Sub", [](auto& a, auto& b) { return a - b; }},
      {"Mul", [](auto& a, auto& b) { return a * b; }},
      {"RealDiv", [](auto& a, auto& b) { return a / (tf::abs(b) + 1.0f); }},
      {"Maximum", [](auto& a, auto& b) { return tf::maximum(a, b); }},
      {"Minimum", [](auto& a, auto& b) { return tf::minimum(a, b); }},
      {"Tanh", [](auto& a, auto&) { return tf::tanh(a); }},
      {"Sigmoid", [](auto& a, auto&) { return tf::sigmoid(a); }},
      {"Sin", [](auto& a, auto&) { return tf::sin(a); }},
      {"Exp", [](auto& a, auto&) { return tf::exp(tf::clip_by_value(a, -3.0f, 3.0f)); }},
      {"Relu", [](auto& a, auto&) { return tf::nn::relu(a); }},
      {"Square", [](auto& a, auto&) { return tf::square(a) * 0.5f; }},
      {"Softmax", [](auto& a, auto&) { return tf::nn::softmax(a); }},
      {"MatMul",
       [](auto& a, auto& b) {
         return tf::matmul(a, b, {.transpose_b = true})[{tf::all, tf::slice(0, 3)}] * 0.1f +
                a[{tf::all, tf::slice(0, 3)}] * 0.0f;
       }},
      {"MeanKeepdims", [](auto& a, auto& b) { return a - tf::reduce_mean(b, 1, true); }},
      {"Transpose",
       [](auto& a, auto&) {
         return tf::reshape(tf::transpose(a), {3, 4});
       }},
      {"Concat",
       [](auto& a, auto& b) {
         return tf::concat({a[{tf::all, tf::slice(0, 2)}], b[{tf::all, tf::slice(2, 4)}]}, 1);
       }},
      // Patterns the optimizer rewrites: fused contractions, identities, constants, duplicates.
      {"MatMulBiasAddRelu",
       [](auto& a, auto& b) {
         return tf::nn::relu(
             tf::nn::bias_add(tf::matmul(a, tf::matmul(b, b, true, false) * 0.1f), tf::reduce_mean(b, 0)));
       }},
      {"MatMulAddV2",
       [](auto& a, auto& b) { return tf::reduce_mean(b, 0) + tf::matmul(a, tf::matmul(b, b, true, false) * 0.1f); }},
      {"Conv2DBiasAddRelu",
       [](auto& a, auto& b) {
         auto x = tf::reshape(a, {1, 3, 4, 1});
         auto f = tf::reshape(b[{tf::slice(0, 1), tf::all}], {2, 2, 1, 1});
         return tf::reshape(
             tf::nn::relu(tf::nn::bias_add(tf::nn::conv2d(x, f, 1, "SAME"), tf::reshape(tf::reduce_mean(b), {1}))),
             {3, 4});
       }},
      {"Identities", [](auto& a, auto&) { return tf::negative(tf::negative(a * 1.0f + 0.0f)) / 1.0f - 0.0f; }},
      {"ConstantSubgraph",
       [](auto& a, auto&) { return a * (tf::constant(2.0f) * tf::constant(0.5f)) + tf::exp(tf::constant(-1.0f)); }},
      {"Duplicates",
       [](auto& a, auto& b) {
         return tf::sin(a) * tf::sin(a) + tf::matmul(a, b, false, true)[{tf::all, tf::slice(0, 1)}] -
                tf::matmul(a, b, false, true)[{tf::all, tf::slice(0, 1)}];
       }},
  };
  return ops;
}

struct Program {
  struct Step {
    std::size_t op, a, b;
  };
  std::vector<Step> steps;
  std::vector<std::string> names;

  std::vector<tf::Tensor> run(const std::vector<tf::Tensor>& inputs) const {
    std::vector<tf::Tensor> pool = inputs;
    for (const Step& s : steps) {
      tf::Tensor r = op_table()[s.op].fn(pool[s.a], pool[s.b]);
      if (r.shape() != tf::Shape({3, 4})) r = tf::concat({r, r[{tf::all, tf::slice(0, 1)}]}, 1);  // (3, 3) -> (3, 4)
      pool.push_back(r);
    }
    // The last two values and a reduction of everything are the outputs; the rest is dead code
    // the graph prunes (its values must not change anything).
    return {pool[pool.size() - 1], pool[pool.size() - 2], tf::reduce_sum(pool.back() * pool[pool.size() - 2])};
  }
};

Program random_program(std::mt19937& gen, int length) {
  Program p;
  for (int i = 0; i < length; ++i) {
    std::size_t pool = 3 + static_cast<std::size_t>(i);
    p.steps.push_back({std::uniform_int_distribution<std::size_t>(0, op_table().size() - 1)(gen),
                       std::uniform_int_distribution<std::size_t>(0, pool - 1)(gen),
                       std::uniform_int_distribution<std::size_t>(0, pool - 1)(gen)});
    p.names.push_back(op_table()[p.steps.back().op].name);
  }
  return p;
}

const tf::GraphOptimizerOptions kAllOff = {.constant_folding = false,
                                           .common_subexpression_elimination = false,
                                           .arithmetic_optimization = false,
                                           .remapping = false,
                                           .elementwise_fusion = false};

void expect_bitwise_equal(const tf::Tensor& a, const tf::Tensor& b, const std::string& what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>()) << what;
}

TEST(Differential, RandomProgramsEagerAndAsFunctions) {
  std::mt19937 gen(2024);
  for (int trial = 0; trial < 40; ++trial) {
    Program p = random_program(gen, 4 + trial % 9);
    std::string what = "program " + std::to_string(trial) + ":";
    for (const auto& n : p.names) what += " " + n;
    SCOPED_TRACE(what);
    std::vector<tf::Tensor> xs;
    for (int i = 0; i < 3; ++i)
      xs.push_back(tf::random::uniform({3, 4}, {.minval = -2, .maxval = 2, .seed = trial * 3 + i}));
    auto eager = p.run(xs);
    auto body = [&p](const tf::Tensor& a, const tf::Tensor& b, const tf::Tensor& c) { return p.run({a, b, c}); };
    // Every pass on (the default), every pass off, and each pass alone: the same bits as eager.
    std::vector<tf::GraphOptimizerOptions> configs = {{}, kAllOff};
    for (int pass = 0; pass < 5; ++pass) {
      tf::GraphOptimizerOptions only = kAllOff;
      bool* flags[] = {&only.constant_folding, &only.common_subexpression_elimination, &only.arithmetic_optimization,
                       &only.remapping, &only.elementwise_fusion};
      *flags[pass] = true;
      configs.push_back(only);
    }
    for (std::size_t k = 0; k < configs.size(); ++k) {
      SCOPED_TRACE("optimizer config " + std::to_string(k));
      auto g = tf::function(body, {.optimizer = configs[k]});
      for (int call = 0; call < 2; ++call) {
        std::vector<tf::Tensor> graph = g(xs[0], xs[1], xs[2]);
        ASSERT_EQ(graph.size(), eager.size());
        for (std::size_t i = 0; i < eager.size(); ++i)
          expect_bitwise_equal(graph[i], eager[i], "output " + std::to_string(i));
      }
      EXPECT_EQ(g.experimental_get_tracing_count(), 1);
    }
    auto f = tf::function(body);

    // Gradients of the scalar output: eager tape vs. the Function's call op.
    auto grads = [&](bool traced) {
      tf::GradientTape tape;
      for (const auto& x : xs) tape.watch(x);
      tf::Tensor loss = traced ? f(xs[0], xs[1], xs[2])[2].tensor() : p.run(xs)[2];
      tape.stop();
      return tape.gradient(loss, xs, {.unconnected_gradients = tf::UnconnectedGradients::Zero});
    };
    auto ge = grads(false), gg = grads(true);
    for (std::size_t i = 0; i < xs.size(); ++i) {
      ASSERT_TRUE(ge[i] && gg[i]);
      auto a = ge[i]->to_vector<float>(), b = gg[i]->to_vector<float>();
      for (std::size_t k = 0; k < a.size(); ++k)
        EXPECT_NEAR(b[k], a[k], 1e-5f * (1 + std::abs(a[k]))) << "d/dx" << i << " element " << k;
    }
  }
}

TEST(Differential, SecondOrderGradientsThroughFunctions) {
  // Every op of the table: d/dx of (d/dx of sum(op(x, y)^2)) . w, eagerly and through a Function
  // (its call op's traced backward, itself differentiated), with every graph pass on.
  auto x = tf::random::uniform({3, 4}, {.minval = -2, .maxval = 2, .seed = 99});
  auto y = tf::random::uniform({3, 4}, {.minval = -2, .maxval = 2, .seed = 98});
  auto w = tf::random::uniform({3, 4}, {.minval = -1, .maxval = 1, .seed = 97});
  for (const NamedOp& op : op_table()) {
    SCOPED_TRACE(op.name);
    auto fn = [&op](const tf::Tensor& a, const tf::Tensor& b) { return tf::reduce_sum(tf::square(op.fn(a, b))); };
    auto f = tf::function(fn);
    auto second = [&](bool traced) {
      tf::GradientTape outer;
      outer.watch(x);
      tf::GradientTape inner;
      inner.watch(x);
      tf::Tensor loss = traced ? f(x, y).tensor() : fn(x, y);
      inner.stop();
      tf::Tensor g = *inner.gradient(loss, x);
      tf::Tensor gw = tf::reduce_sum(g * w);
      outer.stop();
      auto h = outer.gradient(gw, x, {.unconnected_gradients = tf::UnconnectedGradients::Zero});
      return std::make_pair(g.to_vector<float>(), h->to_vector<float>());
    };
    auto [ge, he] = second(false);
    auto [gg, hg] = second(true);
    for (std::size_t k = 0; k < ge.size(); ++k) {
      EXPECT_NEAR(gg[k], ge[k], 1e-4f * (1 + std::abs(ge[k]))) << "gradient element " << k;
      EXPECT_NEAR(hg[k], he[k], 1e-4f * (1 + std::abs(he[k]))) << "second-order element " << k;
    }
  }
}

// ---- Programs drawn from the op tables (unary_table.h, binary_table.h) -----------------------
struct TableOp {
  const char* name;
  const char* accepts;
  const char* output;
  int arity;
  std::function<tf::Tensor(const tf::Tensor&, const tf::Tensor&)> fn;
};

#define TF_DIFF_UNARY(OP, FN, FUNCTOR, ACCEPTS, OUT) \
  {#OP, #ACCEPTS, #OUT, 1, [](const tf::Tensor& a, const tf::Tensor&) { return tf::FN(a); }},
#define TF_DIFF_ACTIVATION(OP, FN, FUNCTOR, ACCEPTS, OUT) \
  {#OP, #ACCEPTS, #OUT, 1, [](const tf::Tensor& a, const tf::Tensor&) { return tf::nn::FN(a); }},
#define TF_DIFF_BINARY(OP, TF_NAME, FN, FUNCTOR, ACCEPTS, OUT) \
  {TF_NAME, #ACCEPTS, #OUT, 2, [](const tf::Tensor& a, const tf::Tensor& b) { return tf::FN(a, b); }},

/// The float32 rows with a float32 result: every such elementwise op the registry has.
const std::vector<TableOp>& table_ops() {
  static const std::vector<TableOp> ops = [] {
    std::vector<TableOp> all = {TAPEFLOW_UNARY_MATH_OPS(TF_DIFF_UNARY) TAPEFLOW_UNARY_ACTIVATION_OPS(TF_DIFF_ACTIVATION)
                                    TAPEFLOW_BINARY_OPS(TF_DIFF_BINARY)};
    std::vector<TableOp> kept;
    for (TableOp& op : all)
      if (std::string(op.output) == "Same" && std::string(op.accepts) != "Bool") kept.push_back(std::move(op));
    return kept;
  }();
  return ops;
}

bool same_bits(const tf::Tensor& a, const tf::Tensor& b) {
  if (a.shape() != b.shape()) return false;
  auto x = a.to_vector<float>(), y = b.to_vector<float>();
  return std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;  // NaNs included
}

TEST(Differential, RandomProgramsFromTheOpTables) {
  EXPECT_GE(table_ops().size(), 35u);
  std::mt19937 gen(7);
  // A step applies a table op, sometimes wrapped in what a pass rewrites: a duplicate (CSE),
  // a multiplication by one (arithmetic), a constant product (folding).
  struct Step {
    std::size_t op, a, b;
    int wrap;
  };
  for (int trial = 0; trial < 30; ++trial) {
    std::vector<Step> steps;
    std::string what = "program " + std::to_string(trial) + ":";
    for (int i = 0; i < 8; ++i) {
      const std::size_t pool = 2 + static_cast<std::size_t>(i);
      steps.push_back({std::uniform_int_distribution<std::size_t>(0, table_ops().size() - 1)(gen),
                       std::uniform_int_distribution<std::size_t>(0, pool - 1)(gen),
                       std::uniform_int_distribution<std::size_t>(0, pool - 1)(gen),
                       std::uniform_int_distribution<int>(0, 3)(gen)});
      what += std::string(" ") + table_ops()[steps.back().op].name + "/" + std::to_string(steps.back().wrap);
    }
    SCOPED_TRACE(what);
    auto run = [&steps](const tf::Tensor& x, const tf::Tensor& y) {
      std::vector<tf::Tensor> pool = {x, y};
      for (const Step& s : steps) {
        const auto& fn = table_ops()[s.op].fn;
        tf::Tensor r = fn(pool[s.a], pool[s.b]);
        if (s.wrap == 1) r = r + fn(pool[s.a], pool[s.b]);
        if (s.wrap == 2) r = r * 1.0f;
        if (s.wrap == 3) r = r * (tf::constant(0.5f) * tf::constant(3.0f));
        pool.push_back(r);
      }
      return std::vector<tf::Tensor>{pool.back(), pool[pool.size() - 2]};
    };
    auto x = tf::random::uniform({2, 3}, {.minval = 0.1, .maxval = 0.9, .seed = trial});
    auto y = tf::random::uniform({2, 3}, {.minval = 0.1, .maxval = 0.9, .seed = 100 + trial});
    auto eager = run(x, y);
    for (const tf::GraphOptimizerOptions& options : {tf::GraphOptimizerOptions{}, kAllOff}) {
      auto f = tf::function(run, {.optimizer = options});
      std::vector<tf::Tensor> graph = f(x, y);
      ASSERT_EQ(graph.size(), eager.size());
      for (std::size_t i = 0; i < eager.size(); ++i) EXPECT_TRUE(same_bits(graph[i], eager[i])) << "output " << i;
    }
  }
}

bool same_bits64(const tf::Tensor& a, const tf::Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  auto x = a.to_vector<double>(), y = b.to_vector<double>();
  return std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0;
}

TEST(Differential, ElementwiseFusionOnLargeTensorsAndFloat64) {
  // Table programs (DAGs: operands drawn from every earlier value) on sizes that cover the fused
  // kernel's blocks (512 elements, a tail) and its parallel chunks, in float32 and float64:
  // fusion alone and every pass on give the eager bits.
  tf::GraphOptimizerOptions only_fusion = kAllOff;
  only_fusion.elementwise_fusion = true;
  std::mt19937 gen(11);
  const std::vector<tf::Shape> shapes = {tf::Shape{1}, tf::Shape{3, 700}, tf::Shape{200, 200}};
  for (int trial = 0; trial < 12; ++trial) {
    const tf::DType dt = trial % 2 ? tf::float64 : tf::float32;
    const tf::Shape shape = shapes[static_cast<std::size_t>(trial) % shapes.size()];
    std::vector<std::array<std::size_t, 3>> steps;
    std::string what = "program " + std::to_string(trial) + " " + shape.to_string() + ":";
    for (int i = 0; i < 10; ++i) {
      const std::size_t pool = 3 + static_cast<std::size_t>(i);
      steps.push_back({std::uniform_int_distribution<std::size_t>(0, table_ops().size() - 1)(gen),
                       std::uniform_int_distribution<std::size_t>(0, pool - 1)(gen),
                       std::uniform_int_distribution<std::size_t>(0, pool - 1)(gen)});
      what += std::string(" ") + table_ops()[steps.back()[0]].name;
    }
    SCOPED_TRACE(what);
    // Pool: x, y and a broadcast scalar; the last value and the one before are the outputs.
    auto run = [&steps](const tf::Tensor& x, const tf::Tensor& y) {
      std::vector<tf::Tensor> pool = {x, y, tf::cast(tf::constant(0.75), x.dtype())};
      for (const auto& s : steps) pool.push_back(table_ops()[s[0]].fn(pool[s[1]], pool[s[2]]));
      return std::vector<tf::Tensor>{pool.back(), pool[pool.size() - 2]};
    };
    auto x = tf::random::uniform(shape, {.minval = 0.1, .maxval = 0.9, .dtype = dt, .seed = 300 + trial});
    auto y = tf::random::uniform(shape, {.minval = 0.1, .maxval = 0.9, .dtype = dt, .seed = 400 + trial});
    auto eager = run(x, y);
    for (const tf::GraphOptimizerOptions& options : {only_fusion, tf::GraphOptimizerOptions{}}) {
      auto f = tf::function(run, {.optimizer = options});
      std::vector<tf::Tensor> graph = f(x, y);
      ASSERT_EQ(graph.size(), eager.size());
      for (std::size_t i = 0; i < eager.size(); ++i)
        EXPECT_TRUE(dt == tf::float64 ? same_bits64(graph[i], eager[i]) : same_bits(graph[i], eager[i]))
            << "output " << i;
    }
  }
}

}  // namespace
