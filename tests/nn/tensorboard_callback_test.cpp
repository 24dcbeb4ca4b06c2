// K::callbacks::TensorBoard: the runs and tags Keras's callback writes for the same fit()
// (checked against Keras itself in tests/serialization/interop), with values read back:
// epoch_<metric> equal to the History's, histograms of the layers' weights, batch_<metric>
// every update_freq batches.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "tapeflow/serialization/event_reader.h"
#include "tapeflow/tapeflow.h"

namespace {
namespace K = tf::keras;
namespace fs = std::filesystem;

// run -> tag -> (step, tensor) in file order.
using RunTags = std::map<std::string, std::vector<std::pair<int64_t, tf::Tensor>>>;
std::map<std::string, RunTags> read_runs(const fs::path& logdir) {
  std::map<std::string, RunTags> runs;
  for (const auto& dir : fs::directory_iterator(logdir))
    for (const auto& file : fs::directory_iterator(dir.path()))
      if (file.is_regular_file())  // not the profiler's plugins/ folder
        for (const auto& e : tf::serialization::read_events(file.path().string()))
          for (const auto& v : e.values) runs[dir.path().filename().string()][v.tag].emplace_back(e.step, v.tensor);
  return runs;
}

std::vector<int64_t> steps(const RunTags& run, const std::string& tag) {
  std::vector<int64_t> out;
  for (const auto& [s, t] : run.at(tag)) out.push_back(s);
  return out;
}

TEST(TensorBoardCallback, WritesKerasRunsAndTags) {
  const fs::path logdir = fs::temp_directory_path() / ("tapeflow_tb_" + std::to_string(getpid()));
  fs::remove_all(logdir);
  tf::random::set_seed(1);
  auto x = tf::random::normal({64, 5}, {.seed = 3});
  auto y = tf::cast(tf::argmax(x[{tf::all, tf::slice(0, 3)}], 1), tf::int32);
  K::Sequential model({K::layers::Dense(4, {.activation = "relu"}), K::layers::Dense(3, {.activation = "softmax"})});
  model.compile({.optimizer = K::optimizers::Adam({.learning_rate = 1e-3}),
                 .loss = K::losses::SparseCategoricalCrossentropy(),
                 .metrics = {"accuracy"}});
  auto history = model.fit(
      x, y,
      {.epochs = 2,
       .batch_size = 16,
       .validation_split = 0.25,
       .verbose = 0,
       .callbacks = {K::callbacks::TensorBoard({.log_dir = logdir.string(), .histogram_freq = 1, .update_freq = 2})}});
  auto runs = read_runs(logdir);
  ASSERT_EQ(runs.size(), 2u);
  const RunTags& train = runs.at("train");
  const RunTags& val = runs.at("validation");
  std::set<std::string> train_tags, val_tags;
  for (const auto& [tag, _] : train) train_tags.insert(tag);
  for (const auto& [tag, _] : val) val_tags.insert(tag);
  // Keras 3's weight paths in a Sequential model: "<model>/<layer>/<weight>".
  const std::string d0 = model.name() + "/" + model.layers()[0]->name(),
                    d1 = model.name() + "/" + model.layers()[1]->name();
  EXPECT_EQ(train_tags, (std::set<std::string>{"batch_accuracy", "batch_loss", "epoch_accuracy", "epoch_learning_rate",
                                               "epoch_loss", "keras", d0 + "/bias/histogram", d0 + "/kernel/histogram",
                                               d1 + "/bias/histogram", d1 + "/kernel/histogram"}));
  // write_graph: the model's to_json() at step 0, written when training begins.
  ASSERT_EQ(train.at("keras").size(), 1u);
  EXPECT_EQ(train.at("keras")[0].first, 0);
  const std::string json = train.at("keras")[0].second.to_vector<std::string>().at(0);
  // The config of the model as it was then (not yet built: no build_config), compiled.
  EXPECT_EQ(json.rfind("{\"module\":\"keras\",\"class_name\":\"Sequential\"", 0), 0u) << json;
  EXPECT_NE(json.find("\"compile_config\":{\"optimizer\":{\"module\":\"keras.optimizers\",\"class_name\":\"Adam\""),
            std::string::npos)
      << json;
  EXPECT_EQ(val_tags, (std::set<std::string>{"epoch_accuracy", "epoch_loss", "evaluation_accuracy_vs_iterations",
                                             "evaluation_loss_vs_iterations"}));
  EXPECT_EQ(steps(train, "epoch_loss"), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(steps(train, "batch_loss"), (std::vector<int64_t>{2, 4, 6}));  // 3 batches an epoch, every 2nd
  EXPECT_EQ(steps(val, "evaluation_loss_vs_iterations"), (std::vector<int64_t>{3, 6}));
  for (int e = 0; e < 2; ++e) {
    EXPECT_EQ(train.at("epoch_loss")[e].second.item<float>(), static_cast<float>(history.history["loss"][e]));
    EXPECT_EQ(val.at("epoch_loss")[e].second.item<float>(), static_cast<float>(history.history["val_loss"][e]));
    EXPECT_EQ(train.at("epoch_accuracy")[e].second.item<float>(), static_cast<float>(history.history["accuracy"][e]));
    EXPECT_EQ(train.at("epoch_learning_rate")[e].second.item<float>(), 1e-3f);
  }
  // The last epoch's kernel histogram covers the trained kernel: 5 * 4 values from min to max.
  const tf::Tensor kernel = model.layers()[0]->named_variables()[0].second.read_value();
  const auto rows = train.at(d0 + "/kernel/histogram").back().second.to_vector<double>();
  ASSERT_EQ(rows.size(), 90u);
  double count = 0;
  for (int i = 0; i < 30; ++i) count += rows[3 * i + 2];
  EXPECT_EQ(count, 20);
  const auto k = kernel.to_vector<float>();
  EXPECT_EQ(rows.front(), *std::min_element(k.begin(), k.end()));
  EXPECT_EQ(rows[88], *std::max_element(k.begin(), k.end()));
  fs::remove_all(logdir);
}

// write_images (Keras's _log_weight_as_image) and profile_batch (_start_trace/_stop_trace).
TEST(TensorBoardCallback, WriteImagesAndProfileBatchAsKeras) {
  const fs::path logdir = fs::temp_directory_path() / ("tapeflow_tb_img_" + std::to_string(getpid()));
  fs::remove_all(logdir);
  tf::random::set_seed(2);
  auto x = tf::random::normal({64, 4}, {.seed = 5});
  auto y = tf::cast(tf::argmax(x[{tf::all, tf::slice(0, 3)}], 1), tf::int32);
  K::Sequential model({K::layers::Dense(8, {.activation = "relu"}), K::layers::Dense(3)});
  model.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.1}),
                 .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true})});
  // 64 samples in batches of 32: 2 batches an epoch, 4 in all; batches 2 and 3 are traced.
  model.fit(x, y,
            {.epochs = 2,
             .verbose = 0,
             .callbacks = {K::callbacks::TensorBoard(
                 {.log_dir = logdir.string(), .histogram_freq = 1, .write_images = true, .profile_batch = {2, 3}})}});
  auto runs = read_runs(logdir);
  const RunTags& train = runs.at("train");
  const std::string d0 = model.name() + "/" + model.layers()[0]->name(),
                    d1 = model.name() + "/" + model.layers()[1]->name();
  // The expected images, laid out here by Keras's rule and written by tf::summary::image: a
  // kernel with more rows than columns is transposed, a bias is one column.
  const fs::path want_dir = logdir / "want";
  auto want_writer = tf::summary::create_file_writer(want_dir.string());
  const tf::Tensor k0 = model.layers()[0]->named_variables()[0].second.read_value();  // (4, 8)
  const tf::Tensor b0 = model.layers()[0]->named_variables()[1].second.read_value();  // (8,)
  const tf::Tensor k1 = model.layers()[1]->named_variables()[0].second.read_value();  // (8, 3)
  {
    auto scope = want_writer.as_default();
    tf::summary::image("k0", tf::reshape(k0, {1, 4, 8, 1}), 1);
    tf::summary::image("b0", tf::reshape(b0, {1, 8, 1, 1}), 1);
    tf::summary::image("k1", tf::reshape(tf::transpose(k1), {1, 3, 8, 1}), 1);
  }
  want_writer.close();
  std::map<std::string, std::vector<std::string>> want;
  for (const auto& file : fs::directory_iterator(want_dir))
    for (const auto& e : tf::serialization::read_events(file.path().string()))
      for (const auto& v : e.values) want[v.tag] = v.tensor.to_vector<std::string>();
  for (const auto& [tag, key] : {std::pair{d0 + "/kernel/image", "k0"}, std::pair{d0 + "/bias/image", "b0"},
                                 std::pair{d1 + "/kernel/image", "k1"}}) {
    ASSERT_TRUE(train.count(tag)) << tag;
    EXPECT_EQ(steps(train, tag), (std::vector<int64_t>{0, 1})) << tag;
    EXPECT_EQ(train.at(tag).back().second.to_vector<std::string>(), want.at(key)) << tag;
  }
  EXPECT_EQ(want.at("k1")[0], "8");  // width
  EXPECT_EQ(want.at("k1")[1], "3");  // height
  EXPECT_TRUE(train.count(d1 + "/bias/image"));
  // The trace: "batch_3" at step 3 (Keras's trace_export name), and the profiler's file.
  ASSERT_TRUE(train.count("batch_3"));
  EXPECT_EQ(steps(train, "batch_3"), (std::vector<int64_t>{3}));
  int traces = 0;
  for (const auto& e : fs::recursive_directory_iterator(logdir / "train" / "plugins" / "profile"))
    traces += e.path().string().ends_with(".trace.json.gz");
  EXPECT_EQ(traces, 1);
  EXPECT_FALSE(tf::profiler::running());
  fs::remove_all(logdir);
}

TEST(TensorBoardCallback, BadOptionsAreTypedErrors) {
  EXPECT_THROW(K::callbacks::TensorBoard({.profile_batch = -1}), tf::errors::InvalidArgumentError);
  EXPECT_THROW(K::callbacks::TensorBoard({.profile_batch = {5, 2}}), tf::errors::InvalidArgumentError);
  EXPECT_THROW(K::callbacks::TensorBoard({.profile_batch = "2,x"}), tf::errors::InvalidArgumentError);
  EXPECT_EQ(K::callbacks::ProfileBatch("4, 6").stop, 6);
  EXPECT_EQ(K::callbacks::ProfileBatch("4").start, 4);
  EXPECT_THROW(K::callbacks::TensorBoard({.update_freq = "sometimes"}), tf::errors::InvalidArgumentError);
  EXPECT_THROW(K::callbacks::TensorBoard({.update_freq = 0}), tf::errors::InvalidArgumentError);
  EXPECT_THROW(K::callbacks::TensorBoard({.histogram_freq = -1}), tf::errors::InvalidArgumentError);
}

}  // namespace
