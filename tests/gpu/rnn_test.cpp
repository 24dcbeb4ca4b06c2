// The GPU kernels of _CudnnRNN and _CudnnRNNGrad (cuDNN) against the CPU kernel (the reference,
// itself checked against Keras's cells in tests/core/rnn_test.cpp): values and every gradient, in
// each mode, forward and backward, with sequence lengths (one row empty); then Keras's LSTM, GRU
// and SimpleRNN layers on GPU:0 (the fused op, masks included) against the same layers on CPU:0
// (the per-step path). float32 runs with TF32 off.
#include <gtest/gtest.h>

#include "tests/core/rnn_reference.h"
#include "tests/gpu/gpu_test_util.h"

namespace {
using namespace tapeflow::testing;
namespace rnn = tapeflow::testing::rnn;
using tf::ops::RnnMode;

/// {output, h, c (LSTM), dx, dh0, dc0 (LSTM), dkernel, drecurrent_kernel, dbias} on `device`.
std::vector<tf::Tensor> run_op(const rnn::Case& c, const std::vector<tf::Tensor>& cpu_inputs, tf::Device device) {
  tf::DeviceScope on(device);
  std::vector<tf::Tensor> in;
  for (const tf::Tensor& t : cpu_inputs) in.push_back(t.to(device));
  const bool lstm = c.mode == RnnMode::kLstm;
  tf::ops::CudnnRNNAttrs attrs;
  attrs.rnn_mode = c.mode;
  attrs.go_backwards = c.go_backwards;
  std::optional<tf::Tensor> lengths = rnn::lengths_of(c);
  if (lengths) lengths = lengths->to(device);
  tf::GradientTape tape;
  for (const tf::Tensor& t : in) tape.watch(t);
  const auto r = tf::ops::cudnn_rnn(in[0], in[1], lstm ? std::optional<tf::Tensor>(in[5]) : std::nullopt, in[2], in[3],
                                    in[4], lengths, attrs);
  const tf::DType dt = in[0].dtype();
  tf::Tensor loss = tf::reduce_sum(r.output * rnn::random(r.output.shape(), dt, 31).to(device)) +
                    tf::reduce_sum(r.h * rnn::random(r.h.shape(), dt, 32).to(device));
  if (lstm) loss = loss + tf::reduce_sum(r.c * rnn::random(r.c.shape(), dt, 33).to(device));
  tape.stop();
  std::vector<tf::Tensor> out{r.output, r.h};
  if (lstm) out.push_back(r.c);
  std::vector<tf::Source> sources(in.begin(), in.begin() + (lstm ? 6 : 5));
  for (const auto& g : tape.gradient(loss, sources)) out.push_back(*g);
  return out;
}

TEST_F(GpuTest, CudnnRNNMatchesTheCpuKernel) {
  Tf32Guard no_tf32(false);
  for (tf::DType dt : {tf::float32, tf::float64}) {
    for (rnn::Case c : rnn::all_cases()) {
      c.batch = 5, c.steps = 7, c.features = 6, c.units = 8;
      if (!c.lengths.empty()) c.lengths = {7, 3, 0, 1, 6};
      SCOPED_TRACE(rnn::name_of(c) + " " + str(dt));
      const int64_t n = tf::ops::rnn_gates(c.mode) * c.units;
      const std::vector<tf::Tensor> inputs = {
          rnn::random({c.batch, c.steps, c.features}, dt, 1), rnn::random({c.batch, c.units}, dt, 2),
          rnn::random({c.features, n}, dt, 3) * 0.5,           rnn::random({c.units, n}, dt, 4) * 0.5,
          c.mode == RnnMode::kGru ? rnn::random({2, n}, dt, 5) : rnn::random({n}, dt, 5),
          rnn::random({c.batch, c.units}, dt, 6)};
      const std::vector<tf::Tensor> cpu = run_op(c, inputs, tf::kCPU0), gpu = run_op(c, inputs, tf::kGPU0);
      ASSERT_EQ(cpu.size(), gpu.size());
      const double tol = dt == tf::float64 ? 1e-11 : 5e-5;
      for (std::size_t i = 0; i < cpu.size(); ++i) expect_same(cpu[i], gpu[i], tol, "result " + std::to_string(i));
    }
  }
}

/// A layer's output, final states and weight gradients, called on `device` (the weights stay where
/// they are: the op door copies them).
std::vector<tf::Tensor> run_layer(tf::keras::layers::RecurrentLayer& layer, const tf::Tensor& x,
                                  const std::optional<tf::Tensor>& mask, tf::Device device) {
  tf::DeviceScope on(device);
  const tf::Tensor xd = x.to(device);
  std::optional<tf::Tensor> md;
  if (mask) md = mask->to(device);
  tf::GradientTape tape;
  std::vector<tf::Tensor> out = layer.call_with_state(xd, {}, md, true);
  tf::Tensor loss = tf::reduce_sum(out[0] * rnn::random(out[0].shape(), xd.dtype(), 41).to(device));
  for (std::size_t i = 1; i < out.size(); ++i) loss = loss + tf::reduce_sum(out[i] * out[i]);
  tape.stop();
  std::vector<tf::Source> sources;
  for (const tf::Variable& v : layer.trainable_variables()) sources.push_back(v);
  for (const auto& g : tape.gradient(loss, sources)) out.push_back(g->to(device));
  std::vector<tf::Tensor> on_cpu;
  for (const tf::Tensor& t : out) on_cpu.push_back(t.to(tf::kCPU0));
  return on_cpu;
}

TEST_F(GpuTest, CudnnRNNLayersOnGpuMatchCpu) {
  Tf32Guard no_tf32(false);
  namespace L = tf::keras::layers;
  const int64_t batch = 4, steps = 6, features = 5, units = 7;
  const tf::Tensor x = rnn::random({batch, steps, features}, tf::float32, 50);
  // Right-padded: rows of 6, 4, 1 and 3 steps (Keras's cuDNN condition on masks).
  std::vector<int32_t> m;
  for (int len : {6, 4, 1, 3})
    for (int t = 0; t < steps; ++t) m.push_back(t < len);
  const tf::Tensor mask = tf::cast(tf::constant(m, tf::Shape{batch, steps}, tf::int32), tf::DType::kBool);
  for (bool back : {false, true}) {
    for (bool masked : {false, true}) {
      L::RecurrentOptions o;
      o.return_sequences = true;
      o.go_backwards = back;
      std::vector<std::shared_ptr<L::RecurrentLayer>> layers = {std::make_shared<L::LSTM>(units, o),
                                                                std::make_shared<L::GRU>(units, o),
                                                                std::make_shared<L::SimpleRNN>(units, o)};
      for (auto& layer : layers) {
        SCOPED_TRACE(layer->class_name() + (back ? " go_backwards" : "") + (masked ? " masked" : ""));
        const std::optional<tf::Tensor> mk = masked ? std::optional<tf::Tensor>(mask) : std::nullopt;
        const std::vector<tf::Tensor> cpu = run_layer(*layer, x, mk, tf::kCPU0);
        const std::vector<tf::Tensor> gpu = run_layer(*layer, x, mk, tf::kGPU0);
        ASSERT_EQ(cpu.size(), gpu.size());
        for (std::size_t i = 0; i < cpu.size(); ++i) {
          SCOPED_TRACE("result " + std::to_string(i));
          tf::testing::expect_values(gpu[i], cpu[i].shape(), tf::testing::values_as_double(cpu[i]), 5e-5);
        }
      }
    }
  }
}

}  // namespace
