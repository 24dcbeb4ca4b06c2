// The reference of _CudnnRNN in tests: Keras's cells (SimpleRNNCell, LSTMCell, GRUCell) stepped
// with public ops (RecurrentCell::project_inputs and step, the layers' per-step path), with the
// op's conventions for sequence lengths and go_backwards written out: a row's steps past its
// length keep the states and output zeros; going backwards, a row reads its first `length` steps
// last to first and its outputs are right-aligned. Also the random weights and inputs of a case.
#pragma once
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tapeflow/core/ops/rnn.h"
#include "tapeflow/tapeflow.h"

namespace tapeflow::testing::rnn {
namespace L = keras::layers;

struct Case {
  ops::RnnMode mode;
  bool go_backwards = false;
  std::vector<int> lengths;  // empty: every row runs all steps
  int64_t batch = 3, steps = 4, features = 3, units = 2;
};

/// A built cell of the case's mode with random weights (uniform in [-0.6, 0.6)) in `dtype`.
inline std::shared_ptr<L::RecurrentCell> make_cell(const Case& c, DType dtype, unsigned seed = 7) {
  L::RecurrentOptions o;
  o.dtype = dtype;
  std::shared_ptr<L::RecurrentCell> cell;
  if (c.mode == ops::RnnMode::kLstm) cell = std::make_shared<L::LSTMCell>(c.units, o);
  else if (c.mode == ops::RnnMode::kGru) cell = std::make_shared<L::GRUCell>(c.units, o);
  else cell = std::make_shared<L::SimpleRNNCell>(c.units, o);
  cell->build(Shape{c.batch, c.features});
  unsigned s = seed;
  for (Variable v : cell->variables()) {
    std::mt19937 gen(s++);
    std::uniform_real_distribution<double> dist(-0.6, 0.6);
    std::vector<double> w(static_cast<std::size_t>(v.shape().num_elements()));
    for (double& e : w) e = dist(gen);
    v.assign(constant(w, v.shape(), dtype));
  }
  return cell;
}

/// Uniform [-1, 1) values of `shape` in `dtype`.
inline Tensor random(const Shape& shape, DType dtype, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> v(static_cast<std::size_t>(shape.num_elements()));
  for (double& e : v) e = dist(gen);
  return constant(v, shape, dtype);
}

/// The case's lengths as the op's int32 input, or none.
inline std::optional<Tensor> lengths_of(const Case& c) {
  if (c.lengths.empty()) return std::nullopt;
  return constant(std::vector<int32_t>(c.lengths.begin(), c.lengths.end()), Shape{c.batch}, DType::kInt32);
}

/// (B, T) int32 from f(row length, step).
template <typename F> Tensor index_map(const Case& c, F&& f) {
  std::vector<int32_t> v;
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t t = 0; t < c.steps; ++t)
      v.push_back(static_cast<int32_t>(f(c.lengths.empty() ? c.steps : c.lengths[static_cast<std::size_t>(b)], t)));
  return constant(v, Shape{c.batch, c.steps}, DType::kInt32);
}

/// output (B, T, U), then the final states (h, and c for LSTM), stepping the cell.
inline std::vector<Tensor> reference(const Case& c, const L::RecurrentCell& cell, const Tensor& x,
                                     std::vector<Tensor> states) {
  const int64_t T = c.steps;
  const bool back = c.go_backwards;
  const Tensor read = index_map(c, [&](int64_t len, int64_t k) { return back && k < len ? len - 1 - k : k; });
  const std::vector<Tensor> xw = unstack(cell.project_inputs(gather(x, read, 1, 1)), 1);
  std::vector<Tensor> outputs;
  for (int64_t k = 0; k < T; ++k) {
    std::vector<int32_t> runs;
    for (int64_t b = 0; b < c.batch; ++b)
      runs.push_back(k < (c.lengths.empty() ? T : c.lengths[static_cast<std::size_t>(b)]));
    const Tensor active = cast(constant(runs, Shape{c.batch, 1}, DType::kInt32), DType::kBool);
    std::vector<Tensor> next = cell.step(xw[static_cast<std::size_t>(k)], states);
    for (std::size_t i = 0; i < next.size(); ++i) states[i] = where(active, next[i], states[i]);
    outputs.push_back(where(active, next[0], zeros_like(next[0])));
  }
  // Output step t shows processed step t (forward) or t - (T - len) (backward, right-aligned);
  // the others read a step that did not run (zeros).
  const Tensor place =
      index_map(c, [&](int64_t len, int64_t t) { return !back ? t : t >= T - len ? t - (T - len) : T - 1 - t; });
  std::vector<Tensor> out{gather(stack(outputs, 1), place, 1, 1)};
  out.insert(out.end(), states.begin(), states.end());
  return out;
}

/// The op on the cell's weights: {output, h, c (LSTM)}; reserve in `reserve` when asked.
inline std::vector<Tensor> fused(const Case& c, const L::RecurrentCell& cell, const Tensor& x,
                                 const std::vector<Tensor>& states, Tensor* reserve = nullptr) {
  ops::CudnnRNNAttrs attrs;
  attrs.rnn_mode = c.mode;
  attrs.go_backwards = c.go_backwards;
  const bool lstm = c.mode == ops::RnnMode::kLstm;
  const ops::CudnnRNNOutputs r =
      ops::cudnn_rnn(x, states[0], lstm ? std::optional<Tensor>(states[1]) : std::nullopt, cell.kernel(),
                     cell.recurrent_kernel(), cell.bias(), lengths_of(c), attrs);
  if (reserve) *reserve = r.reserve;
  std::vector<Tensor> out{r.output, r.h};
  if (lstm) out.push_back(r.c);
  return out;
}

/// Every mode, forward and backward, with and without lengths (one row empty, one full).
inline std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (ops::RnnMode m : {ops::RnnMode::kRnnTanh, ops::RnnMode::kLstm, ops::RnnMode::kGru})
    for (bool back : {false, true})
      for (bool lengths : {false, true}) cases.push_back({m, back, lengths ? std::vector<int>{4, 2, 0} : std::vector<int>{}});
  return cases;
}

inline std::string name_of(const Case& c) {
  return std::string(ops::rnn_mode_name(c.mode)) + (c.go_backwards ? " go_backwards" : "") +
         (c.lengths.empty() ? "" : " with sequence lengths");
}

}  // namespace tapeflow::testing::rnn
