// tf::train::Checkpoint, load_checkpoint, list_variables, latest_checkpoint and
// CheckpointManager: values round-trip for every dtype, keys and state files are TF's, restore
// matches objects by name, defers into unbuilt Keras models, and resumes training bit for bit.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/core/test_util.h"
#include "tests/serialization/ckpt_test_util.h"

namespace {
namespace K = tf::keras;
using tapeflow::testing::AllDTypes;
using tapeflow::testing::expect_error;
using tapeflow::testing::expect_identical;
using tapeflow::testing::TempDir;

struct Dense : tf::Module {
  tf::Variable w, b;
  Dense(int in, int out, float scale)
      : tf::Module("dense"),
        w(track("w", tf::Variable(tf::fill({in, out}, scale)))),
        b(track("b", tf::Variable(tf::fill({out}, -scale)))) {}
  tf::Tensor operator()(const tf::Tensor& x) { return tf::matmul(x, w) + b; }
};

struct Net : tf::Module {
  Dense d1, d2;
  explicit Net(float s)
      : tf::Module("net"), d1(track("dense_1", Dense(2, 3, s))), d2(track("dense_2", Dense(3, 1, 2 * s))) {}
};

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(Checkpoint, WriteListsTheKeysTensorFlowWrites) {
  TempDir dir;
  Net net(1.0f);
  tf::train::Checkpoint ckpt({{"model", net}});
  EXPECT_EQ(ckpt.write(dir / "my_checkpoint"), dir / "my_checkpoint");
  EXPECT_TRUE(std::filesystem::exists(dir / "my_checkpoint.index"));
  EXPECT_TRUE(std::filesystem::exists(dir / "my_checkpoint.data-00000-of-00001"));
  auto vars = tf::train::list_variables(dir / "my_checkpoint");
  ASSERT_EQ(vars.size(), 5u);
  EXPECT_EQ(vars[0].first, "_CHECKPOINTABLE_OBJECT_GRAPH");
  EXPECT_EQ(vars[0].second, tf::Shape{});
  EXPECT_EQ(vars[1].first, "model/dense_1/b/.ATTRIBUTES/VARIABLE_VALUE");
  EXPECT_EQ(vars[1].second, tf::Shape{3});
  EXPECT_EQ(vars[2].first, "model/dense_1/w/.ATTRIBUTES/VARIABLE_VALUE");
  EXPECT_EQ(vars[2].second, (tf::Shape{2, 3}));
  EXPECT_EQ(vars[3].first, "model/dense_2/b/.ATTRIBUTES/VARIABLE_VALUE");
  EXPECT_EQ(vars[4].first, "model/dense_2/w/.ATTRIBUTES/VARIABLE_VALUE");
  EXPECT_EQ(vars[4].second, (tf::Shape{3, 1}));
}

TEST(Checkpoint, EveryDTypeRoundTripsBitForBit) {
  TempDir dir;
  AllDTypes m;
  tf::train::Checkpoint({{"m", m}}).write(dir / "all");
  auto reader = tf::train::load_checkpoint(dir / "all");
  auto dtypes = reader.get_variable_to_dtype_map();
  for (const auto& [path, v] : m.named_variables()) {
    const std::string key = "m/" + path.substr(path.find('/') + 1) + "/.ATTRIBUTES/VARIABLE_VALUE";
    SCOPED_TRACE(key);
    ASSERT_TRUE(reader.has_tensor(key));
    expect_identical(reader.get_tensor(key), v.read_value());
    EXPECT_EQ(dtypes.at(key), tf::dtype_name(v.dtype()));
  }
  // And back into variables holding other values.
  AllDTypes fresh;
  for (auto& v : fresh.vars) v.assign(v.dtype() == tf::string ? v.read_value() : tf::zeros_like(v.read_value()));
  tf::train::Checkpoint({{"m", fresh}}).restore(dir / "all").assert_consumed();
  for (std::size_t i = 0; i < m.vars.size(); ++i) expect_identical(fresh.vars[i].read_value(), m.vars[i].read_value());
}

TEST(Checkpoint, SaveNumbersPrefixesAndWritesTheStateFileLast) {
  TempDir dir;
  Net net(1.0f);
  tf::train::Checkpoint ckpt({{"model", net}});
  EXPECT_EQ(tf::train::latest_checkpoint(dir.path.string()), "");
  EXPECT_EQ(ckpt.save(dir / "model.ckpt"), dir / "model.ckpt-1");
  EXPECT_EQ(ckpt.save(dir / "model.ckpt"), dir / "model.ckpt-2");
  EXPECT_EQ(ckpt.save_counter().item<int64_t>(), 2);
  EXPECT_EQ(read(dir / "checkpoint"),
            "model_checkpoint_path: \"model.ckpt-2\"\nall_model_checkpoint_paths: \"model.ckpt-2\"\n");
  EXPECT_EQ(tf::train::latest_checkpoint(dir.path.string()), dir / "model.ckpt-2");
  auto vars = tf::train::list_variables(dir / "model.ckpt-2");
  EXPECT_EQ(vars.back().first, "save_counter/.ATTRIBUTES/VARIABLE_VALUE");
  EXPECT_EQ(tf::train::load_checkpoint(dir / "model.ckpt-2").get_tensor(vars.back().first).item<int64_t>(), 2);
  // A directory reads as its latest checkpoint.
  EXPECT_EQ(tf::train::list_variables(dir.path.string()).size(), vars.size());
}

TEST(Checkpoint, RestoreMatchesByNameAndAssertsConsumed) {
  TempDir dir;
  Net saved(1.0f);
  tf::train::Checkpoint({{"model", saved}}).save(dir / "ckpt");
  Net fresh(5.0f);
  tf::train::Checkpoint ckpt({{"model", fresh}});
  auto status = ckpt.restore(tf::train::latest_checkpoint(dir.path.string()));
  status.assert_consumed().assert_existing_objects_matched().assert_nontrivial_match();
  EXPECT_EQ(fresh.d1.w.to_vector<float>(), std::vector<float>(6, 1.0f));
  EXPECT_EQ(fresh.d2.b.to_vector<float>(), std::vector<float>(1, -2.0f));
  EXPECT_EQ(ckpt.save_counter().item<int64_t>(), 1);  // restored, so the next save is ckpt-2
  EXPECT_EQ(ckpt.save(dir / "ckpt"), dir / "ckpt-2");
}

TEST(Checkpoint, PartialMatchesAreReportedByTheAssertions) {
  TempDir dir;
  Net net(1.0f);
  tf::train::Checkpoint({{"model", net}}).write(dir / "w");
  Dense only(2, 3, 0.0f);  // restores model/dense_1 into a lone Dense under the same path
  struct Holder : tf::Module {
    Dense d;
    explicit Holder(Dense x) : tf::Module("holder"), d(track("dense_1", x)) {}
  } holder(only);
  auto status = tf::train::Checkpoint({{"model", holder}}).restore(dir / "w");
  status.assert_existing_objects_matched().expect_partial();
  EXPECT_THROW(status.assert_consumed(), tf::AssertionError);
  EXPECT_EQ(only.w.to_vector<float>(), std::vector<float>(6, 1.0f));
  // An extra live variable is what assert_existing_objects_matched reports.
  Net bigger(0.0f);
  tf::Variable extra(tf::constant(1.0f));
  auto s2 = tf::train::Checkpoint({{"model", bigger}, {"extra", extra}}).restore(dir / "w");
  EXPECT_THROW(s2.assert_existing_objects_matched(), tf::AssertionError);
  // No path: nothing restored, and the assertions say so.
  auto none = tf::train::Checkpoint({{"model", net}}).restore("");
  EXPECT_THROW(none.assert_consumed(), tf::AssertionError);
}

TEST(Checkpoint, ShapeAndDTypeMismatchesNameTheKey) {
  TempDir dir;
  Net net(1.0f);
  tf::train::Checkpoint({{"model", net}}).write(dir / "w");
  struct Wrong : tf::Module {
    tf::Variable w;
    Wrong(tf::Tensor init) : tf::Module("wrong"), w(track("w", tf::Variable(init))) {}
  };
  struct Outer : tf::Module {
    Wrong d;
    explicit Outer(Wrong x) : tf::Module("outer"), d(track("dense_1", x)) {}
  };
  Outer shape_mismatch(Wrong(tf::zeros({4, 3})));
  expect_error<tf::errors::InvalidArgumentError>(
      [&] {
        tf::train::Checkpoint({{"model", shape_mismatch}}).restore(dir / "w");
      },
      {"Received incompatible tensor with shape (2, 3)", "variable with shape (4, 3)",
       "model/dense_1/w/.ATTRIBUTES/VARIABLE_VALUE"});
  Outer dtype_mismatch(Wrong(tf::zeros({2, 3}, tf::float64)));
  expect_error<tf::errors::InvalidArgumentError>(
      [&] {
        tf::train::Checkpoint({{"model", dtype_mismatch}}).restore(dir / "w");
      },
      {"dtype float32", "dtype float64", "model/dense_1/w/.ATTRIBUTES/VARIABLE_VALUE"});
  EXPECT_THROW(tf::train::load_checkpoint(dir / "missing"), tf::errors::NotFoundError);
  EXPECT_THROW(tf::train::load_checkpoint(dir / "w").get_tensor("nope"), tf::errors::NotFoundError);
}

K::Sequential small_model() {
  return K::Sequential({K::layers::Dense(4, {.activation = "relu"}), K::layers::Dense(2)});
}

TEST(Checkpoint, KerasSequentialUsesKeras3KeysAndRestoresDeferred) {
  TempDir dir;
  K::backend::clear_session();
  auto model = small_model();
  auto x = tf::random::normal({5, 3}, {.seed = 1});
  auto y = model(x);
  tf::train::Checkpoint({{"model", model}}).write(dir / "seq");
  std::vector<std::string> keys;
  for (auto& [k, s] : tf::train::list_variables(dir / "seq")) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"_CHECKPOINTABLE_OBJECT_GRAPH",
                                            "model/_functional/_operations/1/_kernel/.ATTRIBUTES/VARIABLE_VALUE",
                                            "model/_functional/_operations/1/bias/.ATTRIBUTES/VARIABLE_VALUE",
                                            "model/_functional/_operations/2/_kernel/.ATTRIBUTES/VARIABLE_VALUE",
                                            "model/_functional/_operations/2/bias/.ATTRIBUTES/VARIABLE_VALUE"}));
  // Restore into a model that has not built its weights yet: applied when they are created.
  auto fresh = small_model();
  auto status = tf::train::Checkpoint({{"model", fresh}}).restore(dir / "seq");
  EXPECT_EQ(status.pending_keys().size(), 4u);
  EXPECT_THROW(status.assert_consumed(), tf::AssertionError);
  status.assert_existing_objects_matched();
  auto y2 = fresh(x);
  EXPECT_TRUE(status.pending_keys().empty());
  status.assert_consumed();
  expect_identical(y2, y);
}

TEST(Checkpoint, SaveWeightsAndLoadWeights) {
  TempDir dir;
  auto model = small_model();
  auto x = tf::random::normal({4, 3}, {.seed = 2});
  auto y = model(x);
  model.save_weights(dir / "weights");
  EXPECT_EQ(tf::train::list_variables(dir / "weights")[1].first,
            "_functional/_operations/1/_kernel/.ATTRIBUTES/VARIABLE_VALUE");
  auto other = small_model();
  other(x);  // built: restored at once
  other.load_weights(dir / "weights");
  expect_identical(other(x), y);
  auto unbuilt = small_model();
  unbuilt.load_weights(dir / "weights");
  expect_identical(unbuilt(x), y);
}

// One training step of a custom loop (the seed's).
void train_steps(K::Sequential& model, K::optimizers::Adam& opt, const tf::Tensor& x, const tf::Tensor& y, int n) {
  for (int i = 0; i < n; ++i) {
    tf::GradientTape tape;
    auto loss = tf::reduce_mean(tf::square(model(x) - y));
    tape.stop();
    auto vars = model.trainable_variables();
    opt.apply_gradients(tape.gradient(loss, vars), vars);
  }
}

TEST(Checkpoint, OptimizerStateResumesBitForBit) {
  TempDir dir;
  auto x = tf::random::normal({8, 3}, {.seed = 3});
  auto y = tf::random::normal({8, 2}, {.seed = 4});
  auto model = small_model();
  K::optimizers::Adam opt({.learning_rate = 0.01});
  model(x);
  const auto initial = model.get_weights();
  train_steps(model, opt, x, y, 3);
  tf::train::Checkpoint ckpt({{"model", model}, {"optimizer", opt}});
  const std::string path = ckpt.save(dir / "ckpt");
  std::vector<std::string> keys;
  for (auto& [k, s] : tf::train::list_variables(path)) keys.push_back(k);
  // Keras 3's layout: the optimizer's list of variables, its iterations and learning rate; the
  // model's weights reached first through the optimizer's _trainable_variables.
  EXPECT_NE(std::find(keys.begin(), keys.end(), "optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "optimizer/_learning_rate/.ATTRIBUTES/VARIABLE_VALUE"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "optimizer/_trainable_variables/0/.ATTRIBUTES/VARIABLE_VALUE"),
            keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "optimizer/_variables/9/.ATTRIBUTES/VARIABLE_VALUE"), keys.end());
  EXPECT_EQ(std::find(keys.begin(), keys.end(), "optimizer/_variables/10/.ATTRIBUTES/VARIABLE_VALUE"), keys.end());
  train_steps(model, opt, x, y, 4);
  const auto uninterrupted = model.get_weights();

  // A new process: fresh model and optimizer (slots not created yet), restored, 4 more steps.
  auto model2 = small_model();
  model2(x);
  model2.set_weights(initial);  // any values: the checkpoint overwrites them
  K::optimizers::Adam opt2({.learning_rate = 0.01});
  auto status = tf::train::Checkpoint({{"model", model2}, {"optimizer", opt2}}).restore(path);
  EXPECT_EQ(opt2.iterations(), 3);
  train_steps(model2, opt2, x, y, 4);
  status.assert_consumed();
  EXPECT_EQ(opt2.iterations(), 7);
  const auto resumed = model2.get_weights();
  ASSERT_EQ(resumed.size(), uninterrupted.size());
  for (std::size_t i = 0; i < resumed.size(); ++i) expect_identical(resumed[i], uninterrupted[i]);
}

// Every form of API.md and issue 14: objects by value, a compiled model's optimizer by
// reference (shared with the model, so the checkpoint sees the optimizer fit updates), a variable.
TEST(Checkpoint, ConstructorFormsOfTheApi) {
  TempDir dir;
  auto x = tf::random::normal({8, 3}, {.seed = 3});
  auto y = tf::random::normal({8, 2}, {.seed = 4});
  auto model = small_model();
  model.compile({.optimizer = K::optimizers::Adam({.learning_rate = 0.01}), .loss = "mse"});
  tf::Variable step_var(tf::constant(int64_t{0}));
  tf::train::Checkpoint ckpt({{"model", model}, {"optimizer", model.optimizer()}, {"step", step_var}});
  model.fit(x, y, {.epochs = 2, .batch_size = 4, .verbose = 0});
  step_var.assign(tf::constant(int64_t{2}));
  const std::string path = ckpt.save(dir / "save/model.ckpt");
  EXPECT_EQ(tf::train::latest_checkpoint(dir / "save"), path);

  auto model2 = small_model();
  model2.compile({.optimizer = K::optimizers::Adam({.learning_rate = 0.01}), .loss = "mse"});
  tf::Variable step2(tf::constant(int64_t{0}));
  tf::train::Checkpoint ckpt2({{"model", model2}, {"optimizer", model2.optimizer()}, {"step", step2}});
  ckpt2.restore(tf::train::latest_checkpoint(dir / "save")).assert_existing_objects_matched();
  EXPECT_EQ(model2.optimizer().iterations(), 4);
  EXPECT_EQ(step2.item<int64_t>(), 2);
  model2(x);  // builds the layers: their deferred values arrive
  const auto w = model.get_weights(), w2 = model2.get_weights();
  ASSERT_EQ(w2.size(), w.size());
  for (std::size_t i = 0; i < w.size(); ++i) expect_identical(w2[i], w[i]);
  model.fit(x, y, {.epochs = 1, .batch_size = 4, .shuffle = false, .verbose = 0});
  model2.fit(x, y, {.epochs = 1, .batch_size = 4, .shuffle = false, .verbose = 0});  // slots restored when created
  for (std::size_t i = 0; i < w.size(); ++i) expect_identical(model2.get_weights()[i], model.get_weights()[i]);
}

TEST(CheckpointManager, KeepsMaxToKeepAndRecordsTimestamps) {
  TempDir dir;
  Net net(1.0f);
  tf::train::Checkpoint ckpt({{"model", net}});
  tf::train::CheckpointManager mgr(ckpt, dir / "managed", {.max_to_keep = 2});
  EXPECT_EQ(mgr.restore_or_initialize(), "");
  for (int i = 1; i <= 4; ++i) {
    net.d1.b.assign(tf::fill({3}, float(i)));
    EXPECT_EQ(mgr.save(), dir / ("managed/ckpt-" + std::to_string(i)));
  }
  EXPECT_EQ(mgr.checkpoints(), (std::vector<std::string>{dir / "managed/ckpt-3", dir / "managed/ckpt-4"}));
  EXPECT_FALSE(std::filesystem::exists(dir / "managed/ckpt-2.index"));
  EXPECT_FALSE(std::filesystem::exists(dir / "managed/ckpt-1.data-00000-of-00001"));
  EXPECT_TRUE(std::filesystem::exists(dir / "managed/ckpt-3.index"));
  auto state = tf::train::get_checkpoint_state(dir / "managed");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->all_model_checkpoint_timestamps.size(), 2u);
  EXPECT_GT(state->all_model_checkpoint_timestamps[1], 1.7e9);
  // A second manager picks up the list; restore_or_initialize restores the latest.
  Net other(0.0f);
  tf::train::Checkpoint ckpt2({{"model", other}});
  tf::train::CheckpointManager mgr2(ckpt2, dir / "managed", {.max_to_keep = 2});
  EXPECT_EQ(mgr2.checkpoints().size(), 2u);
  EXPECT_EQ(mgr2.restore_or_initialize(), dir / "managed/ckpt-4");
  EXPECT_EQ(other.d1.b.to_vector<float>(), std::vector<float>(3, 4.0f));
  EXPECT_EQ(mgr2.save(), dir / "managed/ckpt-5");
}

TEST(CheckpointManager, CheckpointIntervalFollowsTheStepCounter) {
  TempDir dir;
  tf::Variable step(tf::constant(int64_t{0}));
  tf::train::Checkpoint ckpt({{"step", step}});
  bool initialized = false;
  tf::train::CheckpointManager mgr(
      ckpt, dir.path.string(),
      {.max_to_keep = 10, .checkpoint_interval = 100, .step_counter = step, .init_fn = [&] { initialized = true; }});
  EXPECT_EQ(mgr.restore_or_initialize(), "");
  EXPECT_TRUE(initialized);
  std::vector<std::string> saved;
  for (int64_t s = 0; s <= 350; s += 50) {
    step.assign(tf::constant(s));
    if (auto p = mgr.save(); !p.empty()) saved.push_back(p);
  }
  EXPECT_EQ(saved.size(), 4u);  // steps 0, 100, 200, 300
  EXPECT_EQ(tf::train::load_checkpoint(saved.back()).get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE").item<int64_t>(),
            300);
  EXPECT_THROW(tf::train::CheckpointManager(ckpt, dir.path.string(), {.checkpoint_interval = 5}),
               tf::errors::InvalidArgumentError);
}

}  // namespace

namespace {
std::vector<std::string> keys_of(const std::string& prefix) {
  std::vector<std::string> out;
  for (auto& [k, s] : tf::train::list_variables(prefix)) out.push_back(k);
  return out;
}

TEST(Checkpoint, FunctionalAndLayerKeysAreKeras3s) {
  TempDir dir;
  auto inputs = K::Input({4});
  auto h = K::layers::BatchNormalization()(inputs);
  K::Model model(inputs, K::layers::Dense(2)(h));
  tf::train::Checkpoint({{"model", model}}).write(dir / "f");
  // What TF 2.21 + Keras 3.15 list for the same functional model (probed with the real TF).
  EXPECT_EQ(
      keys_of(dir / "f"),
      (std::vector<std::string>{"_CHECKPOINTABLE_OBJECT_GRAPH", "model/_operations/1/beta/.ATTRIBUTES/VARIABLE_VALUE",
                                "model/_operations/1/gamma/.ATTRIBUTES/VARIABLE_VALUE",
                                "model/_operations/1/moving_mean/.ATTRIBUTES/VARIABLE_VALUE",
                                "model/_operations/1/moving_variance/.ATTRIBUTES/VARIABLE_VALUE",
                                "model/_operations/2/_kernel/.ATTRIBUTES/VARIABLE_VALUE",
                                "model/_operations/2/bias/.ATTRIBUTES/VARIABLE_VALUE"}));
  K::layers::Embedding emb(5, 2);
  emb(tf::constant({{1, 2}}));
  K::layers::Conv2D conv(2, 3);
  conv(tf::zeros({1, 5, 5, 1}));
  tf::train::Checkpoint({{"e", emb}, {"c", conv}}).write(dir / "l");
  EXPECT_EQ(keys_of(dir / "l"), (std::vector<std::string>{
                                    "_CHECKPOINTABLE_OBJECT_GRAPH", "c/_kernel/.ATTRIBUTES/VARIABLE_VALUE",
                                    "c/bias/.ATTRIBUTES/VARIABLE_VALUE", "e/_embeddings/.ATTRIBUTES/VARIABLE_VALUE"}));
}
}  // namespace

namespace {
TEST(CheckpointManager, KeepCheckpointEveryNHoursPreservesSweptCheckpoints) {
  TempDir dir;
  tf::Variable v(tf::constant(1.0f));
  tf::train::Checkpoint ckpt({{"v", v}});
  // A tiny period: every checkpoint swept out of the list is older than the last preserved one
  // by more than the period, so it stays on disk (no longer managed).
  tf::train::CheckpointManager keep(ckpt, dir / "keep", {.max_to_keep = 1, .keep_checkpoint_every_n_hours = 1e-12});
  for (int i = 0; i < 3; ++i) {
    keep.save();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(keep.checkpoints(), std::vector<std::string>{dir / "keep/ckpt-3"});
  EXPECT_TRUE(std::filesystem::exists(dir / "keep/ckpt-1.index"));
  EXPECT_TRUE(std::filesystem::exists(dir / "keep/ckpt-2.index"));
  EXPECT_GT(tf::train::get_checkpoint_state(dir / "keep")->last_preserved_timestamp, 1.7e9);
  // A long period: swept checkpoints are deleted.
  tf::train::Checkpoint ckpt2({{"v", v}});
  tf::train::CheckpointManager drop(ckpt2, dir / "drop", {.max_to_keep = 1, .keep_checkpoint_every_n_hours = 1e6});
  drop.save();
  drop.save();
  EXPECT_FALSE(std::filesystem::exists(dir / "drop/ckpt-1.index"));
  EXPECT_TRUE(std::filesystem::exists(dir / "drop/ckpt-2.index"));
}
}  // namespace
