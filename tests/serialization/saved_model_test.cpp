// tf::saved_model::save and load: a module with tracked Functions (the TF guide's
// MySequentialModule) and a Keras MLP round-trip with identical outputs, signatures take and give
// Tensors by name, a call matching no trace raises TF's error, a loaded model fine-tunes, and
// damaged SavedModels (truncated, bit-flipped, a missing function or variable, a cycle, an
// unknown op, absurd shapes) raise typed errors at load time.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "saved_model.pb.h"
#include "tests/serialization/ckpt_test_util.h"
#include "tests/serialization/saved_model_test_models.h"

namespace {
namespace K = tf::keras;
using tapeflow::testing::expect_error;
using tapeflow::testing::expect_identical;
using tapeflow::testing::ExportedKerasModel;
using tapeflow::testing::make_cnn;
using tapeflow::testing::MySequentialModule;
using tapeflow::testing::ramp;
using tapeflow::testing::TempDir;

std::string save_seed(const TempDir& dir, MySequentialModule& m) {
  m.call(ramp({1, 3}, 2.0f, 0.0f));                                                   // trace_0: (1, 3)
  auto cf = m.call.get_concrete_function(tf::TensorSpec({-1, 3}, tf::float32, "x"));  // trace_1: (None, 3)
  const std::string path = dir / "the_saved_model";
  tf::saved_model::save(m, path, {.signatures = {{"serving_default", cf}}});
  return path;
}

TEST(SavedModel, SeedModuleRoundTripsWithIdenticalOutputs) {
  TempDir dir;
  MySequentialModule m;
  const std::string path = save_seed(dir, m);
  for (const char* f :
       {"saved_model.pb", "fingerprint.pb", "variables/variables.index", "variables/variables.data-00000-of-00001"})
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(path) / f)) << f;
  auto loaded = tf::saved_model::load(path);
  const tf::Tensor x = ramp({4, 3}, -1.0f, 0.3f);
  expect_identical(loaded(x).tensor(), m.call(x).tensor());
  expect_identical(loaded.function("__call__")(ramp({1, 3}, 2.0f, 0.0f)).tensor(),
                   m.call(ramp({1, 3}, 2.0f, 0.0f)).tensor());
  EXPECT_EQ(loaded.function("__call__").concrete_functions().size(), 2u);
  auto out = loaded.signatures().at("serving_default")({{"x", x}});
  ASSERT_EQ(out.size(), 1u);
  expect_identical(out.at("output_0"), m.call(x).tensor());
  // The float64 reference of relu(relu(x w1 + b1) w2 + b2).
  auto ref = [&](const tf::Tensor& in) {
    auto c = [](const tf::Tensor& t) { return tf::cast(t, tf::float64); };
    auto h = tf::nn::relu(tf::matmul(c(in), c(m.dense_1.w.read_value())) + c(m.dense_1.b.read_value()));
    return tf::nn::relu(tf::matmul(h, c(m.dense_2.w.read_value())) + c(m.dense_2.b.read_value()));
  };
  auto got = tf::cast(out.at("output_0"), tf::float64).to_vector<double>();
  auto want = ref(x).to_vector<double>();
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5 * (1 + std::abs(want[i])));
  ASSERT_EQ(loaded.variables().size(), 4u);
  expect_identical(loaded.variables()[0].read_value(), m.dense_1.w.read_value());
  EXPECT_EQ(loaded.trainable_variables().size(), 4u);
}

TEST(SavedModel, CallMatchingNoTraceListsTheSignatures) {
  TempDir dir;
  MySequentialModule m;
  auto loaded = tf::saved_model::load(save_seed(dir, m));
  expect_error<tf::errors::InvalidArgumentError>(
      [&] {
        loaded(ramp({2, 4}, 0.0f, 1.0f));
      },
      {"Could not find matching concrete function to call loaded from the SavedModel", "shape=(2, 4)", "2 option(s)",
       "Option 1:", "TensorSpec(shape=(1, 3), dtype=tf.float32, name='x')",
       "TensorSpec(shape=(None, 3), dtype=tf.float32, name='x')"});
  expect_error<tf::errors::NotFoundError>([&] { loaded.function("serve"); }, {"serve", "__call__"});
  expect_error<tf::errors::InvalidArgumentError>(
      [&] {
        loaded.signatures().at("serving_default")({{"y", ramp({1, 3}, 0.0f, 1.0f)}});
      },
      {"missing input 'x'"});
}

TEST(SavedModel, KerasMlpRoundTripsAndFineTunes) {
  tf::random::set_seed(3);  // the initial weights, so that the fine-tuning check is deterministic
  TempDir dir;
  K::Sequential mlp({K::layers::Dense(4, {.activation = "relu"}), K::layers::Dense(3, {.activation = "softmax"})});
  const tf::Tensor x = ramp({6, 5}, -2.0f, 0.13f);
  mlp(x);
  ExportedKerasModel exported(mlp);
  auto cf = exported.serve.get_concrete_function(tf::TensorSpec({-1, 5}, tf::float32, "keras_tensor"));
  tf::saved_model::save(exported, dir / "mlp", {.signatures = {{"serving_default", cf}}});
  auto loaded = tf::saved_model::load(dir / "mlp");
  expect_identical(loaded.function("serve")(x).tensor(), mlp(x));
  expect_identical(loaded.signatures().at("serving_default")({{"keras_tensor", x}}).at("output_0"), mlp(x));
  ASSERT_EQ(loaded.trainable_variables().size(), 4u);

  // Fine-tune the loaded model: a few SGD steps on a cross-entropy lower the loss.
  const tf::Tensor y = tf::one_hot(tf::constant({0, 1, 2, 0, 1, 2}), 3);
  auto vars = loaded.trainable_variables();
  auto loss_of = [&] {
    auto p = loaded.function("serve")(x).tensor();
    return tf::reduce_mean(-tf::reduce_sum(y * tf::log(p + 1e-7f), 1));
  };
  const float before = loss_of().item<float>();
  for (int step = 0; step < 20; ++step) {
    tf::GradientTape tape;
    auto loss = loss_of();
    tape.stop();
    auto grads = tape.gradient(loss, vars);
    for (std::size_t i = 0; i < vars.size(); ++i) vars[i].assign_sub(grads[i].value() * 0.5f);
  }
  EXPECT_LT(loss_of().item<float>(), before * 0.9f);
}

TEST(SavedModel, KerasCnnRoundTripsInInferenceMode) {
  TempDir dir;
  K::Sequential cnn = make_cnn();
  const tf::Tensor x = ramp({2, 8, 8, 1}, -1.0f, 1.0f / 64);
  ExportedKerasModel exported(cnn);
  // Flatten needs a known batch size when traced (the graph layer's reshape of None dimensions).
  auto cf = exported.serve.get_concrete_function(tf::TensorSpec({2, 8, 8, 1}, tf::float32, "keras_tensor"));
  tf::saved_model::save(exported, dir / "cnn", {.signatures = {{"serving_default", cf}}});
  auto loaded = tf::saved_model::load(dir / "cnn");
  const tf::Tensor want = cnn(x);
  const tf::Tensor got = loaded.signatures().at("serving_default")({{"keras_tensor", x}}).at("output_0");
  ASSERT_EQ(got.shape(), want.shape());
  auto g = got.to_vector<float>(), w = want.to_vector<float>();
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], w[i], 1e-5f * (1 + std::abs(w[i])));
  EXPECT_EQ(loaded.variables().size(), cnn.variables().size());
}

struct Scaled : tf::Module {
  tf::Variable w;
  tf::Function call;
  explicit Scaled(tf::Tensor scale)
      : tf::Module("scaled"),
        w(track("w", tf::Variable(ramp({3}, 1.0f, 0.5f)))),
        call(track("__call__", tf::function([v = w, scale](const tf::Tensor& x) { return x * v * scale; },
                                            {.name = "__call__", .arg_names = {"x"}}))) {}
};

TEST(SavedModel, CapturedEagerTensorIsSavedAsItsValue) {
  TempDir dir;
  Scaled m(tf::constant({2.0f, -1.0f, 0.5f}));
  const tf::Tensor x = ramp({2, 3}, -1.0f, 0.75f);
  m.call(x);
  tf::saved_model::save(m, dir / "scaled");
  auto loaded = tf::saved_model::load(dir / "scaled");
  expect_identical(loaded(x).tensor(), m.call(x).tensor());
  EXPECT_TRUE(loaded.signatures().empty());  // no Function with an input_signature: no default
}

TEST(SavedModel, FunctionWithInputSignatureBecomesServingDefault) {
  struct WithSignature : tf::Module {
    tf::Variable w;
    tf::Function call;
    WithSignature()
        : tf::Module("with_signature"),
          w(track("w", tf::Variable(ramp({3}, 1.0f, 0.5f)))),
          call(track(
              "__call__",
              tf::function([v = w](const tf::Tensor& x) { return x * v; },
                           {.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({-1, 3}, tf::float32, "x")},
                            .name = "__call__",
                            .arg_names = {"x"}}))) {}
  } m;
  TempDir dir;
  tf::saved_model::save(m, dir / "default");
  auto loaded = tf::saved_model::load(dir / "default");
  ASSERT_EQ(loaded.signatures().count("serving_default"), 1u);
  const tf::Tensor x = ramp({2, 3}, 0.5f, 1.0f);
  expect_identical(loaded.signatures().at("serving_default")({{"x", x}}).at("output_0"), m.call(x).tensor());
}

TEST(SavedModel, SaveRejectsWhatItCannotWrite) {
  TempDir dir;
  // A function reading a variable the saved object does not track.
  struct Untracked : tf::Module {
    tf::Variable hidden{tf::constant(1.0f), {.name = "hidden"}};
    tf::Function call;
    Untracked()
        : tf::Module("untracked"),
          call(track("__call__", tf::function([v = hidden](const tf::Tensor& x) { return x * v; }))) {}
  } untracked;
  untracked.call(tf::constant(2.0f));
  expect_error<tf::errors::FailedPreconditionError>([&] { tf::saved_model::save(untracked, dir / "a"); },
                                                    {"reads variable 'hidden", "does not track"});
  // A Function never traced has no concrete function to save.
  Scaled never(tf::constant(1.0f));
  expect_error<tf::errors::FailedPreconditionError>([&] { tf::saved_model::save(never, dir / "b"); }, {"never traced"});
  // A tf::print has no TF counterpart in Tapeflow's writer yet.
  struct Prints : tf::Module {
    tf::Function call;
    Prints()
        : tf::Module("prints"), call(track("__call__", tf::function([](const tf::Tensor& x) {
                                             tf::print("x:", x);
                                             return x + 1.0f;
                                           }))) {}
  } prints;
  testing::internal::CaptureStdout();
  prints.call(tf::constant(1.0f));
  testing::internal::GetCapturedStdout();
  expect_error<tf::errors::UnimplementedError>([&] { tf::saved_model::save(prints, dir / "c"); }, {"tf::print"});
}

// ---- damaged SavedModels ------------------------------------------------------------------------

tensorflow::SavedModel read_proto(const std::string& dir) {
  std::ifstream in(dir + "/saved_model.pb", std::ios::binary);
  tensorflow::SavedModel p;
  EXPECT_TRUE(p.ParseFromIstream(&in));
  return p;
}
void write_proto(const std::string& dir, const tensorflow::SavedModel& p) {
  std::ofstream out(dir + "/saved_model.pb", std::ios::binary | std::ios::trunc);
  p.SerializeToOstream(&out);
}
tensorflow::FunctionDef& first_call_function(tensorflow::SavedModel& p) {
  auto& lib = *p.mutable_meta_graphs(0)->mutable_graph_def()->mutable_library();
  for (auto& f : *lib.mutable_function())
    if (f.signature().name().find("__call__") != std::string::npos) return f;
  ADD_FAILURE() << "no __call__ function";
  return *lib.mutable_function(0);
}

struct Damaged : ::testing::Test {
  TempDir dir;
  MySequentialModule m;
  std::string path;
  void SetUp() override { path = save_seed(dir, m); }
};

TEST_F(Damaged, UnknownOpsAreAllNamedAtLoadTime) {
  auto p = read_proto(path);
  for (auto& n : *first_call_function(p).mutable_node_def()) {
    if (n.op() == "MatMul") n.set_op("FancyMatMul");
    if (n.op() == "Relu") n.set_op("Swish7");
  }
  write_proto(path, p);
  expect_error<tf::errors::UnimplementedError>([&] { tf::saved_model::load(path); },
                                               {"does not implement", "FancyMatMul", "Swish7"});
}

TEST_F(Damaged, MissingFunctionVariableAndCycleAreTypedErrors) {
  {
    auto p = read_proto(path);
    first_call_function(p).mutable_signature()->set_name("renamed");
    write_proto(path, p);
    expect_error<tf::errors::NotFoundError>([&] { tf::saved_model::load(path); }, {"no function", "__call__"});
  }
  path = save_seed(dir, m);
  {
    auto p = read_proto(path);
    auto& cfs = *p.mutable_meta_graphs(0)->mutable_object_graph_def()->mutable_concrete_functions();
    cfs.begin()->second.set_bound_inputs(0, 0);  // the root, not a variable
    write_proto(path, p);
    expect_error<tf::errors::InvalidArgumentError>([&] { tf::saved_model::load(path); }, {"not a variable"});
  }
  path = save_seed(dir, m);
  {
    auto p = read_proto(path);
    auto& f = first_call_function(p);
    // MatMul now reads the Relu at the end: a cycle.
    for (auto& n : *f.mutable_node_def())
      if (n.op() == "MatMul") *n.mutable_input(0) = "Relu_1:activations:0";
    write_proto(path, p);
    expect_error<tf::errors::InvalidArgumentError>([&] { tf::saved_model::load(path); }, {"cycle"});
  }
  path = save_seed(dir, m);
  {
    auto p = read_proto(path);
    auto& nodes = *p.mutable_meta_graphs(0)->mutable_object_graph_def()->mutable_nodes();
    for (auto& n : nodes)
      if (n.has_variable()) n.mutable_variable()->mutable_shape()->mutable_dim(0)->set_size(int64_t{1} << 50);
    write_proto(path, p);
    expect_error<tf::errors::InvalidArgumentError>([&] { tf::saved_model::load(path); }, {"invalid dimension"});
  }
  path = save_seed(dir, m);
  {
    auto p = read_proto(path);
    p.mutable_meta_graphs(0)->mutable_object_graph_def()->mutable_nodes(0)->mutable_children(0)->set_node_id(999);
    write_proto(path, p);
    expect_error<tf::errors::InvalidArgumentError>([&] { tf::saved_model::load(path); }, {"child 999"});
  }
  std::filesystem::remove_all(path);
  expect_error<tf::errors::NotFoundError>([&] { tf::saved_model::load(path); }, {"no saved_model.pb"});
}

TEST_F(Damaged, TruncatedAndBitFlippedFilesRaiseTypedErrors) {
  std::ifstream in(path + "/saved_model.pb", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto write = [&](const std::string& b) {
    std::ofstream out(path + "/saved_model.pb", std::ios::binary | std::ios::trunc);
    out << b;
  };
  write(bytes.substr(0, bytes.size() / 2));
  expect_error<tf::errors::OpError>([&] { tf::saved_model::load(path); }, {"saved_model.pb"});
  // Flipped bits: a typed error or a model that still loads, never a crash.
  std::mt19937 rng(5);
  int typed = 0;
  for (int trial = 0; trial < 40; ++trial) {
    std::string b = bytes;
    for (int k = 0; k < 3; ++k) b[rng() % b.size()] ^= static_cast<char>(1 << (rng() % 8));
    write(b);
    try {
      auto loaded = tf::saved_model::load(path);
      (void)loaded;
    } catch (const tf::errors::OpError&) { ++typed; }
  }
  EXPECT_GT(typed, 0);
}

}  // namespace

// ---- SavedModels TensorFlow wrote (the interop CTest sets TAPEFLOW_TF_SAVED_MODELS to a fresh
// run of interop/gen_tf_saved_models.py) ---------------------------------------------------------

namespace {
struct Expected {
  tf::Tensor input;
  std::vector<double> output;
  tf::Shape output_shape;
};

Expected read_expected(const std::string& path) {
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << path;
  Expected e;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream row(line);
    std::string name, shape_text;
    row >> name >> shape_text;
    std::vector<int64_t> dims;
    std::istringstream dims_in(shape_text);
    for (std::string d; std::getline(dims_in, d, ',');) dims.push_back(std::stoll(d));
    std::vector<double> values;
    for (double v; row >> v;) values.push_back(v);
    if (name == "input") e.input = tf::cast(tf::constant(values, tf::Shape(dims)), tf::float32);
    if (name == "output") {
      e.output = values;
      e.output_shape = tf::Shape(dims);
    }
  }
  return e;
}

void expect_close(const tf::Tensor& got, const Expected& e) {
  ASSERT_EQ(got.shape(), e.output_shape);
  auto g = tf::cast(got, tf::float64).to_vector<double>();
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], e.output[i], 1e-5 * (1 + std::abs(e.output[i]))) << i;
}

std::string tf_saved_models() {
  const char* d = std::getenv("TAPEFLOW_TF_SAVED_MODELS");
  return d ? d : "";
}
}  // namespace

TEST(TensorFlowSavedModel, LoadsTfModuleAndReproducesTfOutputs) {
  if (tf_saved_models().empty()) GTEST_SKIP() << "TAPEFLOW_TF_SAVED_MODELS not set (the interop CTest sets it)";
  const std::string dir = tf_saved_models() + "/seed_module";
  const Expected e = read_expected(dir + "/expected.txt");
  auto loaded = tf::saved_model::load(dir);
  expect_close(loaded(e.input).tensor(), e);
  expect_close(loaded.signatures().at("serving_default")({{"x", e.input}}).at("output_0"), e);
  EXPECT_EQ(loaded.variables().size(), 4u);
}

TEST(TensorFlowSavedModel, LoadsKerasCnnExportAndReproducesKerasOutputs) {
  if (tf_saved_models().empty()) GTEST_SKIP() << "TAPEFLOW_TF_SAVED_MODELS not set (the interop CTest sets it)";
  const std::string dir = tf_saved_models() + "/keras_cnn";
  const Expected e = read_expected(dir + "/expected.txt");
  auto loaded = tf::saved_model::load(dir);
  expect_close(loaded.function("serve")(e.input).tensor(), e);
  const auto& sig = loaded.signatures().at("serving_default");
  ASSERT_EQ(sig.inputs().size(), 1u);  // Keras names it keras_tensor_N after the models built before
  expect_close(sig({{sig.inputs().begin()->first, e.input}}).at("output_0"), e);
}

TEST(TensorFlowSavedModel, LoadsKerasExportAndReproducesKerasOutputs) {
  if (tf_saved_models().empty()) GTEST_SKIP() << "TAPEFLOW_TF_SAVED_MODELS not set (the interop CTest sets it)";
  const std::string dir = tf_saved_models() + "/keras_mlp";
  const Expected e = read_expected(dir + "/expected.txt");
  auto loaded = tf::saved_model::load(dir);
  expect_close(loaded.function("serve")(e.input).tensor(), e);
  for (const char* sig : {"serve", "serving_default"})
    expect_close(loaded.signatures().at(sig)({{"keras_tensor", e.input}}).at("output_0"), e);
  EXPECT_EQ(loaded.trainable_variables().size(), 4u);
  // Fine-tuning the loaded Keras model lowers its loss.
  const tf::Tensor y = tf::one_hot(tf::constant({0, 2}), 3);
  auto vars = loaded.trainable_variables();
  auto loss_of = [&] {
    auto p = loaded.function("serve")(e.input).tensor();
    return tf::reduce_mean(-tf::reduce_sum(y * tf::log(p + 1e-7f), 1));
  };
  const float before = loss_of().item<float>();
  for (int step = 0; step < 20; ++step) {
    tf::GradientTape tape;
    auto loss = loss_of();
    tape.stop();
    auto grads = tape.gradient(loss, vars);
    for (std::size_t i = 0; i < vars.size(); ++i) vars[i].assign_sub(grads[i].value() * 0.5f);
  }
  EXPECT_LT(loss_of().item<float>(), before * 0.9f);
}
