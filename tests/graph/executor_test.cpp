// The executor's memory planning (Note [Buffer reuse]): intermediates share recycled buffers
// within a call and across calls, outputs never alias them, and concurrent calls stay correct.
#include <gtest/gtest.h>

#include <thread>

#include "tapeflow/graph/call_op.h"
#include "tapeflow/tapeflow.h"

namespace {

tf::Tensor chain(const tf::Tensor& x) {
  tf::Tensor r = x;
  for (int i = 0; i < 6; ++i) r = tf::sin(r) + x;
  return r;
}

TEST(ExecutorMemoryPlan, IntermediatesShareBuffersWithDisjointLifetimes) {
  // Unfused (elementwise fusion would make the chain one node without intermediates).
  auto f = tf::function(chain, {.optimizer = tf::GraphOptimizerOptions{.elementwise_fusion = false}});
  auto cf = f.get_concrete_function(tf::TensorSpec({8}, tf::float32));
  const tf::ExecutionPlan& plan = *cf.callable()->plan;
  // 6 Sin and 6 AddV2 values; the last AddV2 is returned. Each value dies at the next op, so two
  // buffers alternate.
  EXPECT_EQ(plan.num_recycled_values(), 11);
  EXPECT_EQ(plan.num_buffers(), 2);
}

TEST(ExecutorMemoryPlan, OutputsNeverAliasRecycledBuffers) {
  auto f = tf::function(chain);
  auto x1 = tf::random::uniform({8}, {.seed = 1}), x2 = tf::random::uniform({8}, {.seed = 2});
  tf::Tensor y1 = f(x1).tensor();
  const std::vector<float> want1 = chain(x1).to_vector<float>();
  EXPECT_EQ(y1.to_vector<float>(), want1);
  for (int call = 0; call < 3; ++call) {
    EXPECT_EQ(f(x2).tensor().to_vector<float>(), chain(x2).to_vector<float>());
    EXPECT_EQ(y1.to_vector<float>(), want1);  // an earlier result is not overwritten
  }
}

TEST(ExecutorMemoryPlan, ViewsAndVariableReadsAreNotRecycled) {
  tf::Variable v(tf::constant({1.0f, 2.0f, 3.0f, 4.0f}));
  auto f = tf::function([&](const tf::Tensor& x) {
    tf::Tensor e = tf::exp(x);
    tf::Tensor view = tf::reshape(e, {2, 2});  // a view of e: e's buffer must stay
    return std::vector<tf::Tensor>{view, tf::square(v.read_value()) + x};
  });
  auto x = tf::constant({0.0f, 1.0f, 2.0f, 3.0f});
  auto first = f(x).list();
  std::vector<float> view0 = first[0].tensor().to_vector<float>();
  f(x * 2.0f);
  EXPECT_EQ(first[0].tensor().to_vector<float>(), view0);
  EXPECT_EQ(f(x).list()[1].tensor().to_vector<float>(), (std::vector<float>{1.0f, 5.0f, 11.0f, 19.0f}));
  EXPECT_EQ(v.read_value().to_vector<float>(), (std::vector<float>{1.0f, 2.0f, 3.0f, 4.0f}));
}

TEST(ExecutorMemoryPlan, ConcurrentCallsGiveTheirOwnResults) {
  auto f = tf::function(chain);
  std::vector<tf::Tensor> xs;
  std::vector<std::vector<float>> want;
  for (int t = 0; t < 4; ++t) {
    xs.push_back(tf::random::uniform({8}, {.seed = 10 + t}));
    want.push_back(chain(xs.back()).to_vector<float>());
  }
  f(xs[0]);  // trace first
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i)
        wrong[static_cast<std::size_t>(t)] +=
            f(xs[static_cast<std::size_t>(t)]).tensor().to_vector<float>() != want[static_cast<std::size_t>(t)];
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, (std::vector<int>(4, 0)));
}

}  // namespace

namespace {

TEST(ExecutorShapes, ReshapeWithNoneDimensions) {
  // (None, 4) -> (-1, 2): the -1 is decided per call, and the ops after it follow.
  auto f = tf::function(
      [](const tf::Tensor& x) {
        return tf::reshape(x, {-1, 2}) * 2.0f + 1.0f;
      },
      {.input_signature = {{tf::TensorSpec({-1, 4}, tf::float32)}}});
  for (int64_t rows : {3, 1, 5}) {
    auto x = tf::reshape(tf::range(0.0f, static_cast<float>(rows * 4)), {rows, 4});
    tf::Tensor y = f(x).tensor();
    EXPECT_EQ(y.shape(), tf::Shape({rows * 2, 2}));
    EXPECT_EQ(y.to_vector<float>(), (tf::reshape(x, {rows * 2, 2}) * 2.0f + 1.0f).to_vector<float>());
  }
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
  // A flatten keeps the batch dimension as that dimension (TF's shape function).
  auto flatten = tf::function(
      [](const tf::Tensor& x) {
        return tf::reshape(x, {-1, 4});
      },
      {.input_signature = {{tf::TensorSpec({-1, 2, 2}, tf::float32)}}});
  auto cf = flatten.get_concrete_function();
  EXPECT_EQ(cf.structured_outputs()[0].shape, tf::Shape({-1, 4}));
  EXPECT_EQ(cf(tf::ones({3, 2, 2})).tensor().shape(), tf::Shape({3, 4}));
  // A static target shape is checked against the call's size, with TF's message.
  auto fixed = tf::function(
      [](const tf::Tensor& x) {
        return tf::reshape(x, {2, 4});
      },
      {.input_signature = {{tf::TensorSpec({-1, 4}, tf::float32)}}});
  EXPECT_EQ(fixed(tf::ones({2, 4})).tensor().shape(), tf::Shape({2, 4}));
  try {
    fixed(tf::ones({3, 4}));
    ADD_FAILURE() << "no error";
  } catch (const tf::errors::InvalidArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("Input to reshape is a tensor with 12 values, but the requested shape has 8"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
