// CUDA-graph replay of Functions on GPU:0 (graph/graph_replay.h): a replayed call gives the
// plain executor's bits (the switch off is the reference), variables are updated in place across
// replays of a training step, a random op keeps the function on the plain executor, a new
// signature records a new graph, and the graph's private pool is not handed to other tensors.
// Also: the remapper's fused contractions on GPU:0 give the unfused graph's values.
#include "tapeflow/graph/graph_replay.h"
#include "tests/gpu/gpu_test_util.h"
#include "tests/support/op_table_fused_elementwise.h"

namespace {
using namespace tapeflow::testing;
using tapeflow::testing::op_table::fused_detail::expect_same_bits;
namespace replay = tapeflow::graph_replay;
namespace cx = tf::config::experimental;

/// Sets the CUDA-graph switch for a scope.
struct CudaGraphs {
  bool saved = cx::cuda_graphs_enabled();
  explicit CudaGraphs(bool on) { cx::enable_cuda_graphs(on); }
  ~CudaGraphs() { cx::enable_cuda_graphs(saved); }
};

/// Uniform in [lo, hi) on GPU:0, the same values on every call with the same seed (host mt19937:
/// the two sides of a comparison build the same weights).
tf::Tensor uniform_gpu(const tf::Shape& shape, uint32_t seed, double lo = -1, double hi = 1) {
  tf::Tensor u = random_cpu(shape, tf::float32, seed);  // [-3, 3]
  tf::DeviceScope on("CPU:0");
  return ((u + 3.0f) * static_cast<float>((hi - lo) / 6) + static_cast<float>(lo)).to(tf::kGPU0);
}

/// A chain of matmuls and elementwise ops (several kernels, intermediates recycled by the plan).
tf::Tensor chain(const tf::Tensor& x, const tf::Tensor& w) {
  tf::Tensor y = x;
  for (int i = 0; i < 6; ++i) y = tf::tanh(tf::matmul(y, w)) * 0.75f + y * 0.25f;
  return y;
}

TEST_F(GpuTest, CudaGraphReplayEqualsThePlainExecutorBitForBit) {
  tf::DeviceScope on("GPU:0");
  Tf32Guard exact(false);
  const tf::Tensor w = uniform_gpu({64, 64}, 1, -0.2, 0.2);
  auto f = tf::function([&](const tf::Tensor& x) { return chain(x, w); });
  std::vector<tf::Tensor> xs, want;
  for (int64_t s = 0; s < 5; ++s) xs.push_back(uniform_gpu({8, 64}, 10 + s));
  {
    CudaGraphs off(false);
    for (const tf::Tensor& x : xs) want.push_back(f(x).tensor().cpu());
  }
  replay::reset_stats();
  CudaGraphs graphs(true);
  std::vector<tf::Tensor> got;
  for (const tf::Tensor& x : xs) got.push_back(f(x).tensor());  // kept: a later replay must not overwrite them
  for (std::size_t i = 0; i < xs.size(); ++i) expect_same_bits(got[i].cpu(), want[i], "call " + std::to_string(i));
  const replay::Stats s = replay::stats();
  EXPECT_EQ(s.captures, 1);  // call 0 warms up, call 1 records and replays
  EXPECT_EQ(s.replays, 4);
  EXPECT_EQ(s.fallbacks, 0);
  EXPECT_EQ(s.invalidations, 0);
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
}

/// An MLP 32-16-4 training step (softmax cross entropy, SGD with momentum: the optimizer's
/// fused in-place updates and its iteration counter's AssignAdd) run `steps` times; returns the
/// losses and the final weights on CPU:0.
std::vector<tf::Tensor> train_mlp(int steps) {
  tf::DeviceScope on("GPU:0");
  namespace K = tf::keras;
  tf::Variable w1(uniform_gpu({32, 16}, 21, -0.3, 0.3)), b1(uniform_gpu({16}, 22, -0.1, 0.1));
  tf::Variable w2(uniform_gpu({16, 4}, 23, -0.3, 0.3)), b2(uniform_gpu({4}, 24, -0.1, 0.1));
  std::vector<tf::Variable> vars = {w1, b1, w2, b2};
  auto opt = K::optimizers::SGD({.learning_rate = 0.1, .momentum = 0.9});
  const tf::Tensor x = uniform_gpu({64, 32}, 25);
  const tf::Tensor labels = tf::one_hot(tf::cast(uniform_gpu({64}, 26, 0, 3.999), tf::int32), 4);
  auto step = tf::function([&](const tf::Tensor& xb, const tf::Tensor& yb) {
    tf::GradientTape tape;
    tf::Tensor h = tf::nn::relu(tf::nn::bias_add(tf::matmul(xb, w1.read_value()), b1.read_value()));
    tf::Tensor logits = tf::nn::bias_add(tf::matmul(h, w2.read_value()), b2.read_value());
    tf::Tensor loss = tf::reduce_mean(tf::nn::softmax_cross_entropy_with_logits(yb, logits));
    tape.stop();
    opt.apply_gradients(tape.gradient(loss, vars), vars);
    return loss;
  });
  std::vector<tf::Tensor> out;
  for (int i = 0; i < steps; ++i) out.push_back(step(x, labels).tensor().cpu());
  for (const tf::Variable& v : vars) out.push_back(v.read_value().cpu());
  return out;
}

TEST_F(GpuTest, CudaGraphReplayOfAnMlpTrainingStepUpdatesVariablesInPlace) {
  Tf32Guard exact(false);
  std::vector<tf::Tensor> want;
  {
    CudaGraphs off(false);
    want = train_mlp(6);
  }
  replay::reset_stats();
  CudaGraphs graphs(true);
  const std::vector<tf::Tensor> got = train_mlp(6);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) expect_same_bits(got[i], want[i], "value " + std::to_string(i));
  // The losses decrease (the step trains), and the variables were written where the graph
  // reads them: recorded once, replayed on every later step.
  EXPECT_LT(got[5].to_vector<float>()[0], got[0].to_vector<float>()[0]);
  const replay::Stats s = replay::stats();
  EXPECT_EQ(s.captures, 1);
  EXPECT_EQ(s.replays, 5);
  EXPECT_EQ(s.invalidations, 0);
}

TEST_F(GpuTest, CudaGraphFallsBackForARandomOp) {
  tf::DeviceScope on("GPU:0");
  auto f = tf::function([](const tf::Tensor& x) { return x + tf::random::uniform({4}, {.seed = 5}); });
  const tf::Tensor x = uniform_gpu({4}, 31);
  replay::reset_stats();
  CudaGraphs graphs(true);
  std::vector<std::vector<float>> draws;
  for (int i = 0; i < 3; ++i) draws.push_back(f(x).tensor().to_vector<float>());
  EXPECT_NE(draws[0], draws[1]);  // a fresh stream position per call, as the plain executor gives
  EXPECT_NE(draws[1], draws[2]);
  const replay::Stats s = replay::stats();
  EXPECT_EQ(s.captures, 0);
  EXPECT_EQ(s.replays, 0);
  EXPECT_EQ(s.fallbacks, 3);
}

TEST_F(GpuTest, CudaGraphRecordsAgainForANewSignature) {
  tf::DeviceScope on("GPU:0");
  Tf32Guard exact(false);
  const tf::Tensor w = uniform_gpu({16, 16}, 41, -0.3, 0.3);
  auto f = tf::function([&](const tf::Tensor& x) { return chain(x, w); });
  replay::reset_stats();
  CudaGraphs graphs(true);
  for (int64_t rows : {4, 4, 4, 9, 9, 9}) {
    const tf::Tensor x = uniform_gpu({rows, 16}, 40 + rows);
    const tf::Tensor got = f(x).tensor().cpu();
    tf::Tensor want;
    {
      CudaGraphs off(false);
      want = f(x).tensor().cpu();
    }
    expect_same_bits(got, want, "rows " + std::to_string(rows));
  }
  EXPECT_EQ(f.experimental_get_tracing_count(), 2);
  const replay::Stats s = replay::stats();
  EXPECT_EQ(s.captures, 2);  // one graph per concrete function
  EXPECT_EQ(s.replays, 4);
}

TEST_F(GpuTest, CudaGraphPoolIsNotHandedToOtherTensorsWhileTheGraphLives) {
  tf::DeviceScope on("GPU:0");
  Tf32Guard exact(false);
  const tf::Tensor w = uniform_gpu({64, 64}, 51, -0.2, 0.2);
  auto f = tf::function([&](const tf::Tensor& x) { return chain(x, w); });
  CudaGraphs graphs(true);
  const tf::Tensor x = uniform_gpu({8, 64}, 52);
  f(x);
  f(x);  // recorded: its intermediates' blocks are the graph's
  // Tensors of the intermediates' sizes, filled with a sentinel: were they given the graph's
  // blocks, the next replay would overwrite them.
  std::vector<tf::Tensor> others;
  for (int i = 0; i < 16; ++i) others.push_back(tf::fill({8, 64}, 7.0f));
  const tf::Tensor y = f(uniform_gpu({8, 64}, 53)).tensor();
  for (const tf::Tensor& t : others)
    for (float v : t.to_vector<float>()) ASSERT_EQ(v, 7.0f);
  tf::Tensor want;
  {
    CudaGraphs off(false);
    want = f(uniform_gpu({8, 64}, 53)).tensor().cpu();
  }
  expect_same_bits(y.cpu(), want, "replay after the other tensors");
}

// ---- the remapper's fused contractions on GPU:0 ------------------------------------------

/// A traced CNN + MLP forward and SGD step on GPU:0 with remapping on gives the values of the
/// same step with remapping off (cuBLASLt's bias epilogue and the Relu pass vs BiasAdd and Relu).
std::vector<tf::Tensor> cnn_step(bool remapping) {
  tf::DeviceScope on("GPU:0");
  tf::GraphOptimizerOptions opts;
  opts.remapping = remapping;
  tf::Variable f1(uniform_gpu({3, 3, 2, 4}, 61, -0.4, 0.4)), c1(uniform_gpu({4}, 62, -0.1, 0.1));
  tf::Variable w1(uniform_gpu({4 * 4 * 4, 10}, 63, -0.2, 0.2)), b1(uniform_gpu({10}, 64, -0.1, 0.1));
  std::vector<tf::Variable> vars = {f1, c1, w1, b1};
  const tf::Tensor img = uniform_gpu({5, 8, 8, 2}, 65);
  auto step = tf::function(
      [&](const tf::Tensor& x) {
        tf::GradientTape tape;
        tf::Tensor h = tf::nn::relu(tf::nn::bias_add(tf::nn::conv2d(x, f1.read_value(), 2, "SAME"), c1.read_value()));
        h = tf::reshape(h, {5, 4 * 4 * 4});
        tf::Tensor y = tf::nn::relu(tf::nn::bias_add(tf::matmul(h, w1.read_value()), b1.read_value()));
        tf::Tensor loss = tf::reduce_sum(y * y);
        tape.stop();
        auto grads = tape.gradient(loss, vars);
        for (std::size_t i = 0; i < vars.size(); ++i) vars[i].assign_sub(*grads[i] * 0.01f);
        return y;
      },
      {.optimizer = opts});
  std::vector<tf::Tensor> out;
  for (int i = 0; i < 3; ++i) out.push_back(step(img).tensor().cpu());
  for (const tf::Variable& v : vars) out.push_back(v.read_value().cpu());
  auto cf = step.get_concrete_function(tf::TensorSpec(img.shape(), img.dtype()));
  int fused = 0;
  for (const tf::Node& n : cf.optimized_graph().nodes()) fused += n.op == "_FusedMatMul" || n.op == "_FusedConv2D";
  EXPECT_EQ(fused, remapping ? 2 : 0);
  return out;
}

TEST_F(GpuTest, RemappedFusedContractionsGiveTheUnfusedStepsValues) {
  Tf32Guard exact(false);
  const std::vector<tf::Tensor> fused = cnn_step(true), unfused = cnn_step(false);
  ASSERT_EQ(fused.size(), unfused.size());
  // cuBLASLt's bias epilogue adds in the GEMM's epilogue: one rounding of float32, as BiasAdd.
  for (std::size_t i = 0; i < fused.size(); ++i)
    expect_same(unfused[i], fused[i].to(tf::kGPU0), parity_tolerance(tf::float32), "value " + std::to_string(i));
}

}  // namespace
