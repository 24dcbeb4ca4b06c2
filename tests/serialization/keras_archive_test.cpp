// model.save("x.keras") / K::models::load_model (nn/models/keras_archive.h): Keras 3's zip
// layout, round trips of a Sequential MLP and a functional CNN (predictions, evaluate, optimizer
// state), and typed errors naming the file for damaged archives, missing entries, bad JSON,
// unknown layers, mismatched or oversized weights. Keras itself reads our files and writes the
// ones read here in the `interop` CTest (interop/run_keras_interop.sh).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "tapeflow/nn/models/keras_archive.h"
#include "tapeflow/nn/models/model_config.h"
#include "tapeflow/nn/models/model_config_json.h"
#include "tapeflow/serialization/file_io.h"
#include "tapeflow/serialization/zip_archive.h"
#include "tests/serialization/ckpt_test_util.h"

namespace {
namespace K = tf::keras;
namespace S = tapeflow::serialization;
using Json = nlohmann::json;
using tapeflow::testing::expect_error;
using tapeflow::testing::expect_identical;
using tapeflow::testing::TempDir;

tf::Tensor ramp(tf::Shape shape, double scale) {
  std::vector<double> v;
  for (int64_t i = 0; i < shape.num_elements(); ++i) v.push_back(std::sin(0.37 * double(i)) * scale);
  return tf::detail::constant_from_doubles(v, shape, tf::float32);
}

std::shared_ptr<K::Model> mlp() {
  auto m = std::make_shared<K::Sequential>(
      std::vector<K::AnyLayer>{K::Input({4}), K::layers::Dense(8, {.activation = "relu"}), K::layers::Dense(3)});
  m->compile({.optimizer = K::optimizers::Adam({.learning_rate = 0.01}),
              .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
              .metrics = {"accuracy"}});
  return m;
}

std::shared_ptr<K::Model> cnn() {
  auto x = K::Input({8, 8, 1});
  auto h = K::layers::Conv2D(4, 3, {.activation = "relu"})(x);
  h = K::layers::MaxPooling2D()(h);
  h = K::layers::BatchNormalization()(h);
  h = K::layers::Dropout(0.25)(h);
  auto y = K::layers::Dense(3)(K::layers::Flatten()(h));
  auto m = std::make_shared<K::Model>(x, y);
  m->compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.05, .momentum = 0.9}),
              .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
              .metrics = {"accuracy"}});
  return m;
}

// Masking and the three recurrent layers with their options (the interop writer's rnn.keras).
std::shared_ptr<K::Model> rnn() {
  namespace L = K::layers;
  auto m = std::make_shared<K::Sequential>(std::vector<K::AnyLayer>{
      K::Input({5, 3}), L::Masking(0.0),
      L::LSTM(4, {.dropout = 0.1, .recurrent_dropout = 0.2, .seed = 7, .return_sequences = true}),
      L::GRU(4, {.recurrent_dropout = 0.1, .return_sequences = true, .go_backwards = true}),
      L::SimpleRNN(3, {.activation = "relu"}), L::Dense(3)});
  m->compile({.optimizer = K::optimizers::Adam({.learning_rate = 0.01}),
              .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
              .metrics = {"accuracy"}});
  return m;
}

struct Data {
  tf::Tensor x, y;
};
Data mlp_data() { return {ramp({6, 4}, 2.0), tf::constant({0, 1, 2, 1, 0, 2})}; }
Data cnn_data() { return {ramp({4, 8, 8, 1}, 1.0), tf::constant({0, 2, 1, 1})}; }
// Six sequences of five steps, the last steps of two of them padding (zeros) for Masking.
Data rnn_data() {
  const tf::Tensor keep = tf::constant(
      std::vector<double>{1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0},
      tf::Shape{6, 5, 1}, tf::float32);
  return {ramp({6, 5, 3}, 1.5) * keep, tf::constant({0, 1, 2, 1, 0, 2})};
}

// `train`: also compare one more training step (not with Dropout: its masks are random).
void expect_same_model(K::Model& a, K::Model& b, const Data& d, bool train = true) {
  expect_identical(b.predict(d.x), a.predict(d.x));
  const auto ra = a.evaluate(d.x, d.y, {.verbose = 0}), rb = b.evaluate(d.x, d.y, {.verbose = 0});
  EXPECT_EQ(rb.names(), ra.names());
  for (const auto& n : ra.names()) EXPECT_EQ(rb.at(n), ra.at(n)) << n;
  EXPECT_EQ(b.optimizer().iterations(), a.optimizer().iterations());
  if (!train) return;
  // The optimizer's state came back: one more step moves both models identically.
  a.train_step(d.x, d.y);
  b.train_step(d.x, d.y);
  const auto wa = a.get_weights(), wb = b.get_weights();
  ASSERT_EQ(wb.size(), wa.size());
  for (std::size_t i = 0; i < wa.size(); ++i) expect_identical(wb[i], wa[i]);
}

TEST(KerasArchive, MlpRoundTripKeepsWeightsCompileAndOptimizerState) {
  TempDir dir;
  auto m = mlp();
  const Data d = mlp_data();
  for (int i = 0; i < 3; ++i) m->train_step(d.x, d.y);
  m->save(dir / "mlp.keras");
  auto loaded = K::models::load_model(dir / "mlp.keras");
  EXPECT_EQ(loaded->class_name(), "Sequential");
  EXPECT_EQ(loaded->name(), m->name());
  ASSERT_TRUE(loaded->compiled());
  EXPECT_EQ(loaded->optimizer().get_config().class_name, "Adam");
  expect_same_model(*m, *loaded, d);
}

TEST(KerasArchive, FunctionalCnnRoundTrip) {
  TempDir dir;
  auto m = cnn();
  const Data d = cnn_data();
  for (int i = 0; i < 2; ++i) m->train_step(d.x, d.y);
  m->save(dir / "cnn.keras");
  auto loaded = K::models::load_model(dir / "cnn.keras");
  EXPECT_EQ(loaded->class_name(), "Functional");
  EXPECT_EQ(loaded->layers().size(), m->layers().size());
  expect_same_model(*m, *loaded, d, /*train=*/false);
}

TEST(KerasArchive, RecurrentModelRoundTripKeepsMaskingDropoutAndDirection) {
  TempDir dir;
  auto m = rnn();
  const Data d = rnn_data();
  for (int i = 0; i < 2; ++i) m->train_step(d.x, d.y);
  m->save(dir / "rnn.keras");
  auto loaded = K::models::load_model(dir / "rnn.keras");
  ASSERT_EQ(loaded->layers().size(), 5u);
  EXPECT_EQ(loaded->layers()[0]->class_name(), "Masking");
  const auto& lstm = dynamic_cast<const K::layers::LSTM&>(*loaded->layers()[1]);
  EXPECT_EQ(lstm.cell().options().dropout, 0.1);
  EXPECT_EQ(lstm.cell().options().recurrent_dropout, 0.2);
  EXPECT_EQ(lstm.cell().options().seed, std::optional<int64_t>(7));
  EXPECT_TRUE(lstm.return_sequences());
  const auto& gru = dynamic_cast<const K::layers::GRU&>(*loaded->layers()[2]);
  EXPECT_TRUE(gru.go_backwards());
  EXPECT_TRUE(gru.cell().options().reset_after);
  EXPECT_EQ(loaded->layers()[3]->class_name(), "SimpleRNN");
  // The config written again is the one read (every field kept).
  EXPECT_EQ(Json::parse(K::saving::serialize_keras_object(*loaded)),
            Json::parse(K::saving::serialize_keras_object(*m)));
  expect_same_model(*m, *loaded, d, /*train=*/false);  // dropout: training steps are random
  // The loaded Masking marks the padding: steps 3-4 of sequence 1 and step 4 of sequence 5.
  const auto masked = loaded->layers()[0]->call_with_mask(d.x, std::nullopt);
  ASSERT_TRUE(masked.mask.has_value());
  std::vector<double> want(30, 1.0);
  want[8] = want[9] = want[29] = 0.0;
  EXPECT_EQ(tf::cast(*masked.mask, tf::float64).to_vector<double>(), want);
}

TEST(KerasArchive, FunctionalRecurrentRoundTrip) {
  TempDir dir;
  namespace L = K::layers;
  auto x = K::Input({5, 3});
  auto h = L::GRU(4, {.return_sequences = true, .reset_after = false})(x);
  h = L::LSTM(3, {.use_bias = false, .unit_forget_bias = false, .go_backwards = true})(h);
  K::Model m(x, L::Dense(2)(h));
  m.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.1}), .loss = K::losses::MeanSquaredError()});
  const Data d{rnn_data().x, ramp({6, 2}, 1.0)};
  m.train_step(d.x, d.y);
  m.save(dir / "frnn.keras");
  auto loaded = K::models::load_model(dir / "frnn.keras");
  EXPECT_EQ(loaded->class_name(), "Functional");
  EXPECT_EQ(Json::parse(K::saving::serialize_keras_object(*loaded)), Json::parse(K::saving::serialize_keras_object(m)));
  expect_same_model(m, *loaded, d);
}

TEST(KerasArchive, RecurrentConfigsRejectWhatTapeflowDoesNotImplement) {
  namespace I = tapeflow::keras::internal;
  K::layers::LSTM lstm(2);
  I::Json j = I::serialize_layer(lstm);
  for (const char* field : {"unroll", "zero_output_for_mask"}) {
    I::Json bad = j;
    bad["config"][field] = true;
    I::ConfigContext ctx;
    expect_error<tf::errors::UnimplementedError>([&] { I::deserialize_layer(bad, ctx); }, {field});
  }
  I::Json bad = j;
  bad["config"]["dropout"] = 1.5;
  I::ConfigContext ctx;
  expect_error<tf::errors::InvalidArgumentError>([&] { I::deserialize_layer(bad, ctx); }, {"dropout"});
}

TEST(KerasArchive, ZipHoldsKerasEntries) {
  TempDir dir;
  auto m = mlp();
  m->save(dir / "m.keras");
  S::ZipReader zip(S::read_file(dir / "m.keras"), "m.keras");
  EXPECT_EQ(zip.names(), (std::vector<std::string>{"metadata.json", "config.json", "model.weights.h5"}));
  const Json meta = Json::parse(zip.read("metadata.json", 1 << 20));
  EXPECT_TRUE(meta.at("keras_version").get<std::string>().starts_with("3."));
  EXPECT_EQ(meta.at("date_saved").get<std::string>().size(), 19u);  // 2026-01-31@12:00:00
  const Json config = Json::parse(zip.read("config.json", 1 << 20));
  EXPECT_EQ(config, Json::parse(K::saving::serialize_keras_object(*m)));
  EXPECT_EQ(config.at("compile_config").at("optimizer").at("class_name"), "Adam");
  EXPECT_EQ(config.at("compile_config").at("metrics"), Json::array({"accuracy"}));
  // The weights entry is what save_weights writes: HDF5's signature first.
  EXPECT_EQ(zip.read("model.weights.h5", 1 << 20).substr(0, 8), std::string("\x89HDF\r\n\x1a\n", 8));
}

TEST(KerasArchive, SaveChecksThePathAndTheModel) {
  TempDir dir;
  auto m = mlp();
  expect_error<tf::errors::InvalidArgumentError>([&] { m->save(dir / "m.h5"); }, {"extension", "m.h5"});
  K::Sequential unbuilt({K::layers::Dense(2)});
  expect_error<tf::errors::FailedPreconditionError>([&] { unbuilt.save(dir / "u.keras"); }, {"not built"});
  EXPECT_FALSE(S::file_exists(dir / "u.keras"));
  expect_error<tf::errors::NotFoundError>([&] { K::models::load_model(dir / "missing.keras"); }, {"missing.keras"});
}

// The archive with one entry replaced (or dropped when `contents` is empty).
std::string with_entry(const std::string& archive, const std::string& name, const std::string& contents) {
  S::ZipReader zip(archive, "test");
  S::ZipWriter out;
  for (const std::string& n : zip.names()) {
    if (n == name) {
      if (!contents.empty()) out.add(n, contents);
    } else {
      out.add(n, zip.read(n, 1 << 24));
    }
  }
  return out.finish("test");
}

void write(const std::string& path, const std::string& bytes) { S::write_file_atomically(path, bytes); }

TEST(KerasArchive, DamagedArchivesRaiseTypedErrorsNamingTheFile) {
  TempDir dir;
  auto m = mlp();
  const Data d = mlp_data();
  m->save(dir / "m.keras");
  const std::string good = S::read_file(dir / "m.keras");
  const std::string bad = dir / "bad.keras";

  write(bad, "not a zip at all");
  expect_error<tf::errors::DataLossError>([&] { K::models::load_model(bad); }, {bad, "not a valid zip"});
  for (std::size_t cut : {std::size_t{0}, std::size_t{30}, good.size() / 2, good.size() - 30, good.size() - 1}) {
    SCOPED_TRACE(cut);
    write(bad, good.substr(0, cut));
    expect_error<tf::errors::DataLossError>([&] { K::models::load_model(bad); }, {bad});
  }
  write(bad, with_entry(good, "config.json", ""));
  expect_error<tf::errors::InvalidArgumentError>([&] { K::models::load_model(bad); }, {bad, "no config.json"});
  write(bad, with_entry(good, "model.weights.h5", ""));
  expect_error<tf::errors::InvalidArgumentError>([&] { K::models::load_model(bad); }, {bad, "no model.weights.h5"});
  write(bad, with_entry(good, "config.json", "{\"class_name\": \"Sequential\", "));
  expect_error<tf::errors::DataLossError>([&] { K::models::load_model(bad); }, {bad, "config.json", "malformed JSON"});

  Json config = Json::parse(K::saving::serialize_keras_object(*m));
  Json unknown = config;
  unknown["config"]["layers"][1]["class_name"] = "QuantumDense";
  write(bad, with_entry(good, "config.json", unknown.dump()));
  expect_error<tf::errors::InvalidArgumentError>([&] { K::models::load_model(bad); }, {bad, "QuantumDense"});

  // A config whose last Dense has 5 units against the file's 3: the weights do not fit.
  Json wider = config;
  wider["config"]["layers"][2]["config"]["units"] = 5;
  write(bad, with_entry(good, "config.json", wider.dump()));
  expect_error<tf::errors::InvalidArgumentError>([&] { K::models::load_model(bad); },
                                                 {bad, "model.weights.h5", "dense"});

  // A layer larger than the weights the file holds is refused before its weights are allocated.
  Json huge = config;
  huge["config"]["layers"][1]["config"]["units"] = 1 << 20;
  write(bad, with_entry(good, "config.json", huge.dump()));
  expect_error<tf::errors::InvalidArgumentError>([&] { K::models::load_model(bad); },
                                                 {"larger than the weights the file holds"});

  // Single-byte damage anywhere either leaves the model loadable with the same values (a byte
  // no reader checks) or raises a typed error: the entries' CRCs protect the bytes libhdf5 reads.
  const tf::Tensor want = m->predict(d.x);
  for (std::size_t at = 0; at < good.size(); at += std::max<std::size_t>(1, good.size() / 400)) {
    std::string damaged = good;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x5a);
    write(bad, damaged);
    try {
      auto loaded = K::models::load_model(bad);
      expect_identical(loaded->predict(d.x), want);
    } catch (const tf::errors::OpError&) {}
  }
}

// ---- files Keras wrote (the interop CTest sets TAPEFLOW_KERAS_FILES to a fresh run of
// interop/gen_keras_models.py: mlp.keras and cnn.keras with x, y and Keras's predictions) ----

std::string keras_files() {
  const char* d = std::getenv("TAPEFLOW_KERAS_FILES");
  return d ? d : "";
}

TEST(KerasModelFileInterop, LoadsKerasFilesAndReproducesPredictAndEvaluate) {
  if (keras_files().empty()) GTEST_SKIP() << "TAPEFLOW_KERAS_FILES not set (the interop CTest sets it)";
  for (const std::string name : {"mlp", "cnn", "rnn", "seq2seq", "maskops"}) {
    SCOPED_TRACE(name);
    const std::string base = keras_files() + "/" + name;
    auto model = K::models::load_model(base + ".keras");
    ASSERT_TRUE(model->compiled());
    std::vector<tf::Tensor> x;  // <name>_x.npy, or _x0.npy, _x1.npy, ... for several inputs
    if (S::file_exists(base + "_x.npy"))
      x.push_back(tf::io::read_npy(base + "_x.npy"));
    else
      for (int i = 0; S::file_exists(base + "_x" + std::to_string(i) + ".npy"); ++i)
        x.push_back(tf::io::read_npy(base + "_x" + std::to_string(i) + ".npy"));
    ASSERT_FALSE(x.empty());
    const tf::Tensor y = tf::io::read_npy(base + "_y.npy");
    const std::vector<double> want = tf::cast(tf::io::read_npy(base + "_predict.npy"), tf::float64).to_vector<double>();
    const std::vector<double> got =
        tf::cast(x.size() == 1 ? model->predict(x[0]) : model->predict(x), tf::float64).to_vector<double>();
    ASSERT_EQ(got.size(), want.size());
    // float32 arithmetic in a different order than TensorFlow's kernels.
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5 + 1e-5 * std::abs(want[i])) << i;
    const std::vector<double> keras_eval = tf::io::read_npy(base + "_evaluate.npy").to_vector<double>();
    const auto ours = x.size() == 1 ? model->evaluate(x[0], y, {.verbose = 0}) : model->evaluate(x, y, {.verbose = 0});
    ASSERT_EQ(ours.names().size(), keras_eval.size());
    for (std::size_t i = 0; i < keras_eval.size(); ++i)
      EXPECT_NEAR(ours[i], keras_eval[i], 1e-5 + 1e-5 * std::abs(keras_eval[i])) << ours.names()[i];
  }
}

}  // namespace
