// _CudnnRNN's CPU kernel (the fused recurrent op's reference) against Keras's cells stepped with
// public ops (tests/core/rnn_reference.h), in every mode, forward and backward, with and without
// sequence lengths: values in float32 and float64, and every gradient (x, h0, c0, kernel,
// recurrent_kernel, bias) through _CudnnRNNGrad against the tape's gradients of the per-step
// computation, in float64. Then the argument checks. The float64 central-difference checks are in
// tests/autograd/rnn_grad_test.cpp; the GPU kernel's parity in tests/gpu/rnn_test.cpp.
#include <gtest/gtest.h>

#include "tests/core/rnn_reference.h"
#include "tests/core/test_util.h"

namespace {
namespace rnn = tf::testing::rnn;
using tf::ops::RnnMode;

std::vector<tf::Tensor> initial_states(const rnn::Case& c, tf::DType dt) {
  std::vector<tf::Tensor> s{rnn::random({c.batch, c.units}, dt, 11)};
  if (c.mode == RnnMode::kLstm) s.push_back(rnn::random({c.batch, c.units}, dt, 12));
  return s;
}

TEST(CudnnRNNOp, MatchesPerStepCellsInEveryMode) {
  for (tf::DType dt : {tf::float32, tf::float64}) {
    for (const rnn::Case& c : rnn::all_cases()) {
      SCOPED_TRACE(rnn::name_of(c) + " " + std::string(tf::dtype_name(dt)));
      tf::DeviceScope cpu("CPU:0");
      auto cell = rnn::make_cell(c, dt);
      const tf::Tensor x = rnn::random({c.batch, c.steps, c.features}, dt, 5);
      const std::vector<tf::Tensor> states = initial_states(c, dt);
      const std::vector<tf::Tensor> want = rnn::reference(c, *cell, x, states);
      const std::vector<tf::Tensor> got = rnn::fused(c, *cell, x, states);
      ASSERT_EQ(got.size(), want.size());
      const double tol = dt == tf::float64 ? 1e-12 : 2e-6;
      for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].dtype(), dt);
        tf::testing::expect_values(got[i], want[i].shape(), tf::testing::values_as_double(want[i]), tol);
      }
      // Gradients of both: _CudnnRNNGrad against the tape through the per-step ops.
      const tf::Tensor w = rnn::random({c.batch, c.steps, c.units}, dt, 21);
      const tf::Tensor wh = rnn::random({c.batch, c.units}, dt, 22), wc = rnn::random({c.batch, c.units}, dt, 23);
      auto grads_of = [&](bool op) {
        tf::GradientTape tape;
        for (const tf::Tensor& t : states) tape.watch(t);
        tape.watch(x);
        std::vector<tf::Tensor> y = op ? rnn::fused(c, *cell, x, states) : rnn::reference(c, *cell, x, states);
        tf::Tensor loss = tf::reduce_sum(y[0] * w) + tf::reduce_sum(y[1] * wh);
        if (y.size() > 2) loss = loss + tf::reduce_sum(y[2] * wc);
        tape.stop();
        std::vector<tf::Source> sources{x, states[0]};
        if (states.size() > 1) sources.push_back(states[1]);
        for (const tf::Variable& v : cell->variables()) sources.push_back(v);
        return tape.gradient(loss, sources, {.unconnected_gradients = tf::UnconnectedGradients::Zero});
      };
      const auto g_op = grads_of(true), g_ref = grads_of(false);
      ASSERT_EQ(g_op.size(), g_ref.size());
      for (std::size_t i = 0; i < g_op.size(); ++i) {
        SCOPED_TRACE("gradient " + std::to_string(i));
        ASSERT_TRUE(g_op[i].has_value() && g_ref[i].has_value());
        tf::testing::expect_values(*g_op[i], g_ref[i]->shape(), tf::testing::values_as_double(*g_ref[i]),
                                   dt == tf::float64 ? 1e-11 : 1e-5);
      }
    }
  }
}

// Past a row's length the output is zero and the states stop; a row of length 0 keeps its
// initial states. Going backwards the outputs are right-aligned: (x0, x1, x2, pad) gives
// (0, y(x2), y(x2, x1), y(x2, x1, x0)).
TEST(CudnnRNNOp, SequenceLengthsAndGoBackwardsLayout) {
  tf::DeviceScope cpu("CPU:0");
  const rnn::Case c{RnnMode::kRnnTanh, true, {3, 0}, 2, 4, 1, 1};
  auto cell = rnn::make_cell(c, tf::float64);
  cell->kernel().assign(tf::constant({{1.0}}, tf::float64));
  cell->recurrent_kernel().assign(tf::constant({{0.5}}, tf::float64));
  cell->bias().assign(tf::constant({0.0}, tf::float64));
  const tf::Tensor x = tf::constant({{{0.1}, {0.2}, {0.3}, {9.0}}, {{1.0}, {2.0}, {3.0}, {4.0}}}, tf::float64);
  const tf::Tensor h0 = tf::constant({{0.0}, {0.25}}, tf::float64);
  const std::vector<tf::Tensor> y = rnn::fused(c, *cell, x, {h0});
  const double a = std::tanh(0.3), b = std::tanh(0.2 + 0.5 * a), d = std::tanh(0.1 + 0.5 * b);
  tf::testing::expect_values(y[0], {2, 4, 1}, {0, a, b, d, 0, 0, 0, 0}, 1e-15);
  tf::testing::expect_values(y[1], {2, 1}, {d, 0.25}, 1e-15);
}

TEST(CudnnRNNOp, RejectsBadArguments) {
  tf::DeviceScope cpu("CPU:0");
  const rnn::Case c{RnnMode::kLstm};
  auto cell = rnn::make_cell(c, tf::float32);
  const tf::Tensor x = rnn::random({3, 4, 3}, tf::float32, 1), h = tf::zeros({3, 2});
  const tf::Tensor k = cell->kernel(), r = cell->recurrent_kernel(), b = cell->bias();
  tf::ops::CudnnRNNAttrs lstm;
  auto run = [&](const tf::Tensor& x_, const tf::Tensor& h_, std::optional<tf::Tensor> c_, const tf::Tensor& k_,
                 const tf::Tensor& r_, const tf::Tensor& b_, std::optional<tf::Tensor> len,
                 const tf::ops::CudnnRNNAttrs& a) { return tf::ops::cudnn_rnn(x_, h_, c_, k_, r_, b_, len, a).output; };
  using tf::testing::expect_invalid_argument;
  const std::string op = "_CudnnRNN";
  expect_invalid_argument([&] { return run(tf::cast(x, tf::int32), h, h, k, r, b, {}, lstm); }, op, "float32 or float64");
  expect_invalid_argument([&] { return run(x, tf::zeros({3, 2}, tf::float64), h, k, r, b, {}, lstm); }, op, "h0 must be float32");
  expect_invalid_argument([&] { return run(tf::zeros({3, 4}), h, h, k, r, b, {}, lstm); }, op, "3-dimensional");
  expect_invalid_argument([&] { return run(x, tf::zeros({2, 2}), h, k, r, b, {}, lstm); }, op, "h0 must be (batch, units)");
  expect_invalid_argument([&] { return run(x, h, h, tf::zeros({3, 6}), r, b, {}, lstm); }, op, "kernel must be (features, 4 * units)");
  expect_invalid_argument([&] { return run(x, h, h, k, tf::zeros({2, 6}), b, {}, lstm); }, op, "recurrent_kernel must be");
  expect_invalid_argument([&] { return run(x, h, h, k, r, tf::zeros({2, 8}), {}, lstm); }, op, "bias must be");
  expect_invalid_argument([&] { return run(x, h, std::nullopt, k, r, b, {}, lstm); }, op, "lstm needs c0");
  expect_invalid_argument([&] { return run(x, h, tf::zeros({3, 3}), k, r, b, {}, lstm); }, op, "c0 must have h0's shape");
  expect_invalid_argument([&] { return run(x, h, h, k, r, b, tf::zeros({3}), lstm); }, op, "sequence_lengths must be int32");
  expect_invalid_argument([&] { return run(x, h, h, k, r, b, tf::zeros({2}, tf::int32), lstm); }, op, "(batch,) = (3,)");
  expect_invalid_argument([&] { return run(x, h, h, k, r, b, tf::constant({1, 5, 2}), lstm); }, op,
                          "sequence_lengths[1] = 5 is not in [0, 4]");
  tf::ops::CudnnRNNAttrs gru;
  gru.rnn_mode = RnnMode::kGru;
  auto gcell = rnn::make_cell({RnnMode::kGru}, tf::float32);
  expect_invalid_argument(
      [&] { return run(x, h, std::nullopt, gcell->kernel(), gcell->recurrent_kernel(), tf::zeros({6}), {}, gru); }, op,
      "GRU with reset_after");
  expect_invalid_argument(
      [&] { return run(x, h, h, gcell->kernel(), gcell->recurrent_kernel(), gcell->bias(), {}, gru); }, op,
      "c0 is only an input of lstm");
  // The gradient reads a reserve laid out by the device that ran the forward: another is refused.
  const tf::ops::CudnnRNNOutputs out = tf::ops::cudnn_rnn(x, h, h, k, r, b, std::nullopt, lstm);
  const tf::Tensor none = tf::zeros({0}, tf::int32);
  EXPECT_TF_ERROR(tf::ops::cudnn_rnn_grad(x, h, h, k, r, b, none, out.output, tf::zeros({5}), out.output, h, h, lstm),
                  tf::errors::FailedPreconditionError, "must run on the device that ran _CudnnRNN");
  expect_invalid_argument(
      [&] { return tf::ops::cudnn_rnn_grad(x, h, h, k, r, b, none, out.output, out.reserve, h, h, h, lstm)[0]; },
      "_CudnnRNNGrad", "output_backprop must be");
}

}  // namespace
