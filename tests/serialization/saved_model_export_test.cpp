// The outer graph of our SavedModels (what TF1's loader, TF Serving and saved_model_cli run
// execute: Placeholders, the signature calls on VarHandleOps, saver_def with its traced save and
// restore functions) is consistent with the object graph and the variables/ checkpoint, and
// Keras's model.export_ writes `serve` and `serving_default` that give the model's outputs.
// (The interop test runs these SavedModels in the real TensorFlow, TF1 Session included.)
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "saved_model.pb.h"
#include "tapeflow/serialization/file_io.h"
#include "tests/serialization/ckpt_test_util.h"
#include "tests/serialization/saved_model_test_models.h"

namespace {
namespace K = tf::keras;
using tapeflow::testing::expect_error;
using tapeflow::testing::expect_identical;
using tapeflow::testing::MySequentialModule;
using tapeflow::testing::ramp;
using tapeflow::testing::TempDir;

tensorflow::MetaGraphDef read_meta_graph(const std::string& dir) {
  tensorflow::SavedModel model;
  EXPECT_TRUE(model.ParseFromString(tapeflow::serialization::read_file(dir + "/saved_model.pb")));
  return model.meta_graphs(0);
}

std::map<std::string, const tensorflow::NodeDef*> nodes_by_name(const tensorflow::GraphDef& g) {
  std::map<std::string, const tensorflow::NodeDef*> out;
  for (const auto& n : g.node()) EXPECT_TRUE(out.emplace(n.name(), &n).second) << "two nodes named " << n.name();
  return out;
}

const tensorflow::FunctionDef& function_named(const tensorflow::GraphDef& g, const std::string& name) {
  for (const auto& f : g.library().function())
    if (f.signature().name() == name) return f;
  ADD_FAILURE() << "no function " << name;
  return g.library().function(0);
}

const tensorflow::NodeDef& node_in(const tensorflow::FunctionDef& f, const std::string& name) {
  for (const auto& n : f.node_def())
    if (n.name() == name) return n;
  ADD_FAILURE() << f.signature().name() << " has no node " << name;
  return f.node_def(0);
}

std::vector<std::string> strings_of(const tensorflow::NodeDef& constant) {
  const auto& t = constant.attr().at("value").tensor();
  return {t.string_val().begin(), t.string_val().end()};
}

std::vector<int64_t> dims(const tensorflow::TensorShapeProto& s) {
  std::vector<int64_t> out;
  for (const auto& d : s.dim()) out.push_back(d.size());
  return out;
}

TEST(SavedModelOuterGraph, SignatureCallsItsFunctionOnPlaceholdersAndVariableHandles) {
  TempDir dir;
  MySequentialModule m;
  auto cf = m.call.get_concrete_function(tf::TensorSpec({-1, 3}, tf::float32, "x"));
  tf::saved_model::save(m, dir / "m", {.signatures = {{"serving_default", cf}}});
  const auto meta = read_meta_graph(dir / "m");
  const auto nodes = nodes_by_name(meta.graph_def());
  const auto& sig = meta.signature_def().at("serving_default");
  ASSERT_EQ(sig.inputs().at("x").name(), "serving_default_x:0");
  ASSERT_EQ(sig.outputs().at("output_0").name(), "StatefulPartitionedCall:0");
  const auto& x = *nodes.at("serving_default_x");
  EXPECT_EQ(x.op(), "Placeholder");
  EXPECT_EQ(x.attr().at("dtype").type(), tensorflow::DT_FLOAT);
  EXPECT_EQ(dims(x.attr().at("shape").shape()), (std::vector<int64_t>{-1, 3}));

  // The call runs the signature's function (the one the signature map names) on x and on the
  // handles of the four variables, whose shapes are the function's resource arguments'.
  const auto& call = *nodes.at("StatefulPartitionedCall");
  const std::string f = call.attr().at("f").func().name();
  std::string from_object_graph;
  const auto& og = meta.object_graph_def();
  for (const auto& child : og.nodes(0).children())
    if (child.local_name() == "signatures")
      for (const auto& s : og.nodes(child.node_id()).children())
        if (s.local_name() == "serving_default")
          from_object_graph = og.nodes(s.node_id()).bare_concrete_function().concrete_function_name();
  EXPECT_EQ(f, from_object_graph);
  const auto& fdef = function_named(meta.graph_def(), f);
  ASSERT_EQ(call.input_size(), 5);
  ASSERT_EQ(fdef.signature().input_arg_size(), 5);
  EXPECT_EQ(call.input(0), "serving_default_x");
  for (int i = 1; i < 5; ++i) {
    const auto& handle = *nodes.at(call.input(i));
    EXPECT_EQ(handle.op(), "VarHandleOp");
    EXPECT_EQ(handle.attr().at("shared_name").s(), handle.name());
    EXPECT_EQ(dims(handle.attr().at("shape").shape()), dims(fdef.signature().input_arg(i).handle_data(0).shape()));
  }

  // saver_def: save and restore name the checkpoint's keys, and restore assigns each key's
  // value to the handle of a variable of that key's shape.
  const auto& saver = meta.saver_def();
  EXPECT_EQ(saver.filename_tensor_name(), "saver_filename:0");
  EXPECT_EQ(saver.save_tensor_name(), "StatefulPartitionedCall_1:0");
  EXPECT_EQ(saver.restore_op_name(), "StatefulPartitionedCall_2");
  EXPECT_EQ(saver.version(), tensorflow::SaverDef::V2);
  std::map<std::string, tf::Shape> keys;
  for (const auto& [k, shape] : tf::train::list_variables(dir / "m/variables/variables")) keys[k] = shape;
  ASSERT_EQ(keys.size(), 5u);  // 4 variables and the object graph
  const auto& save =
      function_named(meta.graph_def(), nodes.at("StatefulPartitionedCall_1")->attr().at("f").func().name());
  auto saved_names = strings_of(node_in(save, "SaveV2/tensor_names"));
  EXPECT_EQ(std::set<std::string>(saved_names.begin(), saved_names.end()).size(), keys.size());
  for (const std::string& k : saved_names) EXPECT_TRUE(keys.count(k)) << k;
  const auto& restore_call = *nodes.at("StatefulPartitionedCall_2");
  const auto& restore = function_named(meta.graph_def(), restore_call.attr().at("f").func().name());
  const auto restored = strings_of(node_in(restore, "RestoreV2/tensor_names"));
  ASSERT_EQ(restored.size(), 5u);  // as TF: the object graph is read too, and not assigned
  EXPECT_EQ(restored.back(), "_CHECKPOINTABLE_OBJECT_GRAPH");
  ASSERT_EQ(restore_call.input_size(), 5);
  EXPECT_EQ(restore_call.input(0), "saver_filename");
  for (std::size_t i = 0; i + 1 < restored.size(); ++i) {
    const auto& handle = *nodes.at(restore_call.input(static_cast<int>(i) + 1));
    EXPECT_EQ(tf::Shape(dims(handle.attr().at("shape").shape())), keys.at(restored[i])) << restored[i];
  }
  // The init op TF1 loaders run after restoring.
  EXPECT_EQ(meta.signature_def().at("__saved_model_init_op").outputs().at("__saved_model_init_op").name(), "NoOp");
  EXPECT_EQ(nodes.at("NoOp")->op(), "NoOp");
  EXPECT_EQ(meta.collection_def().at("saved_model_main_op").node_list().value(0), "NoOp");
  // Our loader still reads it, and the init signature is not a user signature.
  auto loaded = tf::saved_model::load(dir / "m");
  EXPECT_EQ(loaded.signatures().size(), 1u);
  const tf::Tensor in = ramp({2, 3}, -1.0f, 0.5f);
  expect_identical(loaded.signatures().at("serving_default")({{"x", in}}).at("output_0"), m.call(in).tensor());
}

TEST(KerasExport, SequentialMlpServesUnderServeAndServingDefault) {
  TempDir dir;
  K::Sequential mlp(
      {K::Input({5}), K::layers::Dense(4, {.activation = "relu"}), K::layers::Dense(3, {.activation = "softmax"})});
  mlp.export_(dir / "mlp", {.verbose = false});
  const auto meta = read_meta_graph(dir / "mlp");
  // Keras 3 writes these (tests/serialization/interop compares them with keras's model.export()).
  for (const char* key : {"serve", "serving_default"}) {
    const auto& sig = meta.signature_def().at(key);
    EXPECT_EQ(sig.inputs().at("keras_tensor").name(), std::string(key) + "_keras_tensor:0");
    EXPECT_EQ(dims(sig.inputs().at("keras_tensor").tensor_shape()), (std::vector<int64_t>{-1, 5}));
    EXPECT_EQ(dims(sig.outputs().at("output_0").tensor_shape()), (std::vector<int64_t>{-1, 3}));
    EXPECT_EQ(sig.method_name(), "tensorflow/serving/predict");
  }
  EXPECT_EQ(meta.signature_def().at("serve").outputs().at("output_0").name(), "StatefulPartitionedCall:0");
  EXPECT_EQ(meta.signature_def().at("serving_default").outputs().at("output_0").name(), "StatefulPartitionedCall_1:0");
  auto loaded = tf::saved_model::load(dir / "mlp");
  const tf::Tensor x = ramp({6, 5}, -2.0f, 0.13f);
  expect_identical(loaded.function("serve")(x).tensor(), mlp(x));
  for (const char* key : {"serve", "serving_default"})
    expect_identical(loaded.signatures().at(key)({{"keras_tensor", x}}).at("output_0"), mlp(x));
  EXPECT_EQ(loaded.variables().size(), 4u);
}

TEST(KerasExport, CnnRunsInInferenceModeAndFunctionalInputsKeepTheirNames) {
  TempDir dir;
  namespace L = K::layers;
  K::Sequential cnn({K::Input({8, 8, 1}), L::Conv2D(4, 3, {.activation = "relu"}), L::MaxPooling2D(),
                     L::BatchNormalization(), L::Dropout(0.5), L::Flatten(), L::Dense(3)});
  for (tf::Variable& v : cnn.non_trainable_variables()) v.assign(ramp(v.shape(), 0.5f, 0.25f));
  cnn.export_(dir / "cnn", {.verbose = false});
  auto loaded = tf::saved_model::load(dir / "cnn");
  const tf::Tensor x = ramp({2, 8, 8, 1}, -1.0f, 1.0f / 64);
  const tf::Tensor want = cnn(x);  // inference: Dropout off, BatchNormalization's moving statistics
  const tf::Tensor got = loaded.signatures().at("serving_default")({{"keras_tensor", x}}).at("output_0");
  ASSERT_EQ(got.shape(), want.shape());
  auto g = got.to_vector<float>(), w = want.to_vector<float>();
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], w[i], 1e-5f * (1 + std::abs(w[i])));
  EXPECT_EQ(loaded.variables().size(), cnn.variables().size());

  // A functional model with two inputs, one named (keys "feat" and "keras_tensor"), and two
  // outputs (output_0, output_1).
  auto a = K::Input({2}, {.name = "feat"});
  auto b = K::Input({3});
  K::Model two({a, b}, {L::Dense(1)(a), L::Dense(2)(b)});
  two.export_(dir / "two", {.verbose = false});
  auto two_loaded = tf::saved_model::load(dir / "two");
  const auto& sig = two_loaded.signatures().at("serving_default");
  ASSERT_EQ(sig.inputs().size(), 2u);
  EXPECT_TRUE(sig.inputs().count("feat"));
  EXPECT_TRUE(sig.inputs().count("keras_tensor"));
  const tf::Tensor xa = ramp({4, 2}, 0.5f, -0.25f), xb = ramp({4, 3}, -1.0f, 0.2f);
  const auto got_two = sig({{"feat", xa}, {"keras_tensor", xb}});
  const auto want_two = two.call_all({xa, xb});
  expect_identical(got_two.at("output_0"), want_two[0]);
  expect_identical(got_two.at("output_1"), want_two[1]);
}

TEST(KerasExport, InputSignatureFromTheFirstCallOrGivenElseAnError) {
  TempDir dir;
  // Built by a call, as Keras infers it from the build shapes: (None, 4) keyed keras_tensor.
  K::Sequential called({K::layers::Dense(2)});
  called(ramp({1, 4}, 0.0f, 1.0f));
  called.export_(dir / "called", {.verbose = false});
  auto loaded = tf::saved_model::load(dir / "called");
  const tf::Tensor x = ramp({3, 4}, 1.0f, -0.5f);
  expect_identical(loaded.signatures().at("serving_default")({{"keras_tensor", x}}).at("output_0"), called(x));
  EXPECT_EQ(loaded.signatures().at("serve").inputs().at("keras_tensor").shape, tf::Shape({-1, 4}));
  // Given: its names key the signatures.
  called.export_(dir / "given", {.verbose = false, .input_signature = {{tf::TensorSpec({-1, 4}, tf::float32, "x")}}});
  expect_identical(tf::saved_model::load(dir / "given").signatures().at("serve")({{"x", x}}).at("output_0"), called(x));
  // Neither: a typed error saying what to pass.
  K::Sequential never_called({K::layers::Dense(2)});
  expect_error<tf::errors::InvalidArgumentError>([&] { never_called.export_(dir / "a", {.verbose = false}); },
                                                 {"input signature", "input_signature"});
  expect_error<tf::errors::InvalidArgumentError>(
      [&] { called.export_(dir / "b", {.format = "onnx", .verbose = false}); }, {"onnx", "tf_saved_model"});
}

}  // namespace
