// Never lose a checkpoint: a child process saves in a loop through a CheckpointManager and is
// killed with SIGKILL at random moments; after every kill the directory's latest checkpoint
// restores completely, with the values of one consistent save.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "tests/serialization/ckpt_test_util.h"

namespace {
using tapeflow::testing::TempDir;

struct State : tf::Module {
  tf::Variable a, b, step;
  State()
      : tf::Module("state"),
        a(track("a", tf::Variable(tf::zeros({256, 64})))),
        b(track("b", tf::Variable(tf::zeros({1000}, tf::int64)))),
        step(track("step", tf::Variable(tf::constant(int64_t{0})))) {}
};

[[noreturn]] void saver_child(const std::string& dir) {
  State s;
  tf::train::Checkpoint ckpt({{"state", s}});
  tf::train::CheckpointManager mgr(ckpt, dir, {.max_to_keep = 2});
  int64_t i = 0;
  if (auto latest = mgr.restore_or_initialize(); !latest.empty()) i = s.step.item<int64_t>();
  for (;;) {
    ++i;  // every variable holds i: a restore mixing two saves would show two values
    s.a.assign(tf::fill({256, 64}, double(i)));
    s.b.assign(tf::fill({1000}, i, tf::int64));
    s.step.assign(tf::constant(i));
    mgr.save();
  }
}

TEST(CheckpointKill, LatestCheckpointSurvivesSigkillAtAnyMoment) {
  TempDir dir;
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> delay_us(0, 20000);
  int64_t last_step = 0;
  int restored = 0;
  const int kRounds = 200;  // issue 14: 200 kills at random moments
  for (int round = 0; round < kRounds; ++round) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        saver_child(dir.path.string());
      } catch (...) { ::_exit(3); }
    }
    if (round == 0) {  // let the first save complete, so that every later round must find one
      for (int i = 0; i < 1000 && tf::train::latest_checkpoint(dir.path.string()).empty(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the saver exited by itself (status " << status << ")";
    const std::string latest = tf::train::latest_checkpoint(dir.path.string());
    if (latest.empty()) {  // killed before its first save completed
      EXPECT_EQ(last_step, 0) << "round " << round << ": the latest checkpoint disappeared";
      continue;
    }
    State s;
    tf::train::Checkpoint({{"state", s}}).restore(latest).assert_consumed();
    const int64_t i = s.step.item<int64_t>();
    EXPECT_GE(i, last_step) << "the latest checkpoint went back in time";
    last_step = i;
    for (float v : s.a.to_vector<float>()) ASSERT_EQ(v, float(i));
    for (int64_t v : s.b.to_vector<int64_t>()) ASSERT_EQ(v, i);
    ++restored;
  }
  EXPECT_EQ(restored, kRounds);
  EXPECT_GT(last_step, 0);
}

}  // namespace
