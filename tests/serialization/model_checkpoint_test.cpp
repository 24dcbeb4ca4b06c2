// K::callbacks::ModelCheckpoint: fit() saves weights per epoch under Keras's formatted paths,
// save_best_only keeps improvements only, and load_weights restores the saved model.
#include <gtest/gtest.h>

#include "tapeflow/nn/models/model_checkpoint.h"
#include "tests/serialization/ckpt_test_util.h"

namespace {
namespace K = tf::keras;
using tapeflow::testing::expect_identical;
using tapeflow::testing::TempDir;

TEST(ModelCheckpoint, FormatsPathsAsKeras) {
  EXPECT_EQ(K::callbacks::format_checkpoint_path("ckpt/{epoch:02d}-{val_loss:.2f}", 3, {{"val_loss", 0.12345}}),
            "ckpt/03-0.12");
  EXPECT_EQ(K::callbacks::format_checkpoint_path("w{epoch}", 12, {}), "w12");
  EXPECT_THROW(K::callbacks::format_checkpoint_path("{nope}", 1, {}), tf::errors::InvalidArgumentError);
}

TEST(ModelCheckpoint, SavesEachEpochAndTheBestOnly) {
  TempDir dir;
  auto x = tf::random::normal({64, 3}, {.seed = 5});
  auto y = tf::matmul(x, tf::constant({{1.0f}, {-2.0f}, {0.5f}}));
  K::Sequential model({K::layers::Dense(8, {.activation = "relu"}), K::layers::Dense(1)});
  model.compile({.optimizer = K::optimizers::Adam({.learning_rate = 0.05}), .loss = "mse"});
  auto every = std::make_shared<K::callbacks::ModelCheckpoint>(
      K::callbacks::ModelCheckpointOptions{.filepath = dir / "every/{epoch:02d}", .save_weights_only = true});
  auto best = std::make_shared<K::callbacks::ModelCheckpoint>(K::callbacks::ModelCheckpointOptions{
      .filepath = dir / "best/w", .monitor = "loss", .save_best_only = true, .save_weights_only = true});
  auto history = model.fit(x, y, {.epochs = 3, .batch_size = 16, .verbose = 0, .callbacks = {every, best}});
  for (const char* e : {"01", "02", "03"})
    EXPECT_TRUE(std::filesystem::exists(dir / (std::string("every/") + e + ".index"))) << e;
  EXPECT_EQ(every->last_saved(), dir / "every/03");
  EXPECT_EQ(best->last_saved(), dir / "best/w");  // the loss fell, so the last epoch saved
  K::Sequential restored({K::layers::Dense(8, {.activation = "relu"}), K::layers::Dense(1)});
  restored.load_weights(dir / "every/03");
  expect_identical(restored(x), model(x));
  EXPECT_THROW(K::callbacks::ModelCheckpoint({.filepath = dir / "m"}), tf::errors::UnimplementedError);
}

}  // namespace
