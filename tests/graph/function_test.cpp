// tf::function: tracing, the signature cache, TF's texts, captures and variables, non-strict
// execution and side-effect order. Values are checked against the same program run eagerly and
// against TF's documented outputs (the "Introduction to graphs and tf.function" guide).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tapeflow/tapeflow.h"

namespace {

std::vector<float> vec(const tf::Tensor& t) { return t.to_vector<float>(); }

TEST(Function, TracesOncePerSignatureAndMatchesEager) {
  auto body = [](const tf::Tensor& x, const tf::Tensor& y, const tf::Tensor& b) { return tf::matmul(x, y) + b; };
  auto f = tf::function(body);
  auto x1 = tf::constant({{1.0f, 2.0f}, {3.0f, 4.0f}});
  auto y1 = tf::constant({{2.0f}, {3.0f}});
  auto b1 = tf::constant(4.0f);
  tf::Tensor r = f(x1, y1, b1);
  EXPECT_EQ(vec(r), vec(body(x1, y1, b1)));
  EXPECT_EQ(vec(r), (std::vector<float>{12.0f, 22.0f}));
  f(tf::constant({{5.0f, 6.0f}, {7.0f, 8.0f}}), y1, b1);
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
  f(tf::constant({{1.0f, 2.0f}}), y1, b1);  // a new shape: a new concrete function
  EXPECT_EQ(f.experimental_get_tracing_count(), 2);
}

tf::Function make_relu() {
  return tf::function([](const tf::Tensor& x) { return tf::maximum(tf::constant(0.0f), x); },
                      {.name = "my_relu", .arg_names = {"x"}});
}

TEST(Function, SeedMyReluSignaturesText) {
  auto my_relu = make_relu();
  EXPECT_EQ(my_relu(tf::constant(5.5f)).tensor().item<float>(), 5.5f);
  EXPECT_EQ(vec(my_relu(std::vector<float>{1, -1})), (std::vector<float>{1, 0}));
  EXPECT_EQ(vec(my_relu(tf::constant({3.0f, -3.0f}))), (std::vector<float>{3, 0}));
  // These two calls do not create new graphs.
  EXPECT_EQ(my_relu(tf::constant(-2.5f)).tensor().item<float>(), 0.0f);
  EXPECT_EQ(vec(my_relu(tf::constant({-1.0f, 1.0f}))), (std::vector<float>{0, 1}));
  EXPECT_EQ(my_relu.experimental_get_tracing_count(), 3);
  EXPECT_EQ(my_relu.pretty_printed_concrete_signatures(),
            "my_relu(x)\n"
            "  Args:\n"
            "    x: float32 Tensor, shape=()\n"
            "  Returns:\n"
            "    float32 Tensor, shape=()\n"
            "\n"
            "my_relu(x=[1.0, -1.0])\n"
            "  Returns:\n"
            "    float32 Tensor, shape=(2,)\n"
            "\n"
            "my_relu(x)\n"
            "  Args:\n"
            "    x: float32 Tensor, shape=(2,)\n"
            "  Returns:\n"
            "    float32 Tensor, shape=(2,)");
}

TEST(Function, GraphDefText) {
  auto my_relu = make_relu();
  auto cf = my_relu.get_concrete_function(tf::TensorSpec({}, tf::float32));
  EXPECT_EQ(cf.graph().as_graph_def().to_string(),
            "node {\n  name: \"x\"\n  op: \"Placeholder\"\n"
            "  attr {\n    key: \"_user_specified_name\"\n    value {\n      s: \"x\"\n    }\n  }\n"
            "  attr {\n    key: \"dtype\"\n    value {\n      type: DT_FLOAT\n    }\n  }\n"
            "  attr {\n    key: \"shape\"\n    value {\n      shape {\n      }\n    }\n  }\n}\n"
            "node {\n  name: \"Const\"\n  op: \"Const\"\n"
            "  attr {\n    key: \"dtype\"\n    value {\n      type: DT_FLOAT\n    }\n  }\n"
            "  attr {\n    key: \"value\"\n    value {\n      tensor {\n        dtype: DT_FLOAT\n"
            "        tensor_shape {\n        }\n        float_val: 0\n      }\n    }\n  }\n}\n"
            "node {\n  name: \"Maximum\"\n  op: \"Maximum\"\n  input: \"Const\"\n  input: \"x\"\n"
            "  attr {\n    key: \"T\"\n    value {\n      type: DT_FLOAT\n    }\n  }\n}\n"
            "node {\n  name: \"Identity\"\n  op: \"Identity\"\n  input: \"Maximum\"\n"
            "  attr {\n    key: \"T\"\n    value {\n      type: DT_FLOAT\n    }\n  }\n}\n");
  EXPECT_EQ(cf.structured_input_signature_string(), "((TensorSpec(shape=(), dtype=tf.float32, name='x'),), {})");
  EXPECT_EQ(cf.structured_outputs_string(), "<tf.Tensor 'Maximum:0' shape=() dtype=float32>");
  ASSERT_EQ(cf.structured_outputs().size(), 1u);
  EXPECT_EQ(cf.structured_outputs()[0], tf::TensorSpec({}, tf::float32));
}

TEST(Function, MatMulAttributesInGraphDef) {
  auto f =
      tf::function([](const tf::Tensor& a, const tf::Tensor& b) { return tf::matmul(a, b, {.transpose_b = true}); });
  auto cf = f.get_concrete_function(tf::TensorSpec({2, 3}), tf::TensorSpec({4, 3}));
  const auto def = cf.graph().as_graph_def();
  ASSERT_EQ(def.node.size(), 4u);
  EXPECT_EQ(def.node[2].op, "MatMul");
  EXPECT_EQ(def.node[2].input, (std::vector<std::string>{"args_0", "args_1"}));
  EXPECT_EQ(def.node[2].attr.at("transpose_a"), "b: false");
  EXPECT_EQ(def.node[2].attr.at("transpose_b"), "b: true");
  EXPECT_EQ(def.node[2].attr.at("T"), "type: DT_FLOAT");
}

TEST(Function, UnknownDimensionsFromTensorSpec) {
  auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& w) { return tf::nn::relu(tf::matmul(x, w) + 1.0f); });
  auto cf = f.get_concrete_function(tf::TensorSpec({-1, 3}), tf::TensorSpec({3, 2}));
  EXPECT_EQ(cf.structured_outputs()[0].shape, tf::Shape({-1, 2}));
  EXPECT_NE(cf.pretty_printed_signature().find("args_0: float32 Tensor, shape=(None, 3)"), std::string::npos);
  auto w = tf::constant({{1.0f, -1.0f}, {2.0f, 0.5f}, {-3.0f, 1.0f}});
  for (int rows : {1, 4}) {
    auto x = tf::random::uniform({rows, 3}, {.seed = rows});
    tf::Tensor got = cf(x, w);
    EXPECT_EQ(got.shape(), tf::Shape({rows, 2}));
    EXPECT_EQ(vec(got), vec(tf::nn::relu(tf::matmul(x, w) + 1.0f)));
    // Calling the Function reuses the concrete function whose None dimension fits.
    EXPECT_EQ(vec(f(x, w)), vec(got));
  }
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
  EXPECT_THROW(cf(tf::constant({{1, 2, 3}}), w), tf::errors::InvalidArgumentError);
}

TEST(Function, InputSignatureRejectsOtherArgumentsWithTfText) {
  auto f = tf::function([](const tf::Tensor& x) { return x + x; },
                        {.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({-1}, tf::int32)},
                         .name = "next_collatz",
                         .arg_names = {"x"}});
  EXPECT_EQ(f(tf::constant({1, 2})).tensor().to_vector<int>(), (std::vector<int>{2, 4}));
  EXPECT_EQ(f(tf::constant({1, 2, 3, 4})).tensor().to_vector<int>(), (std::vector<int>{2, 4, 6, 8}));
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
  try {
    f(tf::constant({1.0f, 2.0f, 3.0f}));
    FAIL() << "expected InvalidArgumentError";
  } catch (const tf::errors::InvalidArgumentError& e) {
    EXPECT_EQ(e.message(),
              "Python inputs incompatible with input_signature:\n"
              "  inputs: (\n"
              "    tf.Tensor([1. 2. 3.], shape=(3,), dtype=float32))\n"
              "  input_signature: (\n"
              "    TensorSpec(shape=(None,), dtype=tf.int32, name=None)).");
  }
  EXPECT_THROW(f(tf::constant({{1, 2}})), tf::errors::InvalidArgumentError);  // rank 2
  EXPECT_EQ(f.get_concrete_function().structured_input_signature_string(),
            "((TensorSpec(shape=(None,), dtype=tf.int32, name='x'),), {})");
}

TEST(Function, ReduceRetracingGeneralizesAChangedDimension) {
  std::vector<std::string> traced;
  auto g = tf::function(
      [&](const tf::Tensor& x) {
        std::ostringstream os;
        os << "Tracing with " << x;
        traced.push_back(os.str());
        return x;
      },
      {.reduce_retracing = true, .arg_names = {"x"}});
  EXPECT_EQ(g(tf::constant({1, 2, 3})).tensor().to_vector<int>(), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(g(tf::constant({1, 2, 3, 4, 5})).tensor().to_vector<int>(), (std::vector<int>{1, 2, 3, 4, 5}));
  g(tf::constant({6, 7, 8, 9, 10, 11, 12}));
  ASSERT_EQ(traced.size(), 2u);
  EXPECT_EQ(traced[0], "Tracing with Tensor(\"x:0\", shape=(3,), dtype=int32)");
  EXPECT_EQ(traced[1], "Tracing with Tensor(\"x:0\", shape=(None,), dtype=int32)");
  EXPECT_EQ(g.experimental_get_tracing_count(), 2);
}

TEST(Function, PythonSideEffectsRunAtTraceTimeOnly) {
  int traces = 0;
  auto get_mse = tf::function([&](const tf::Tensor& y_true, const tf::Tensor& y_pred) {
    ++traces;  // the seed's print("Calculating MSE!")
    return tf::reduce_mean(tf::pow(y_true - y_pred, tf::constant(2)));
  });
  auto y_true = tf::constant({5, 0, 1, 4, 2});
  auto y_pred = tf::constant({1, 8, 8, 7, 5});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get_mse(y_true, y_pred).tensor().item<int>(), 29);
  EXPECT_EQ(traces, 1);
  tf::config::run_functions_eagerly(true);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get_mse(y_true, y_pred).tensor().item<int>(), 29);
  tf::config::run_functions_eagerly(false);
  EXPECT_EQ(traces, 4);
  EXPECT_EQ(get_mse.experimental_get_tracing_count(), 1);
}

TEST(Function, GraphSidePrintRunsOnEveryCallInOrder) {
  auto get_mse = tf::function([](const tf::Tensor& y_true, const tf::Tensor& y_pred) {
    tf::print("Calculating MSE!");
    auto mse = tf::reduce_mean(tf::pow(y_true - y_pred, tf::constant(2)));
    tf::print("mse", mse, "of", y_true);
    return mse;
  });
  testing::internal::CaptureStdout();
  get_mse(tf::constant({5, 0, 1, 4, 2}), tf::constant({1, 8, 8, 7, 5}));
  get_mse(tf::constant({5, 0, 1, 4, 2}), tf::constant({5, 0, 1, 4, 2}));
  EXPECT_EQ(testing::internal::GetCapturedStdout(),
            "Calculating MSE!\nmse 29 of [5 0 1 4 2]\nCalculating MSE!\nmse 0 of [5 0 1 4 2]\n");
}

TEST(Function, NewNonTensorValuesRetrace) {
  int traces = 0;
  auto f = tf::function([&](const tf::Tensor& x) {
    ++traces;
    return x * x + tf::constant(2);
  });
  EXPECT_EQ(f(tf::constant(2)).tensor().item<int>(), 6);
  EXPECT_EQ(f(tf::constant(3)).tensor().item<int>(), 11);
  EXPECT_EQ(traces, 1);
  EXPECT_EQ(f(2).tensor().item<int>(), 6);   // a Python value: part of the signature
  EXPECT_EQ(f(3).tensor().item<int>(), 11);  // a new value retraces
  EXPECT_EQ(f(3).tensor().item<int>(), 11);
  EXPECT_EQ(traces, 3);
  auto g = tf::function([](const tf::Tensor& x, int n) { return x * tf::constant(n); });
  EXPECT_EQ(g(tf::constant(5), 2).tensor().item<int>(), 10);
  EXPECT_EQ(g(tf::constant(5), 3).tensor().item<int>(), 15);
  EXPECT_EQ(g.experimental_get_tracing_count(), 2);
}

TEST(Function, NonStrictExecutionPrunesUnusedOps) {
  auto eager = [](const tf::Tensor& x) {
    tf::gather(x, tf::constant({1}));  // fails when x has one element
    return x;
  };
  auto x = tf::constant({0.0f});
  EXPECT_THROW(eager(x), tf::errors::InvalidArgumentError);
  auto graph = tf::function(eager);
  tf::Tensor r = graph(x);
  EXPECT_EQ(vec(r), (std::vector<float>{0.0f}));
  // Used, the same gather raises at run time, naming its node.
  auto used = tf::function([](const tf::Tensor& x) { return tf::gather(x, tf::constant({1})); });
  try {
    used(x);
    FAIL();
  } catch (const tf::errors::InvalidArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("{{node GatherV2}}"), std::string::npos) << e.what();
  }
}

TEST(Function, CapturedEagerTensorIsAnInputNotAConstant) {
  auto c = tf::constant({1.0f, 2.0f});
  auto f = tf::function([&](const tf::Tensor& x) { return x * c; });
  EXPECT_EQ(vec(f(tf::constant({3.0f, 4.0f}))), (std::vector<float>{3, 8}));
  const auto def = f.concrete_functions()[0].graph().as_graph_def();
  EXPECT_EQ(def.node[1].op, "Placeholder");  // the capture
  EXPECT_EQ(def.node[1].name, "Capture");
}

TEST(Function, VariablesAreCapturedByReference) {
  tf::Variable v(1.0f);
  auto f = tf::function([&](const tf::Tensor& x) { return x * v; });
  EXPECT_EQ(f(tf::constant(2.0f)).tensor().item<float>(), 2.0f);
  v.assign(tf::constant(2.0f));
  EXPECT_EQ(f(tf::constant(2.0f)).tensor().item<float>(), 4.0f);
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
  const auto def = f.concrete_functions()[0].graph().as_graph_def();
  bool read = false;
  for (const auto& n : def.node) read |= n.op == "ReadVariableOp";
  EXPECT_TRUE(read);
}

TEST(Function, AssignsRunInProgramOrder) {
  tf::Variable v(1.0f);
  auto f = tf::function([&](const tf::Tensor& x) {
    auto before = v.read_value();
    v.assign_add(x);
    tf::print("v is", v);
    v.assign(v * 3.0f);
    return std::vector<tf::Tensor>{before, v.read_value()};
  });
  testing::internal::CaptureStdout();
  std::vector<tf::Tensor> r = f(tf::constant(2.0f));
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "v is 3\n");
  EXPECT_EQ(r[0].item<float>(), 1.0f);
  EXPECT_EQ(r[1].item<float>(), 9.0f);
  EXPECT_EQ(v.item<float>(), 9.0f);
  r = f(tf::constant(1.0f));
  EXPECT_EQ(r[0].item<float>(), 9.0f);
  EXPECT_EQ(v.item<float>(), 30.0f);
  // A function with no output still runs its side effects.
  auto bump = tf::function([&]() { v.assign_sub(tf::constant(10.0f)); });
  bump();
  bump();
  EXPECT_EQ(v.item<float>(), 10.0f);
}

TEST(Function, VariableCreationOnlyOnTheFirstTrace) {
  auto f = tf::function([](const tf::Tensor& x) {
    tf::Variable v(1.0f);
    return v * x;
  });
  try {
    f(tf::constant(1.0f));
    FAIL() << "expected InvalidArgumentError";
  } catch (const tf::errors::InvalidArgumentError& e) {
    EXPECT_EQ(e.message(),
              "tf.function only supports singleton tf.Variables created on the first call. Make sure the "
              "tf.Variable is only created once or created outside tf.function. See "
              "https://www.tensorflow.org/guide/function#creating_tfvariables for more information.");
  }
  // The seed's Count module: created on the first call only.
  std::optional<tf::Variable> count;
  auto c = tf::function([&]() -> tf::Tensor {
    if (!count) count = tf::Variable(tf::constant(0));
    return count->assign_add(tf::constant(1));
  });
  EXPECT_EQ(c().tensor().item<int>(), 1);
  EXPECT_EQ(c().tensor().item<int>(), 2);
}

TEST(Function, VariableInitializerFromATracedValue) {
  std::optional<tf::Variable> w;
  auto f = tf::function([&](const tf::Tensor& x) {
    if (!w) w = tf::Variable(tf::ones({2}) * x);  // traced, evaluated once with the first call's x
    return w->read_value() + 1.0f;
  });
  EXPECT_EQ(vec(f(tf::constant(3.0f))), (std::vector<float>{4, 4}));
  EXPECT_EQ(vec(f(tf::constant(5.0f))), (std::vector<float>{4, 4}));
}

TEST(Function, SymbolicTensorsCannotEscape) {
  tf::Tensor leaked;
  auto f = tf::function(
      [&](const tf::Tensor& x) {
        leaked = x * 2.0f;
        EXPECT_THROW(leaked.item<float>(), tf::errors::FailedPreconditionError);  // no value while tracing
        return x;
      },
      {.name = "leaky"});
  f(tf::constant(1.0f));
  try {
    leaked.item<float>();
    FAIL();
  } catch (const tf::errors::InvalidArgumentError& e) {
    EXPECT_NE(e.message().find("tf.function 'leaky'"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("out of scope"), std::string::npos);
  }
  EXPECT_THROW(tf::add(leaked, tf::constant(1.0f)), tf::errors::InvalidArgumentError);
  auto g = tf::function([&](const tf::Tensor& x) { return x + leaked; });
  EXPECT_THROW(g(tf::constant(1.0f)), tf::errors::InvalidArgumentError);
}

TEST(Function, StructuredArgumentsAndResults) {
  auto f = tf::function(
      [](const std::vector<tf::Tensor>& xs, const std::map<std::string, tf::Tensor>& m, const std::string& mode) {
        tf::Tensor s = xs[0] + xs[1];
        if (mode == "double") s = s * 2.0f;
        return std::map<std::string, tf::Tensor>{{"sum", s}, {"scaled", s * m.at("k")}};
      });
  std::vector<tf::Tensor> xs{tf::constant(1.0f), tf::constant(2.0f)};
  std::map<std::string, tf::Tensor> m{{"k", tf::constant(10.0f)}};
  auto r = f(xs, m, std::string("double"));
  EXPECT_EQ(r["sum"].tensor().item<float>(), 6.0f);
  EXPECT_EQ(r["scaled"].tensor().item<float>(), 60.0f);
  EXPECT_EQ(f(xs, m, std::string("plain"))["sum"].tensor().item<float>(), 3.0f);
  EXPECT_EQ(f.experimental_get_tracing_count(), 2);
  const std::string sig = f.concrete_functions()[1].pretty_printed_signature();
  EXPECT_EQ(sig,
            "<lambda>(args_0, args_1, args_2=plain)\n"
            "  Args:\n"
            "    args_0: [<1>, <2>]\n"
            "      <1>: float32 Tensor, shape=()\n"
            "      <2>: float32 Tensor, shape=()\n"
            "    args_1: {'k': <1>}\n"
            "      <1>: float32 Tensor, shape=()\n"
            "  Returns:\n"
            "    {'scaled': <1>, 'sum': <2>}\n"
            "      <1>: float32 Tensor, shape=()\n"
            "      <2>: float32 Tensor, shape=()");
}

TEST(Function, CacheIsThreadSafe) {
  std::atomic<int> traces{0};
  auto f = tf::function([&](const tf::Tensor& x) {
    ++traces;
    return x * x;
  });
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        float v = static_cast<float>(t * 100 + i);
        if (f(tf::constant(std::vector<float>{v, 1.0f})).tensor().to_vector<float>()[0] != v * v) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(traces.load(), 1);
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
}

}  // namespace

namespace {
TEST(Print, FormatsValuesAsTfPrint) {
  testing::internal::CaptureStdout();
  tf::print("x", tf::constant(3.0f), tf::constant(1.0f / 3.0f), tf::constant({{1, 2}, {3, 4}}), 7);
  tf::print(tf::range(0, 10));
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "x 3 0.333333343 [[1 2]\n [3 4]] 7\n[0 1 2 ... 7 8 9]\n");
}
}  // namespace

namespace {
TEST(Function, RandomOpsDrawFreshNumbersOnEveryCall) {
  auto f = tf::function([](const tf::Tensor& x) { return x + tf::random::uniform({3}, {.seed = 5}); });
  auto a = f(tf::zeros({3})).tensor().to_vector<float>();
  auto b = f(tf::zeros({3})).tensor().to_vector<float>();
  EXPECT_NE(a, b);
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
}

TEST(Function, DropoutGradientThroughAFunctionUsesThatCallsMask) {
  auto f = tf::function([](const tf::Tensor& x) { return tf::nn::dropout(x, 0.5); });
  auto x = tf::ones({64});
  for (int call = 0; call < 3; ++call) {
    tf::GradientTape tape;
    tape.watch(x);
    tf::Tensor y = f(x);
    tape.stop();
    auto g = tape.gradient(y, x)->to_vector<float>();
    auto yv = y.to_vector<float>();
    for (std::size_t i = 0; i < yv.size(); ++i) EXPECT_EQ(g[i], yv[i]) << "call " << call << " element " << i;
  }
}
}  // namespace

namespace {
TEST(Function, NestedFunctionsBecomeCallNodes) {
  auto inner = tf::function([](const tf::Tensor& x) { return tf::sin(x) * x; }, {.name = "inner"});
  auto outer = tf::function([&](const tf::Tensor& x) { return inner(x).tensor() + inner(x * 2.0f).tensor(); });
  auto x = tf::constant({0.5f, -1.0f});
  auto eager = [](const tf::Tensor& x) { return tf::sin(x) * x + tf::sin(x * 2.0f) * (x * 2.0f); };
  EXPECT_EQ(vec(outer(x)), vec(eager(x)));
  int calls = 0;
  for (const auto& n : outer.concrete_functions()[0].graph().as_graph_def().node) calls += n.op == "PartitionedCall";
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(inner.experimental_get_tracing_count(), 1);
  tf::GradientTape tape;
  tape.watch(x);
  tf::Tensor y = outer(x);
  tape.stop();
  tf::GradientTape eager_tape;
  eager_tape.watch(x);
  auto ye = eager(x);
  eager_tape.stop();
  auto g = tape.gradient(y, x)->to_vector<float>(), ge = eager_tape.gradient(ye, x)->to_vector<float>();
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], ge[i], 1e-6f);
}

TEST(Function, AnErrorWhileTracingLeavesNoTraceBehind) {
  bool fail = true;
  auto f = tf::function([&](const tf::Tensor& x) {
    if (fail) return tf::matmul(x, x);  // rank 1: InvalidArgumentError at trace time
    return x + 1.0f;
  });
  EXPECT_THROW(f(tf::constant({1.0f, 2.0f})), tf::errors::InvalidArgumentError);
  EXPECT_EQ(tf::current_op_interceptor(), nullptr);
  EXPECT_EQ(vec(tf::constant({1.0f}) + 1.0f), (std::vector<float>{2.0f}));  // eager works again
  fail = false;
  EXPECT_EQ(vec(f(tf::constant({1.0f, 2.0f}))), (std::vector<float>{2.0f, 3.0f}));
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
}

TEST(Function, KerasModelInsideAFunctionMatchesEager) {
  namespace K = tf::keras;
  K::Sequential model({K::layers::Dense(8, {.activation = "relu"}), K::layers::Dense(3)});
  auto x = tf::random::normal({5, 4}, {.seed = 3});
  tf::Tensor eager = model(x);
  auto f = tf::function([&](const tf::Tensor& x) { return tf::nn::softmax(model(x)); });
  EXPECT_EQ(vec(f(x)), vec(tf::nn::softmax(eager)));
  // The variables are read at run time: a change of weights is seen without retracing.
  for (auto& v : model.trainable_variables()) v.assign(v.read_value() * 0.5f);
  EXPECT_EQ(vec(f(x)), vec(tf::nn::softmax(model(x))));
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
}
}  // namespace
