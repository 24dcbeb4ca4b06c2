// K::callbacks::BackupAndRestore: a fit interrupted in its 4th epoch (an exception, or SIGKILL
// of the process running it) and run again resumes from the last backup and ends with exactly
// the weights of an uninterrupted fit; a completed fit deletes the backup.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <stdexcept>

#include "tests/serialization/ckpt_test_util.h"

namespace {
namespace K = tf::keras;
using tapeflow::testing::expect_identical;
using tapeflow::testing::TempDir;

constexpr int kEpochs = 6;

struct Data {
  tf::Tensor x, y;
  Data() {
    std::vector<double> xs, ys;
    for (int i = 0; i < 40 * 3; ++i) xs.push_back(std::sin(0.7 * i));
    for (int i = 0; i < 40; ++i) ys.push_back(std::cos(0.3 * i));
    x = tf::detail::constant_from_doubles(xs, {40, 3}, tf::float32);
    y = tf::detail::constant_from_doubles(ys, {40, 1}, tf::float32);
  }
};

// The same model (weights, optimizer, shuffle seed) in every run of a test.
K::Sequential make_model() {
  tf::random::set_seed(7);
  K::Sequential m({K::layers::Dense(6, {.activation = "tanh"}), K::layers::Dense(1)});
  m.compile({.optimizer = K::optimizers::Adam({.learning_rate = 0.02}), .loss = "mse"});
  return m;
}

std::vector<tf::Tensor> fit(K::Sequential& m, const Data& d, std::vector<K::callbacks::AnyCallback> callbacks,
                            K::callbacks::History* history = nullptr) {
  auto h = m.fit(d.x, d.y, {.epochs = kEpochs, .batch_size = 8, .verbose = 0, .callbacks = std::move(callbacks)});
  if (history) *history = h;
  return m.get_weights();
}

std::vector<tf::Tensor> uninterrupted(const Data& d) {
  auto m = make_model();
  return fit(m, d, {});
}

// Throws (or kills the process) at the second batch of epoch 3 (0-based), after 3 backups.
K::callbacks::LambdaCallback interrupt_in_epoch_3(bool sigkill) {
  auto epoch = std::make_shared<int>(-1);
  return K::callbacks::LambdaCallback({.on_epoch_begin = [epoch](int e, const auto&) { *epoch = e; },
                                       .on_batch_end =
                                           [epoch, sigkill](int batch, const auto&) {
                                             if (*epoch != 3 || batch != 1) return;
                                             if (sigkill) ::raise(SIGKILL);
                                             throw std::runtime_error("interrupted");
                                           }});
}

void expect_resumed_equals(const Data& d, const std::string& backup, const std::vector<tf::Tensor>& want) {
  auto m = make_model();  // a fresh process would build the model again from scratch
  K::callbacks::History history;
  auto got = fit(m, d, {K::callbacks::BackupAndRestore({.backup_dir = backup})}, &history);
  EXPECT_EQ(history.epoch, (std::vector<int>{3, 4, 5}));  // resumed after the 3 backed-up epochs
  EXPECT_EQ(m.optimizer().iterations(), kEpochs * 5);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) expect_identical(got[i], want[i]);
  EXPECT_FALSE(std::filesystem::exists(backup)) << "a completed fit deletes its backup";
}

TEST(BackupAndRestore, ResumesAfterAnExceptionBitForBit) {
  TempDir dir;
  const Data d;
  const auto want = uninterrupted(d);
  {
    auto m = make_model();
    EXPECT_THROW(
        fit(m, d, {K::callbacks::BackupAndRestore({.backup_dir = dir / "backup"}), interrupt_in_epoch_3(false)}),
        std::runtime_error);
  }
  EXPECT_FALSE(tf::train::latest_checkpoint(dir / "backup").empty()) << "the interrupted fit left its backup";
  expect_resumed_equals(d, dir / "backup", want);
}

TEST(BackupAndRestore, ResumesAfterSigkillBitForBit) {
  TempDir dir;
  const Data d;
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      auto m = make_model();
      fit(m, d, {K::callbacks::BackupAndRestore({.backup_dir = dir / "backup"}), interrupt_in_epoch_3(true)});
    } catch (...) {}
    ::_exit(3);  // not killed: the parent's check fails
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  expect_resumed_equals(d, dir / "backup", uninterrupted(d));
}

TEST(BackupAndRestore, RejectsBadOptions) {
  EXPECT_THROW(K::callbacks::BackupAndRestore({.backup_dir = ""}), tf::errors::InvalidArgumentError);
  EXPECT_THROW(K::callbacks::BackupAndRestore({.backup_dir = "b", .save_freq = "batch"}),
               tf::errors::InvalidArgumentError);
}

}  // namespace
