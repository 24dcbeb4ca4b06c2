// A tape keeps the tensors it recorded alive until it no longer needs them: a non-persistent
// tape frees them when gradient() returns, any tape when it dies. Counted with the CPU
// allocator's live buffers (tf.config.experimental.get_memory_info).
#include <gtest/gtest.h>

#include "tapeflow/tapeflow.h"

namespace {

int64_t live_buffers() { return tf::config::experimental::get_memory_info("CPU:0").live_buffers; }

/// Records y = x * x, z = exp(y), loss = sum(z) and drops the caller's handles to y and z.
tf::Tensor record_chain(const tf::Variable& x) {
  auto y = x * x;
  auto z = tf::exp(y);
  return tf::reduce_sum(z);
}

TEST(GradientTapeMemory, NonPersistentTapeFreesWhenGradientReturns) {
  tf::Variable x(tf::constant({1.0f, 2.0f, 3.0f}));
  const int64_t base = live_buffers();
  tf::GradientTape tape;
  tf::Tensor loss = record_chain(x);
  tape.stop();
  EXPECT_EQ(live_buffers(), base + 3);  // y and z kept by the tape, loss by us
  {
    auto g = tape.gradient(loss, x);
    ASSERT_TRUE(g);
  }
  EXPECT_EQ(live_buffers(), base + 1);  // only loss is left
  loss = tf::Tensor();
  EXPECT_EQ(live_buffers(), base);
}

TEST(GradientTapeMemory, TapeFreesWhenItDies) {
  tf::Variable x(tf::constant({1.0f, 2.0f, 3.0f}));
  const int64_t base = live_buffers();
  {
    tf::GradientTape tape({.persistent = true});
    record_chain(x);
    tape.stop();
    EXPECT_EQ(live_buffers(), base + 3);  // y, z and loss all kept by the tape
    auto g1 = tape.gradient(record_chain(x), x);  // recorded while stopped: not on the tape
    EXPECT_FALSE(g1);
  }
  EXPECT_EQ(live_buffers(), base);
}

TEST(GradientTapeMemory, PersistentTapeKeepsUntilDestroyed) {
  tf::Variable x(tf::constant({1.0f, 2.0f, 3.0f}));
  const int64_t base = live_buffers();
  {
    tf::GradientTape tape({.persistent = true});
    tf::Tensor loss = record_chain(x);
    tape.stop();
    for (int i = 0; i < 3; ++i) {
      auto g = tape.gradient(loss, x);
      ASSERT_TRUE(g);
    }
    EXPECT_EQ(live_buffers(), base + 3);  // repeated gradients leave nothing behind
  }
  EXPECT_EQ(live_buffers(), base);
}

TEST(GradientTapeMemory, TrainingLoopDoesNotGrow) {
  tf::Variable w(tf::constant({0.5f, -0.5f}));
  auto x = tf::constant({1.0f, 2.0f});
  auto step = [&] {
    tf::GradientTape tape;
    auto loss = tf::reduce_sum(tf::square(w * x - 1.0f));
    tape.stop();
    w.assign_sub(*tape.gradient(loss, w) * 0.1f);
  };
  step();
  const int64_t base = live_buffers();
  for (int i = 0; i < 20; ++i) step();
  EXPECT_EQ(live_buffers(), base);
}

}  // namespace
