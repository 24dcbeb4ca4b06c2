// A tape keeps alive only the recorded values its gradient rules read, and only until it no
// longer needs them: a non-persistent tape frees them when gradient() returns, any tape when it
// dies. Counted with the CPU allocator's live buffers (tf.config.experimental.get_memory_info).
#include <gtest/gtest.h>

#include "tapeflow/tapeflow.h"

namespace {

int64_t live_buffers() { return tf::config::experimental::get_memory_info("CPU:0").live_buffers; }

/// Records y = x * x, z = exp(y), loss = sum(z) and drops the caller's handles to y and z. Of
/// these the rules read x (Mul's) and z (Exp's); y is freed as soon as the caller drops it.
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
  EXPECT_EQ(live_buffers(), base + 2);  // z kept by the tape, loss by us
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
    EXPECT_EQ(live_buffers(), base + 1);          // z kept by the tape (no rule reads y or loss)
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
    EXPECT_EQ(live_buffers(), base + 2);  // z and loss: repeated gradients leave nothing behind
  }
  EXPECT_EQ(live_buffers(), base);
}

// A dense layer relu(x @ w + b): MatMul's rule reads its inputs, AddV2's nothing, Relu's its
// output. So the tape keeps the layer's output only: x @ w and the pre-activation are freed
// during the forward pass, and the gradients are still exact.
TEST(GradientTapeMemory, KeepsOnlyTheValuesGradientRulesRead) {
  tf::Variable w(tf::constant({{1.0f, -1.0f}, {2.0f, 0.5f}}));
  tf::Variable b(tf::constant({0.5f, -4.0f}));
  const tf::Tensor x = tf::constant({{1.0f, 2.0f}, {3.0f, 4.0f}});
  const int64_t base = live_buffers();
  tf::GradientTape tape;
  tf::Tensor y = tf::nn::relu(tf::matmul(x, w) + b);
  tf::Tensor loss = tf::reduce_sum(y);
  tape.stop();
  EXPECT_EQ(live_buffers(), base + 2);  // y (Relu's rule reads it) and loss, ours
  auto g = tape.gradient(loss, std::vector<tf::Variable>{w, b});
  // x @ w + b = [[5.5, -4], [11.5, -5]]: only the first column passes the relu.
  ASSERT_TRUE(g[0] && g[1]);
  EXPECT_EQ(g[0]->to_vector<float>(), (std::vector<float>{4, 0, 6, 0}));  // x^T @ [[1, 0], [1, 0]]
  EXPECT_EQ(g[1]->to_vector<float>(), (std::vector<float>{2, 0}));
}

// What the tape keeps of an unread value: its identity and metadata, no data.
TEST(GradientTapeMemory, ValueWithoutDataKeepsMetadataAndRefusesReads) {
  const tf::Tensor t = tf::constant({{1.0f}, {2.0f}, {3.0f}});
  const tf::Tensor kept = tf::detail::without_data(t);
  EXPECT_EQ(kept.id(), t.id());
  EXPECT_EQ(kept.shape(), t.shape());
  EXPECT_EQ(kept.dtype(), t.dtype());
  EXPECT_EQ(kept.device(), t.device());
  EXPECT_THROW(kept.to_vector<float>(), tf::errors::FailedPreconditionError);
  EXPECT_THROW(tf::detail::without_data(t) + t, tf::errors::FailedPreconditionError);
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
