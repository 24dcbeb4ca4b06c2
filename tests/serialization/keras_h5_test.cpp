// model.save_weights / load_weights with "*.weights.h5": Keras 3's HDF5 layout (group names,
// dataset order, the optimizer's variables), round trips that resume training bit for bit, and
// typed errors naming the file and dataset for mismatching or damaged files. Keras itself reads
// and writes these files in the `interop` CTest (interop/, fixtures/gen_tf_checkpoints.py).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "tapeflow/nn/models/keras_weights_h5.h"
#include "tapeflow/serialization/file_io.h"
#include "tapeflow/serialization/h5_weights.h"
#include "tests/serialization/ckpt_test_util.h"

namespace {
namespace K = tf::keras;
using tapeflow::testing::expect_error;
using tapeflow::testing::expect_identical;
using tapeflow::testing::TempDir;

tf::Tensor inputs(int n, int d) {
  std::vector<double> v;
  for (int i = 0; i < n * d; ++i) v.push_back(std::sin(0.37 * i));
  return tf::detail::constant_from_doubles(v, {n, d}, tf::float32);
}

K::Sequential mlp(int hidden = 8) {
  K::Sequential m({K::layers::Dense(hidden, {.activation = "relu"}), K::layers::Dense(3)});
  m.compile({.optimizer = K::optimizers::Adam({.learning_rate = 0.01}), .loss = "mse"});
  return m;
}

K::Sequential cnn() {
  K::Sequential m({K::layers::Conv2D(4, 3), K::layers::BatchNormalization(), K::layers::Activation("relu"),
                   K::layers::Flatten(), K::layers::Dense(2)});
  m.compile({.optimizer = "sgd", .loss = "mse"});
  return m;
}

void train_steps(K::Model& m, const tf::Tensor& x, const tf::Tensor& y, int steps) {
  for (int i = 0; i < steps; ++i) m.train_step(x, y);
}

TEST(KerasWeightsH5, SnakeCaseIsKerass) {
  using tapeflow::keras::internal::to_snake_case;
  EXPECT_EQ(to_snake_case("BatchNormalization"), "batch_normalization");
  EXPECT_EQ(to_snake_case("ReLU"), "re_lu");
  EXPECT_EQ(to_snake_case("Conv2D"), "conv2d");
  EXPECT_EQ(to_snake_case("InputLayer"), "input_layer");
  EXPECT_EQ(to_snake_case("GlobalAveragePooling2D"), "global_average_pooling2d");
  EXPECT_EQ(to_snake_case("Dense"), "dense");
  // Keras 3.15's keras.src.utils.naming.to_snake_case on the same inputs.
  EXPECT_EQ(to_snake_case("HTTPServerError"), "http_server_error");
  EXPECT_EQ(to_snake_case("My-Layer.v2"), "my_layerv2");
  EXPECT_EQ(to_snake_case("already_snake"), "already_snake");
  EXPECT_EQ(to_snake_case("ABC"), "abc");
  EXPECT_EQ(to_snake_case("aBcDe"), "a_bc_de");
}

// The groups and dataset counts of Keras 3.x's files for these models (h5py's listing of a
// file written by keras.Model.save_weights, see fixtures/gen_tf_checkpoints.py).
TEST(KerasWeightsH5, LayoutIsKeras3s) {
  TempDir dir;
  auto m = cnn();
  auto x = inputs(3, 36);
  train_steps(m, tf::reshape(x, {3, 6, 6, 1}), inputs(3, 2), 1);
  m.save_weights(dir / "cnn.weights.h5");
  tf::serialization::H5WeightsReader r(dir / "cnn.weights.h5");
  const std::vector<std::pair<std::string, int64_t>> want = {
      {"vars", 0},
      {"layers/conv2d/vars", 2},
      {"layers/batch_normalization/vars", 4},
      {"layers/activation/vars", 0},
      {"layers/flatten/vars", 0},
      {"layers/dense/vars", 2},
      {"optimizer/vars", 2}};  // SGD without momentum: iterations, learning_rate
  for (const auto& [group, n] : want) {
    SCOPED_TRACE(group);
    EXPECT_TRUE(r.has_group(group));
    EXPECT_EQ(r.num_datasets(group), n);
  }
  // BatchNormalization: gamma, beta, then the non-trainable moving statistics.
  std::vector<tf::Variable> bn;
  for (const auto& l : m.layers())
    if (l->class_name() == "BatchNormalization") bn = l->variables();
  ASSERT_EQ(bn.size(), 4u);
  expect_identical(r.read("layers/batch_normalization/vars", 2), bn[2].read_value());
  expect_identical(r.read("layers/batch_normalization/vars", 3), bn[3].read_value());
  expect_identical(r.read("optimizer/vars", 0), tf::constant(int64_t{1}));
}

// A subclassed model: Keras walks its attributes in dir() order, `layers` (the model's layer
// list) among them, each layer saved once. For the Python model with attributes `dense_a` and
// `zeta`, h5py lists: vars, dense_a/vars/{0,1}, layers/dense_1/vars/{0,1} (zeta, reached first
// through `layers`, where dense_a took the name "dense").
struct SubclassedModel : K::Model {
  K::layers::Dense a, z;
  SubclassedModel()
      : K::Model("m"),
        a(track_layer(K::layers::Dense(3, {.name = "dense_a"}))),
        z(track_layer(K::layers::Dense(2, {.name = "zeta"}))) {}
  tf::Tensor call(const tf::Tensor& x, bool training) override { return z(a(x, training), training); }
};

TEST(KerasWeightsH5, SubclassedModelLayoutIsKeras3s) {
  TempDir dir;
  SubclassedModel m;
  auto x = inputs(2, 4);
  m(x);
  m.save_weights(dir / "sub.weights.h5");
  tf::serialization::H5WeightsReader r(dir / "sub.weights.h5");
  EXPECT_EQ(r.num_datasets("dense_a/vars"), 2);
  EXPECT_EQ(r.num_datasets("layers/dense_1/vars"), 2);
  EXPECT_TRUE(r.has_group("vars"));
  EXPECT_FALSE(r.has_group("zeta"));
  EXPECT_FALSE(r.has_group("layers/dense"));
  expect_identical(r.read("layers/dense_1/vars", 0), m.z.variables()[0].read_value());
  SubclassedModel m2;
  m2(x);
  m2.load_weights(dir / "sub.weights.h5");
  expect_identical(m2(x), m(x));
}

TEST(KerasWeightsH5, RoundTripResumesTrainingBitForBit) {
  TempDir dir;
  auto x = inputs(6, 4), y = inputs(6, 3) * 0.5f;
  auto a = mlp();
  train_steps(a, x, y, 3);
  a.save_weights(dir / "m.weights.h5");
  auto b = mlp();  // other initial weights, optimizer not built yet
  b(x);
  b.load_weights(dir / "m.weights.h5");
  EXPECT_EQ(b.optimizer().iterations(), 3);
  for (std::size_t i = 0; i < a.variables().size(); ++i) expect_identical(b.variables()[i], a.variables()[i]);
  // Adam's slots were saved (optimizer/vars/2..9) and apply when b's optimizer creates them.
  train_steps(a, x, y, 2);
  train_steps(b, x, y, 2);
  for (std::size_t i = 0; i < a.variables().size(); ++i) expect_identical(b.variables()[i], a.variables()[i]);
}

TEST(KerasWeightsH5, CnnWithBatchNormalizationRoundTrips) {
  TempDir dir;
  auto x = tf::reshape(inputs(4, 36), {4, 6, 6, 1});
  auto a = cnn();
  train_steps(a, x, inputs(4, 2), 2);
  a.save_weights(dir / "cnn.weights.h5");
  auto b = cnn();
  b(x);
  b.load_weights(dir / "cnn.weights.h5");
  expect_identical(b(x, false), a(x, false));
}

TEST(KerasWeightsH5, MismatchesNameTheFileAndTheDataset) {
  TempDir dir;
  auto x = inputs(2, 4);
  auto a = mlp(8);
  a(x);
  a.save_weights(dir / "m.weights.h5");
  auto b = mlp(5);
  b(x);
  const auto before = b.get_weights();
  expect_error<tf::errors::InvalidArgumentError>([&] { b.load_weights(dir / "m.weights.h5"); },
                                                 {dir / "m.weights.h5", "layers/dense/vars/0", "(4, 5)", "(4, 8)"});
  // Nothing was assigned: the check runs over every dataset before the first read.
  for (std::size_t i = 0; i < before.size(); ++i) expect_identical(b.get_weights()[i], before[i]);

  K::Sequential three({K::layers::Dense(8), K::layers::Dense(3), K::layers::Dense(1)});
  three(x);
  expect_error<tf::errors::InvalidArgumentError>(
      [&] { three.load_weights(dir / "m.weights.h5"); },
      {dir / "m.weights.h5", "layers/dense_2/vars", "expected 2 variables", "received 0"});
  K::Sequential unbuilt({K::layers::Dense(8), K::layers::Dense(3)});
  expect_error<tf::errors::InvalidArgumentError>([&] { unbuilt.load_weights(dir / "m.weights.h5"); },
                                                 {dir / "m.weights.h5", "never built", "layers/dense/vars"});
}

TEST(KerasWeightsH5, DamagedFilesRaiseDataLossNamingTheFile) {
  TempDir dir;
  auto x = inputs(2, 4);
  auto a = mlp();
  a(x);
  const std::string good = dir / "m.weights.h5";
  a.save_weights(good);
  const std::string bytes = tapeflow::serialization::read_file(good);
  auto write = [&](const std::string& name, const std::string& contents) {
    std::ofstream(dir / name, std::ios::binary) << contents;
    return dir / name;
  };
  auto b = mlp();
  b(x);
  expect_error<tf::errors::NotFoundError>([&] { b.load_weights(dir / "missing.weights.h5"); },
                                          {dir / "missing.weights.h5"});
  const std::string not_h5 = write("text.weights.h5", "this is not an HDF5 file");
  expect_error<tf::errors::DataLossError>([&] { b.load_weights(not_h5); }, {not_h5, "not an HDF5 file"});
  // Truncated at several points: the superblock's end-of-file address no longer fits.
  for (std::size_t cut : {std::size_t{8}, std::size_t{600}, bytes.size() / 2, bytes.size() - 1}) {
    SCOPED_TRACE(cut);
    const std::string truncated = write("cut" + std::to_string(cut) + ".weights.h5", bytes.substr(0, cut));
    expect_error<tf::errors::DataLossError>([&] { b.load_weights(truncated); }, {truncated});
  }
  // Every single-byte corruption of the metadata either reads the right values or raises a
  // typed error: never a crash, never a wrong shape.
  int typed_errors = 0;
  for (std::size_t at = 0; at < std::min<std::size_t>(bytes.size(), 2048); at += 11) {
    std::string flipped = bytes;
    flipped[at] = char(flipped[at] ^ 0x5a);
    const std::string path = write("flip.weights.h5", flipped);
    try {
      b.load_weights(path);
    } catch (const tf::errors::OpError& e) {
      ++typed_errors;
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(typed_errors, 0);
}

// The keras_weights_h5 fuzz target's finding: a compact dataset whose stored size is damaged made
// libhdf5 1.10's H5Dread copy from a NULL buffer. The reader now checks the stored size first.
TEST(KerasWeightsH5, DamagedCompactDatasetRaisesDataLoss) {
  const std::string path =
      std::string(TAPEFLOW_TEST_DIR) + "/fuzz/corpus/keras_weights_h5/damaged_compact_dataset.weights.h5";
  tf::serialization::H5WeightsReader r(path);
  ASSERT_TRUE(r.has_group("optimizer/vars"));
  EXPECT_EQ(r.read("optimizer/vars", 0).shape(), tf::Shape({}));
  expect_error<tf::errors::DataLossError>([&] { r.read("optimizer/vars", 1); },
                                          {path, "optimizer/vars/1", "bytes where its shape"});
}

TEST(KerasWeightsH5, DTypesRoundTrip) {
  TempDir dir;
  tapeflow::testing::AllDTypes m;
  std::vector<tf::Variable> stored;
  for (const auto& v : m.vars)
    if (v.dtype() != tf::string && v.dtype() != tf::bfloat16) stored.push_back(v);
  tf::serialization::write_h5_weights(dir / "d.weights.h5", {{"m/vars", "m", stored}});
  tf::serialization::H5WeightsReader r(dir / "d.weights.h5");
  ASSERT_EQ(r.num_datasets("m/vars"), int64_t(stored.size()));
  for (std::size_t i = 0; i < stored.size(); ++i)
    expect_identical(r.read("m/vars", int64_t(i)), stored[i].read_value());
  expect_error<tf::errors::UnimplementedError>(
      [&] {
        tf::serialization::write_h5_weights(dir / "s.weights.h5", {{"m/vars", "m", {m.vars[9]}}});
      },
      {"m/vars/0", "string"});
  EXPECT_FALSE(std::filesystem::exists(dir / "s.weights.h5"));  // the temporary was removed
}

}  // namespace
