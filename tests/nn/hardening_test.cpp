// Regression tests of issue 12 in Keras: a subclassed model that calls a layer it does not track
// raises (its weights would silently stay untrained), apply_gradients without any gradient raises
// Keras's "No gradients provided for any variable.", and training is thread safe: eight threads
// each training their own MLP give bitwise the results of one thread.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "tests/core/test_util.h"

namespace {
namespace K = tf::keras;

// The defect: a layer held as a plain member, never passed to track_layer.
struct UntrackedModel : K::Model {
  K::layers::Dense hidden{8}, out{1};
  UntrackedModel() : K::Model("untracked_model") {}
  tf::Tensor call(const tf::Tensor& x, bool training) override { return out(hidden(x, training), training); }
};

struct TrackedModel : K::Model {
  K::layers::Dense hidden, out;
  K::layers::Activation relu{"relu"};  // weightless: tracking it or not changes nothing
  TrackedModel()
      : K::Model("tracked_model"), hidden(track_layer(K::layers::Dense(8))), out(track_layer(K::layers::Dense(1))) {}
  tf::Tensor call(const tf::Tensor& x, bool training) override { return out(relu(hidden(x, training)), training); }
};

TEST(KerasHardening, CallingAnUntrackedLayerRaisesNamingTrackLayer) {
  UntrackedModel model;
  auto x = tf::ones({2, 3});
  EXPECT_TF_ERROR(model(x), tf::errors::InvalidArgumentError, "is not tracked by it");
  EXPECT_TF_ERROR(model(x), tf::errors::InvalidArgumentError, "track_layer(");
  EXPECT_TRUE(model.trainable_variables().empty());  // what made training silently do nothing

  TrackedModel ok;
  auto y = ok(x);
  EXPECT_EQ(y.shape(), (tf::Shape{2, 1}));
  EXPECT_EQ(ok.trainable_variables().size(), 4u);
}

TEST(KerasHardening, ApplyGradientsWithNoGradientRaisesAsKeras) {
  tf::Variable w(tf::constant({1.f, 2.f}), {.name = "w"});
  tf::Variable b(tf::constant(0.f), {.name = "b"});
  K::optimizers::Adam adam;
  std::vector<tf::Variable> vars{w, b};
  EXPECT_TF_ERROR(adam.apply_gradients({std::nullopt, std::nullopt}, vars), tf::errors::InvalidArgumentError,
                  "No gradients provided for any variable.");
  EXPECT_TF_ERROR(adam.apply_gradients({std::nullopt, std::nullopt}, vars), tf::errors::InvalidArgumentError,
                  "w:0, b:0");
  EXPECT_EQ(adam.iterations(), 0);  // nothing was stepped
  EXPECT_EQ(w.read_value().to_vector<float>(), (std::vector<float>{1.f, 2.f}));
  // A loss computed outside the tape gives no gradient at all: the same error, not a silent no-op.
  auto loss = tf::reduce_sum(w * w);
  tf::GradientTape tape;
  tape.stop();
  EXPECT_TF_ERROR(adam.apply_gradients(tape.gradient(loss, std::vector<tf::Variable>{w}), std::vector<tf::Variable>{w}),
                  tf::errors::InvalidArgumentError, "No gradients provided for any variable.");
  // One missing gradient of two still steps the other variable.
  adam.apply_gradients({tf::constant({1.f, 1.f}), std::nullopt}, vars);
  EXPECT_EQ(adam.iterations(), 1);
}

// ---- thread safety -------------------------------------------------------------------------
// A deterministic value in [-0.5, 0.5) per (seed, index): weights and data made without the
// library's random ops, whose per-seed streams are process state shared by the threads.
float pseudo(int seed, int64_t i) {
  const double v = std::sin(12.9898 * static_cast<double>(i + 1) + 78.233 * static_cast<double>(seed + 1)) * 43758.5453;
  return static_cast<float>(v - std::floor(v)) - 0.5f;
}
tf::Tensor pseudo_tensor(int seed, const tf::Shape& shape) {
  std::vector<float> v(static_cast<std::size_t>(shape.num_elements()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = pseudo(seed, static_cast<int64_t>(i));
  return tf::constant(v, shape);
}

// Trains a 12-32-4 MLP for a few Adam steps on its own data; returns the final weights and losses.
std::vector<float> train_one(int seed) {
  K::Sequential model({K::layers::Dense(32, {.activation = "relu"}), K::layers::Dense(4)});
  auto x = pseudo_tensor(seed, {16, 12});
  auto y = tf::cast(tf::argmax(pseudo_tensor(seed + 100, {16, 4}), 1), tf::int32);
  (void)model(x);  // builds
  std::vector<tf::Tensor> weights;
  int k = 0;
  for (const auto& w : model.get_weights()) weights.push_back(pseudo_tensor(seed * 10 + k++, w.shape()));
  model.set_weights(weights);
  K::optimizers::Adam opt({.learning_rate = 1e-2});
  std::vector<float> out;
  for (int step = 0; step < 5; ++step) {
    tf::GradientTape tape;
    auto loss = tf::reduce_mean(tf::nn::sparse_softmax_cross_entropy_with_logits(y, model(x, true)));
    tape.stop();
    auto vars = model.trainable_variables();
    opt.apply_gradients(tape.gradient(loss, vars), vars);
    out.push_back(loss.item<float>());
    (void)tf::find_op("MatMul");  // registry lookups while other threads dispatch
  }
  for (const auto& w : model.get_weights()) {
    auto v = w.to_vector<float>();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

TEST(ThreadSafety, EightThreadsTrainingTheirOwnModelsMatchOneThreadBitwise) {
  constexpr int kThreads = 8;
  std::vector<std::vector<float>> sequential(kThreads), parallel(kThreads);
  for (int i = 0; i < kThreads; ++i) sequential[i] = train_one(i);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      try {
        parallel[i] = train_one(i);
      } catch (...) { ++failures; }
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_EQ(parallel[i].size(), sequential[i].size());
    EXPECT_EQ(std::memcmp(parallel[i].data(), sequential[i].data(), parallel[i].size() * sizeof(float)), 0)
        << "model " << i << " differs between one thread and eight";
  }
  EXPECT_NE(sequential[0], sequential[1]);        // the models really are different
  EXPECT_LT(sequential[0][4], sequential[0][0]);  // and training lowered the loss
}

TEST(ThreadSafety, RegistryIsSafeToReadFromSeveralThreads) {
  const std::size_t expected = tf::registered_ops().size();
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (tf::registered_ops().size() != expected || !tf::find_op("AddV2")) ++bad;
        auto s = tf::constant({1.f, 2.f}) + 1;
        if (s.to_vector<float>() != std::vector<float>{2.f, 3.f}) ++bad;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
