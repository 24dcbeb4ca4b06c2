// Tapeflow reads and restores checkpoints that TensorFlow 2.21 / Keras 3 wrote: the fixtures of
// fixtures/gen_tf_checkpoints.py (committed), or a fresh run of it when TAPEFLOW_TF_CHECKPOINTS
// names its output (the `interop` CTest does so with the real TensorFlow).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "tapeflow/serialization/file_io.h"
#include "tapeflow/serialization/table_reader.h"
#include "tests/core/test_util.h"
#include "tests/serialization/ckpt_test_util.h"

namespace {
namespace K = tf::keras;
using tapeflow::testing::AllDTypes;
using tapeflow::testing::expect_identical;

std::string fixtures() {
  if (const char* d = std::getenv("TAPEFLOW_TF_CHECKPOINTS")) return d;
  return std::string(TAPEFLOW_TEST_DIR) + "/serialization/fixtures/tf_checkpoints";
}

std::map<std::string, std::vector<double>> read_expected(const std::string& path) {
  std::map<std::string, std::vector<double>> out;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string name;
    ss >> name;
    double v;
    while (ss >> v) out[name].push_back(v);
  }
  return out;
}

TEST(TensorFlowCheckpoint, EveryDTypeReadsBitForBit) {
  const std::string prefix = fixtures() + "/all_dtypes";
  auto reader = tf::train::load_checkpoint(prefix);
  AllDTypes m;
  for (const auto& [path, v] : m.named_variables()) {
    const std::string key = "m/" + path.substr(path.find('/') + 1) + "/.ATTRIBUTES/VARIABLE_VALUE";
    SCOPED_TRACE(key);
    expect_identical(reader.get_tensor(key), v.read_value());
  }
  // int16 has no Tapeflow dtype: listed with its shape, and get_tensor says why it cannot read it.
  EXPECT_EQ(reader.get_variable_to_shape_map().at("m/int16/.ATTRIBUTES/VARIABLE_VALUE"), tf::Shape{2});
  EXPECT_EQ(reader.get_variable_to_dtype_map().at("m/int16/.ATTRIBUTES/VARIABLE_VALUE"), "int16");
  EXPECT_THROW(reader.get_tensor("m/int16/.ATTRIBUTES/VARIABLE_VALUE"), tf::errors::UnimplementedError);
  // Restore by object graph into a module with the same attribute names (int16 left out).
  AllDTypes fresh;
  for (auto& v : fresh.vars)
    if (v.dtype() != tf::string) v.assign(tf::zeros_like(v.read_value()));
  auto status = tf::train::Checkpoint({{"m", fresh}}).restore(prefix);
  status.assert_existing_objects_matched();
  EXPECT_THROW(status.assert_consumed(), tf::AssertionError);  // the int16 value has no object
  for (std::size_t i = 0; i < m.vars.size(); ++i) expect_identical(fresh.vars[i].read_value(), m.vars[i].read_value());
}

TEST(TensorFlowCheckpoint, KerasModelAndAdamResumeWhereTensorFlowStopped) {
  const std::string dir = fixtures() + "/keras";
  const std::string latest = tf::train::latest_checkpoint(dir);
  ASSERT_EQ(latest, dir + "/ckpt-1");
  auto expected = read_expected(fixtures() + "/keras_expected.txt");
  auto x = tf::detail::constant_from_doubles(expected.at("x"), {5, 3}, tf::float32);
  auto target = tf::detail::constant_from_doubles(expected.at("target"), {5, 2}, tf::float32);

  K::Sequential model({K::layers::Dense(4, {.activation = "relu"}), K::layers::Dense(2)});
  K::optimizers::Adam opt({.learning_rate = 0.01});
  tf::train::Checkpoint ckpt({{"model", model}, {"optimizer", opt}});
  auto status = ckpt.restore(latest);  // unbuilt model, no slots yet: everything deferred
  auto y = model(x);
  tapeflow::testing::expect_values(y, {5, 2}, expected.at("y_at_save"), 1e-5);
  EXPECT_EQ(opt.iterations(), 2);
  EXPECT_EQ(ckpt.save_counter().item<int64_t>(), 1);

  tf::GradientTape tape;
  auto loss = tf::reduce_mean(tf::square(model(x) - target));
  tape.stop();
  auto vars = model.trainable_variables();
  opt.apply_gradients(tape.gradient(loss, vars), vars);
  status.assert_consumed();  // the Adam slots were created, and restored, by that step
  EXPECT_EQ(opt.iterations(), 3);
  ASSERT_EQ(vars.size(), 4u);
  for (std::size_t i = 0; i < vars.size(); ++i)
    tapeflow::testing::expect_values(vars[i].read_value(), vars[i].shape(),
                                     expected.at("weight_after_step_" + std::to_string(i)), 1e-5);
}

// keras.Model.save_weights("*.weights.h5") files load into the equivalent Tapeflow models and
// give Keras's outputs; the MLP's Adam slots wait for the optimizer to create them.
TEST(TensorFlowCheckpoint, KerasWeightsH5FilesLoad) {
  auto expected = read_expected(fixtures() + "/keras_h5_expected.txt");
  auto x = tf::detail::constant_from_doubles(expected.at("mlp_x"), {5, 4}, tf::float32);
  K::Sequential mlp({K::layers::Dense(8, {.activation = "relu"}), K::layers::Dense(3)});
  mlp.compile({.optimizer = K::optimizers::Adam({.learning_rate = 0.01}), .loss = "mse"});
  mlp(x);
  mlp.load_weights(fixtures() + "/keras_mlp.weights.h5");
  tapeflow::testing::expect_values(mlp(x, false), {5, 3}, expected.at("mlp_y"), 1e-5);
  EXPECT_EQ(mlp.optimizer().iterations(), 3);  // fit of 3 epochs, one batch each

  auto img = tf::detail::constant_from_doubles(expected.at("cnn_x"), {3, 6, 6, 1}, tf::float32);
  K::Sequential cnn({K::layers::Conv2D(4, 3), K::layers::BatchNormalization(), K::layers::Activation("relu"),
                     K::layers::Flatten(), K::layers::Dense(2)});
  cnn(img);
  cnn.load_weights(fixtures() + "/keras_cnn.weights.h5");
  tapeflow::testing::expect_values(cnn(img, false), {3, 2}, expected.at("cnn_y"), 1e-5);
}

}  // namespace
