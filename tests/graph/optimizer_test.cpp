// The graph optimizer's passes on before/after graphs: each pass rewrites what it should, leaves
// what it must not touch, can be switched off, and never changes a Function's values.
#include <gtest/gtest.h>

#include "tapeflow/tapeflow.h"

namespace {

int count_ops(const tf::Graph& g, const std::string& op) {
  int n = 0;
  for (const tf::Node& node : g.nodes()) n += node.op == op;
  return n;
}

tf::GraphOptimizerOptions all_off() {
  return {.constant_folding = false,
          .common_subexpression_elimination = false,
          .arithmetic_optimization = false,
          .remapping = false,
          .elementwise_fusion = false};
}

template <typename F> tf::ConcreteFunction traced(F fn, tf::GraphOptimizerOptions options, const tf::Tensor& x) {
  auto f = tf::function(fn, {.optimizer = options});
  return f.get_concrete_function(tf::TensorSpec(x.shape(), x.dtype()));
}

TEST(GraphOptimizer, ConstantFoldingEvaluatesConstantSubgraphsOnce) {
  auto fn = [](const tf::Tensor& x) { return x * (tf::constant(2.0f) + tf::exp(tf::constant(0.0f))); };
  auto x = tf::constant({1.0f, -2.0f, 4.0f});
  auto off = traced(fn, all_off(), x);
  auto on = traced(fn,
                   {.constant_folding = true,
                    .common_subexpression_elimination = false,
                    .arithmetic_optimization = false,
                    .elementwise_fusion = false},
                   x);
  EXPECT_EQ(count_ops(on.graph(), "AddV2"), 1);  // the traced graph is kept as traced
  EXPECT_EQ(count_ops(off.optimized_graph(), "AddV2"), 1);
  EXPECT_EQ(count_ops(off.optimized_graph(), "Exp"), 1);
  EXPECT_EQ(count_ops(on.optimized_graph(), "AddV2"), 0);
  EXPECT_EQ(count_ops(on.optimized_graph(), "Exp"), 0);
  EXPECT_EQ(count_ops(on.optimized_graph(), "Mul"), 1);
  EXPECT_EQ(count_ops(on.optimized_graph(), "Const"), 1);  // 3.0, the inputs pruned
  EXPECT_EQ(on(x).tensor().to_vector<float>(), (std::vector<float>{3.0f, -6.0f, 12.0f}));
  EXPECT_EQ(off(x).tensor().to_vector<float>(), (std::vector<float>{3.0f, -6.0f, 12.0f}));
}

TEST(GraphOptimizer, ConstantFoldingLeavesAFailingOpToRunTime) {
  // Folding must not raise at trace time: the error comes from the call, naming the node.
  auto f = tf::function([](const tf::Tensor& x) {
    return x + tf::cast(tf::gather(tf::constant({1, 2}), tf::constant({5})), tf::float32);
  });
  EXPECT_THROW(f(tf::constant({1.0f})), tf::errors::InvalidArgumentError);
}

TEST(GraphOptimizer, ConstantFoldingKeepsRandomOpsRandom) {
  auto f = tf::function([](const tf::Tensor& x) { return x + tf::random::uniform({3}, {.seed = 7}); });
  auto x = tf::zeros({3});
  auto a = f(x).tensor().to_vector<float>();
  auto b = f(x).tensor().to_vector<float>();
  EXPECT_NE(a, b);
  auto cf = f.get_concrete_function(tf::TensorSpec({3}, tf::float32));
  EXPECT_EQ(count_ops(cf.optimized_graph(), "Const"), 0);
}

TEST(GraphOptimizer, CommonSubexpressionsAreComputedOnce) {
  auto fn = [](const tf::Tensor& x) {
    return tf::exp(x) * tf::exp(x) + tf::matmul(x, x) - tf::matmul(x, x, false, true);
  };
  auto x = tf::constant({{1.0f, 2.0f}, {3.0f, 4.0f}});
  auto off = traced(fn, all_off(), x);
  auto on = traced(fn,
                   {.constant_folding = false,
                    .common_subexpression_elimination = true,
                    .arithmetic_optimization = false,
                    .elementwise_fusion = false},
                   x);
  EXPECT_EQ(count_ops(off.optimized_graph(), "Exp"), 2);
  EXPECT_EQ(count_ops(on.optimized_graph(), "Exp"), 1);
  EXPECT_EQ(count_ops(on.optimized_graph(), "MatMul"), 2);  // different transpose_b: not the same
  EXPECT_EQ(on(x).tensor().to_vector<float>(), fn(x).to_vector<float>());
  EXPECT_EQ(off(x).tensor().to_vector<float>(), fn(x).to_vector<float>());
}

TEST(GraphOptimizer, CommonSubexpressionEliminationKeepsStatefulOps) {
  tf::Variable v(tf::constant(1.0f));
  auto f = tf::function([&](const tf::Tensor& x) {
    v.assign_add(x);
    v.assign_add(x);
    return v.read_value();
  });
  EXPECT_FLOAT_EQ(f(tf::constant(2.0f)).tensor().item<float>(), 5.0f);
  EXPECT_FLOAT_EQ(v.read_value().item<float>(), 5.0f);
}

TEST(GraphOptimizer, ArithmeticSimplificationRemovesIdentities) {
  auto fn = [](const tf::Tensor& x) { return tf::negative(tf::negative(x * 1.0f + 0.0f)) / 1.0f - 0.0f; };
  auto x = tf::constant({1.5f, -2.0f});
  auto on = traced(fn,
                   {.constant_folding = false,
                    .common_subexpression_elimination = false,
                    .arithmetic_optimization = true,
                    .elementwise_fusion = false},
                   x);
  for (const char* op : {"Mul", "AddV2", "Neg", "RealDiv", "Sub"}) {
    EXPECT_EQ(count_ops(on.graph(), op), op == std::string("Neg") ? 2 : 1) << op;
    EXPECT_EQ(count_ops(on.optimized_graph(), op), 0) << op;
  }
  EXPECT_EQ(on(x).tensor().to_vector<float>(), x.to_vector<float>());
}

TEST(GraphOptimizer, ArithmeticSimplificationKeepsBroadcastsAndOtherConstants) {
  // x (3,) * ones (2, 3) broadcasts: the Mul changes the shape and stays; x * 2 stays.
  auto fn = [](const tf::Tensor& x) { return x * tf::ones({2, 3}) + x * 2.0f; };
  auto x = tf::constant({1.0f, 2.0f, 3.0f});
  auto on = traced(fn,
                   {.constant_folding = false,
                    .common_subexpression_elimination = false,
                    .arithmetic_optimization = true,
                    .elementwise_fusion = false},
                   x);
  EXPECT_EQ(count_ops(on.optimized_graph(), "Mul"), 2);
  EXPECT_EQ(on(x).tensor().to_vector<float>(), fn(x).to_vector<float>());
}

// Note [Matrix powers by squaring] (graph/optimizer.cpp).
TEST(GraphOptimizer, IntegerMatrixPowerChainsAreSquaredBitExactly) {
  // TF's seed: power(x, y) multiplies the identity by x from the left y times.
  auto power = [](const tf::Tensor& x) {
    tf::Tensor result = tf::eye(10, std::nullopt, tf::int32);
    for (int i = 0; i < 100; ++i) result = tf::matmul(x, result);
    return result;
  };
  auto x = tf::random::uniform({10, 10}, {.minval = -4, .maxval = 4, .dtype = tf::int32, .seed = 3});
  auto on = traced(power, {}, x);
  auto off = traced(power, all_off(), x);
  EXPECT_EQ(count_ops(off.optimized_graph(), "MatMul"), 100);
  // x^100: squarings to x^2, x^4, ..., x^64 (6), products x^36 and x^100 (2), then x^100 · I.
  EXPECT_EQ(count_ops(on.optimized_graph(), "MatMul"), 9);
  // The reference: 100 products in wrapping 32-bit arithmetic, one at a time as the chain does.
  const std::vector<int> xs = x.to_vector<int>();
  std::vector<uint32_t> want(100, 0);
  for (int i = 0; i < 10; ++i) want[static_cast<std::size_t>(i * 11)] = 1;
  for (int step = 0; step < 100; ++step) {
    std::vector<uint32_t> next(100, 0);
    for (int i = 0; i < 10; ++i)
      for (int j = 0; j < 10; ++j)
        for (int k = 0; k < 10; ++k)
          next[static_cast<std::size_t>(i * 10 + j)] +=
              static_cast<uint32_t>(xs[static_cast<std::size_t>(i * 10 + k)]) *
              want[static_cast<std::size_t>(k * 10 + j)];
    want = next;
  }
  const std::vector<int> got = on(x).tensor().to_vector<int>();
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(static_cast<uint32_t>(got[i]), want[i]) << i;
  EXPECT_EQ(got, off(x).tensor().to_vector<int>());
  EXPECT_EQ(got, power(x).to_vector<int>());
}

TEST(GraphOptimizer, MatrixPowerChainsFromEitherSideAndWhatIsLeftAlone) {
  auto x64 = tf::random::uniform({6, 6}, {.minval = -1000, .maxval = 1000, .dtype = tf::int64, .seed = 4});
  // x^10 multiplied from the right, starting at x: 9 MatMuls become 4 (x^2, x^4, x^8, x^2 · x^8).
  auto right = [](const tf::Tensor& x) {
    tf::Tensor r = x;
    for (int i = 0; i < 9; ++i) r = tf::matmul(r, x);
    return r;
  };
  auto on = traced(right, {}, x64);
  EXPECT_EQ(count_ops(on.optimized_graph(), "MatMul"), 4);
  EXPECT_EQ(on(x64).tensor().to_vector<int64_t>(), right(x64).to_vector<int64_t>());  // wraps, bit for bit
  // Mixed sides around a start value that is not x: x · (x · r0 · x) · x is not x^4 · r0.
  auto r0 = tf::random::uniform({6, 6}, {.minval = -9, .maxval = 9, .dtype = tf::int64, .seed = 5});
  auto mixed = [&](const tf::Tensor& x) {
    tf::Tensor r = tf::matmul(tf::matmul(x, r0), x);
    for (int i = 0; i < 4; ++i) r = i % 2 ? tf::matmul(r, x) : tf::matmul(x, r);
    return r;
  };
  auto m = traced(mixed, {}, x64);
  EXPECT_EQ(count_ops(m.optimized_graph(), "MatMul"), 6);
  EXPECT_EQ(m(x64).tensor().to_vector<int64_t>(), mixed(x64).to_vector<int64_t>());
  // An intermediate read elsewhere, and floating point, stay as traced.
  auto shared = [](const tf::Tensor& x) {
    tf::Tensor a = tf::matmul(x, x);
    tf::Tensor b = tf::matmul(x, a);
    tf::Tensor c = tf::matmul(x, b);
    return std::vector<tf::Tensor>{tf::matmul(x, c), b};
  };
  EXPECT_EQ(count_ops(traced(shared, {}, x64).optimized_graph(), "MatMul"), 4);
  auto xf = tf::random::uniform({4, 4}, {.seed = 6});
  auto floats = [](const tf::Tensor& x) {
    tf::Tensor r = x;
    for (int i = 0; i < 15; ++i) r = tf::matmul(x, r);
    return r;
  };
  EXPECT_EQ(count_ops(traced(floats, {}, xf).optimized_graph(), "MatMul"), 15);
}

TEST(GraphOptimizer, GlobalOptionsApplyToFunctionsCreatedAfterwards) {
  auto fn = [](const tf::Tensor& x) { return x * (tf::constant(1.0f) + tf::constant(1.0f)); };
  auto x = tf::constant({1.0f});
  const auto saved = tf::config::optimizer::get_experimental_options();
  tf::config::optimizer::set_experimental_options(all_off());
  auto f = tf::function(fn);
  tf::config::optimizer::set_experimental_options(saved);
  auto g = tf::function(fn);
  EXPECT_EQ(count_ops(f.get_concrete_function(tf::TensorSpec({1}, tf::float32)).optimized_graph(), "AddV2"), 1);
  EXPECT_EQ(count_ops(g.get_concrete_function(tf::TensorSpec({1}, tf::float32)).optimized_graph(), "AddV2"), 0);
}

TEST(GraphOptimizer, NestedFunctionsAreOptimizedWithoutLeakingIntoTheOuterTrace) {
  auto inner = tf::function([](const tf::Tensor& x) { return x * (tf::constant(2.0f) * tf::constant(3.0f)); });
  auto outer = tf::function([&](const tf::Tensor& x) { return inner(x).tensor() + 1.0f; });
  EXPECT_EQ(outer(tf::constant({1.0f, 2.0f})).tensor().to_vector<float>(), (std::vector<float>{7.0f, 13.0f}));
  auto cf = outer.get_concrete_function(tf::TensorSpec({2}, tf::float32));
  EXPECT_EQ(count_ops(cf.graph(), "Mul"), 0);  // the inner Function is one call node
}

tf::GraphOptimizerOptions only_remapping() {
  tf::GraphOptimizerOptions o = all_off();
  o.remapping = true;
  return o;
}

TEST(GraphOptimizer, RemappingFusesMatMulBiasAddRelu) {
  auto w = tf::constant({{1.0f, -2.0f}, {0.5f, 1.0f}, {-1.0f, 0.25f}});
  auto b = tf::constant({0.5f, -0.5f});
  auto fn = [&](const tf::Tensor& x) { return tf::nn::relu(tf::nn::bias_add(tf::matmul(x, w), b)); };
  auto x = tf::constant({{1.0f, 2.0f, 3.0f}, {-1.0f, 0.5f, 2.0f}});
  auto cf = traced(fn, only_remapping(), x);
  EXPECT_EQ(count_ops(cf.optimized_graph(), "_FusedMatMul"), 1);
  for (const char* op : {"MatMul", "BiasAdd", "Relu"}) {
    EXPECT_EQ(count_ops(cf.graph(), op), 1) << op;
    EXPECT_EQ(count_ops(cf.optimized_graph(), op), 0) << op;
  }
  // relu([[-1, 0.75], [-2.75, 3]] + b)
  EXPECT_EQ(cf(x).tensor().to_vector<float>(), (std::vector<float>{0.0f, 0.25f, 0.0f, 2.5f}));
  EXPECT_EQ(cf(x).tensor().to_vector<float>(), fn(x).to_vector<float>());
}

TEST(GraphOptimizer, RemappingFusesMatMulAddV2AndConv2DBiasAdd) {
  auto w = tf::constant({{1.0f, -2.0f}, {0.5f, 1.0f}});
  auto b = tf::constant({0.5f, -0.5f});
  auto dense = [&](const tf::Tensor& x) { return b + tf::matmul(x, w); };
  auto x = tf::constant({{1.0f, 2.0f}, {3.0f, 4.0f}});
  auto cf = traced(dense, only_remapping(), x);
  EXPECT_EQ(count_ops(cf.optimized_graph(), "_FusedMatMul"), 1);
  EXPECT_EQ(cf(x).tensor().to_vector<float>(), dense(x).to_vector<float>());

  auto f = tf::ones({2, 2, 1, 3});
  auto conv = [&](const tf::Tensor& img) {
    return tf::nn::bias_add(tf::nn::conv2d(img, f, 1, "VALID"), tf::constant({1.0f, 0.0f, -100.0f}));
  };
  auto img = tf::reshape(tf::range(0.0f, 9.0f), {1, 3, 3, 1});
  auto cc = traced(conv, only_remapping(), img);
  EXPECT_EQ(count_ops(cc.optimized_graph(), "_FusedConv2D"), 1);
  EXPECT_EQ(count_ops(cc.optimized_graph(), "Conv2D"), 0);
  EXPECT_EQ(cc(img).tensor().to_vector<float>(), conv(img).to_vector<float>());
}

TEST(GraphOptimizer, RemappingLeavesSharedAndBroadcastContractions) {
  auto w = tf::constant({{1.0f, -2.0f}, {0.5f, 1.0f}});
  // The MatMul's value is used twice: fusing would compute it twice.
  auto shared = [&](const tf::Tensor& x) {
    auto m = tf::matmul(x, w);
    return tf::nn::bias_add(m, tf::constant({1.0f, 2.0f})) * m;
  };
  // A (2, 2) addend is not a bias.
  auto full = [&](const tf::Tensor& x) { return tf::matmul(x, w) + x; };
  // int32 has no fused kernel.
  auto ints = [](const tf::Tensor& x) { return tf::matmul(x, x) + tf::constant({1, 2}); };
  auto x = tf::constant({{1.0f, 2.0f}, {3.0f, 4.0f}});
  auto xi = tf::constant({{1, 2}, {3, 4}});
  for (const auto& cf :
       {traced(shared, only_remapping(), x), traced(full, only_remapping(), x), traced(ints, only_remapping(), xi)}) {
    EXPECT_EQ(count_ops(cf.optimized_graph(), "_FusedMatMul"), 0);
    EXPECT_EQ(count_ops(cf.optimized_graph(), "MatMul"), 1);
  }
}

TEST(FunctionCacheKey, SoftPlacementAndTf32ChangeTheTrace) {
  auto f = tf::function([](const tf::Tensor& x) { return x + 1.0f; });
  auto x = tf::constant({1.0f});
  f(x);
  f(x);
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
  tf::config::set_soft_device_placement(false);
  f(x);
  tf::config::set_soft_device_placement(true);
  EXPECT_EQ(f.experimental_get_tracing_count(), 2);
  tf::config::enable_tensor_float_32_execution(false);
  f(x);
  tf::config::enable_tensor_float_32_execution(true);
  EXPECT_EQ(f.experimental_get_tracing_count(), 3);
  f(x);
  EXPECT_EQ(f.experimental_get_tracing_count(), 3);
}

std::string g_test_context;  // stands in for Keras's training flag (registered by nn's Layer)
std::string test_context() { return g_test_context; }

TEST(FunctionCacheKey, RegisteredContextsChangeTheTrace) {
  static const bool registered = (tf::register_trace_context(&test_context), true);
  (void)registered;
  auto f = tf::function([](const tf::Tensor& x) { return x * 2.0f; });
  auto x = tf::constant({1.0f});
  f(x);
  g_test_context = "training";
  f(x);
  EXPECT_EQ(f.experimental_get_tracing_count(), 2);
  g_test_context = "";
  EXPECT_FLOAT_EQ(f(x).tensor().item<float>(), 2.0f);
  EXPECT_EQ(f.experimental_get_tracing_count(), 2);
}

}  // namespace

// ---- Elementwise fusion (Note [Elementwise fusion]) ----------------------------------------

tf::GraphOptimizerOptions only_fusion() {
  tf::GraphOptimizerOptions o = all_off();
  o.elementwise_fusion = true;
  return o;
}

std::vector<std::string> fused_programs(const tf::Graph& g) {
  std::vector<std::string> out;
  for (const tf::Node& node : g.nodes())
    if (node.op == "_FusedElementwise") out.push_back(node.attrs->to_string());
  return out;
}

void expect_same_floats(const std::vector<tf::Tensor>& got, const std::vector<tf::Tensor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].to_vector<float>(), want[i].to_vector<float>()) << i;
}

TEST(GraphOptimizer, ElementwiseFusionMakesAChainOfFiveOpsOneNode) {
  auto fn = [](const tf::Tensor& x) { return tf::tanh(tf::exp(x * 0.5f) + 1.0f) - x; };
  auto x = tf::random::uniform({7, 300}, {.minval = -3, .maxval = 3, .seed = 5});
  auto on = traced(fn, only_fusion(), x);
  auto off = traced(fn, all_off(), x);
  for (const char* op : {"Mul", "Exp", "AddV2", "Tanh", "Sub"}) {
    EXPECT_EQ(count_ops(on.graph(), op), 1) << op;  // the traced graph is kept as traced
    EXPECT_EQ(count_ops(off.optimized_graph(), op), 1) << op;
    EXPECT_EQ(count_ops(on.optimized_graph(), op), 0) << op;
  }
  // Inputs x, 0.5, 1.0 (in order of first use); steps from operand 3 on.
  EXPECT_EQ(fused_programs(on.optimized_graph()),
            (std::vector<std::string>{"program=[Mul(0, 1), Exp(3), AddV2(4, 2), Tanh(5), Sub(6, 0)]"}));
  EXPECT_EQ(on(x).tensor().to_vector<float>(), fn(x).to_vector<float>());  // bit for bit
  EXPECT_EQ(on(x).tensor().to_vector<float>(), off(x).tensor().to_vector<float>());
}

TEST(GraphOptimizer, ElementwiseFusionSplitsAtAValueReadOutsideTheChain) {
  // y is read by Tanh (in the chain above) and by Sum (not elementwise): it must be a tensor of
  // its own, so {Mul, Exp} and {Tanh, AddV2} become two fused nodes.
  auto read_twice = [](const tf::Tensor& x) {
    auto y = tf::exp(x * 2.0f);
    return std::vector<tf::Tensor>{tf::tanh(y) + 1.0f, tf::reduce_sum(y)};
  };
  // y is itself an output.
  auto returned = [](const tf::Tensor& x) {
    auto y = tf::exp(x * 2.0f);
    return std::vector<tf::Tensor>{tf::tanh(y) + 1.0f, y};
  };
  auto x = tf::random::uniform({4, 3}, {.minval = -1, .maxval = 1, .seed = 6});
  for (const auto& fn : {std::function<std::vector<tf::Tensor>(const tf::Tensor&)>(read_twice),
                         std::function<std::vector<tf::Tensor>(const tf::Tensor&)>(returned)}) {
    auto f = tf::function(fn, {.optimizer = only_fusion()});
    auto cf = f.get_concrete_function(tf::TensorSpec(x.shape(), x.dtype()));
    EXPECT_EQ(fused_programs(cf.optimized_graph()),
              (std::vector<std::string>{"program=[Mul(0, 1), Exp(2)]", "program=[Tanh(0), AddV2(2, 1)]"}));
    std::vector<tf::Tensor> got = f(x);
    expect_same_floats(got, fn(x));
  }
}

TEST(GraphOptimizer, ElementwiseFusionFusesDagsWithSharedValues) {
  // x*x + sin(x)*x: x is read four times, one input of the fused node.
  auto fn = [](const tf::Tensor& x) {
    auto square = x * x;  // traced first (the operands of + have no evaluation order)
    return square + tf::sin(x) * x;
  };
  auto x = tf::random::uniform({1000}, {.minval = -2, .maxval = 2, .seed = 7});
  auto cf = traced(fn, only_fusion(), x);
  EXPECT_EQ(fused_programs(cf.optimized_graph()),
            (std::vector<std::string>{"program=[Mul(0, 0), Sin(0), Mul(2, 0), AddV2(1, 3)]"}));
  EXPECT_EQ(cf(x).tensor().to_vector<float>(), fn(x).to_vector<float>());
  // A shared intermediate (e = exp(x) read by two members) stays inside the group.
  auto shared = [](const tf::Tensor& x) {
    auto e = tf::exp(x);
    return tf::sigmoid(e) * e;
  };
  auto cs = traced(shared, only_fusion(), x);
  EXPECT_EQ(fused_programs(cs.optimized_graph()),
            (std::vector<std::string>{"program=[Exp(0), Sigmoid(1), Mul(2, 1)]"}));
  EXPECT_EQ(cs(x).tensor().to_vector<float>(), shared(x).to_vector<float>());
}

TEST(GraphOptimizer, ElementwiseFusionLeavesOtherDtypesShapesAndSingleOps) {
  // float32 -> float64 through a Cast: no two fusable ops of one dtype are adjacent.
  auto mixed = [](const tf::Tensor& x) { return tf::cast(tf::exp(x), tf::float64) * 2.0; };
  // Integers have checks of their own (division by zero): never fused.
  auto ints = [](const tf::Tensor& x) { return (x + 1) * 2 - x; };
  // A (4, 1) operand broadcast along a dimension is not a scalar: the Mul stays out; the Exp and
  // Tanh below it fuse.
  auto rows = [](const tf::Tensor& x) { return tf::tanh(tf::exp(x)) * tf::constant({{1.0f}, {2.0f}, {3.0f}, {4.0f}}); };
  auto x = tf::random::uniform({4, 3}, {.minval = -1, .maxval = 1, .seed = 8});
  auto xi = tf::constant({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {1, 2, 3}});
  auto cm = traced(mixed, only_fusion(), x);
  auto ci = traced(ints, only_fusion(), xi);
  auto cr = traced(rows, only_fusion(), x);
  EXPECT_EQ(fused_programs(cm.optimized_graph()).size(), 0u);
  EXPECT_EQ(fused_programs(ci.optimized_graph()).size(), 0u);
  EXPECT_EQ(fused_programs(cr.optimized_graph()), (std::vector<std::string>{"program=[Exp(0), Tanh(1)]"}));
  EXPECT_EQ(count_ops(cr.optimized_graph(), "Mul"), 1);
  EXPECT_EQ(cm(x).tensor().to_vector<double>(), mixed(x).to_vector<double>());
  EXPECT_EQ(ci(xi).tensor().to_vector<int32_t>(), ints(xi).to_vector<int32_t>());
  EXPECT_EQ(cr(x).tensor().to_vector<float>(), rows(x).to_vector<float>());
}

TEST(GraphOptimizer, ElementwiseFusionIsSwitchedByTheExperimentalOptions) {
  const tf::GraphOptimizerOptions saved = tf::config::optimizer::get_experimental_options();
  auto fn = [](const tf::Tensor& x) { return tf::exp(x) * 2.0f + 1.0f; };
  auto x = tf::constant({1.0f, 2.0f});
  auto fused = tf::function(fn).get_concrete_function(tf::TensorSpec({2}, tf::float32));
  tf::GraphOptimizerOptions off = saved;
  off.elementwise_fusion = false;
  tf::config::optimizer::set_experimental_options(off);
  auto plain = tf::function(fn).get_concrete_function(tf::TensorSpec({2}, tf::float32));
  tf::config::optimizer::set_experimental_options(saved);
  EXPECT_EQ(count_ops(fused.optimized_graph(), "_FusedElementwise"), 1);
  EXPECT_EQ(count_ops(plain.optimized_graph(), "_FusedElementwise"), 0);
  EXPECT_EQ(fused(x).tensor().to_vector<float>(), plain(x).tensor().to_vector<float>());
}

TEST(GraphOptimizer, ElementwiseFusionKeepsGradientsThroughTheFunction) {
  // The forward runs fused; the backward replays the traced graph (and is fused in turn).
  auto f = tf::function([](const tf::Tensor& x) { return tf::sigmoid(tf::sin(x) * 3.0f) - x * x; });
  auto x = tf::random::uniform({64}, {.minval = -2, .maxval = 2, .seed = 9});
  tf::GradientTape traced_tape;
  traced_tape.watch(x);
  tf::Tensor y = f(x).tensor();
  tf::Tensor g = *traced_tape.gradient(y, x);
  tf::GradientTape eager_tape;
  eager_tape.watch(x);
  tf::Tensor ye = tf::sigmoid(tf::sin(x) * 3.0f) - x * x;
  EXPECT_EQ(y.to_vector<float>(), ye.to_vector<float>());
  const std::vector<float> got = g.to_vector<float>(), want = eager_tape.gradient(ye, x)->to_vector<float>();
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6f * (1 + std::abs(want[i]))) << i;
}
