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
      {.batch_size = 16,
       .epochs = 2,
       .verbose = 0,
       .callbacks = {K::callbacks::TensorBoard({.log_dir = logdir.string(), .histogram_freq = 1, .update_freq = 2})},
       .validation_split = 0.25});
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
                                               "epoch_loss", d0 + "/bias/histogram", d0 + "/kernel/histogram",
                                               d1 + "/bias/histogram", d1 + "/kernel/histogram"}));
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

TEST(TensorBoardCallback, BadOptionsAreTypedErrors) {
  EXPECT_THROW(K::callbacks::TensorBoard({.update_freq = "sometimes"}), tf::errors::InvalidArgumentError);
  EXPECT_THROW(K::callbacks::TensorBoard({.update_freq = 0}), tf::errors::InvalidArgumentError);
  EXPECT_THROW(K::callbacks::TensorBoard({.histogram_freq = -1}), tf::errors::InvalidArgumentError);
}

}  // namespace
