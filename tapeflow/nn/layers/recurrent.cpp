#include "tapeflow/nn/layers/recurrent.h"

#include <algorithm>

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/linalg.h"

namespace tapeflow::keras::layers {

RecurrentCell::RecurrentCell(int gates, const std::string& default_name, int64_t units, RecurrentOptions options)
    : Layer("", {.name = options.name.empty() ? default_name : options.name, .trainable = options.trainable}),
      gates_(gates),
      units_(units),
      options_(std::move(options)) {
  TF_CHECK_ARG(units > 0, default_name,
               "Received an invalid value for argument `units`, expected a positive integer, got ", units);
  TF_CHECK_TYPED(options_.dropout == 0 && options_.recurrent_dropout == 0, UnimplementedError, default_name,
                 "dropout and recurrent_dropout are not supported yet by the recurrent layers");
}

void RecurrentCell::build(const Shape& input_shape) {
  const int64_t n = gates_ * units_;
  add_weight("kernel", {input_shape.dim(-1), n},
             {.initializer = options_.kernel_initializer,
              .regularizer = options_.kernel_regularizer,
              .dtype = options_.dtype});
  add_weight("recurrent_kernel", {units_, n},
             {.initializer = options_.recurrent_initializer,
              .regularizer = options_.recurrent_regularizer,
              .dtype = options_.dtype});
  if (!options_.use_bias) return;
  initializers::Initializer init = options_.bias_initializer;
  if (gates_ == 4 && options_.unit_forget_bias) {
    // Keras's LSTM: i and c, o from the initializer, the forget gate's bias ones.
    const auto base = options_.bias_initializer;
    const int64_t u = units_;
    init = initializers::Initializer(
        [base, u](const Shape&, DType dt) {
          return concat({base({u}, dt), ones({u}, dt), base({2 * u}, dt)}, 0);
        },
        "unit_forget_bias");
  }
  const bool two_biases = gates_ == 3 && options_.reset_after;  // GRU: input and recurrent biases
  add_weight("bias", two_biases ? Shape{2, n} : Shape{n},
             {.initializer = init, .regularizer = options_.bias_regularizer, .dtype = options_.dtype});
}

Tensor RecurrentCell::project_inputs(const Tensor& inputs) const {
  const Variable k = kernel();
  const Tensor x = inputs.dtype() == k.dtype() ? inputs : cast(inputs, k.dtype());
  Tensor xw = tensordot(x, k, 1);
  if (!options_.use_bias) return xw;
  const Tensor b = bias();
  return xw + (b.ndim() == 2 ? unstack(b, 0)[0] : b);
}

std::vector<Tensor> RecurrentCell::step(const Tensor& xw, const std::vector<Tensor>& states) const {
  const Tensor& h = states[0];
  const activations::Activation &act = options_.activation, &gate = options_.recurrent_activation;
  if (gates_ == 1) return {act(xw + matmul(h, recurrent_kernel()))};
  if (gates_ == 4) {
    const std::vector<Tensor> z = split(xw + matmul(h, recurrent_kernel()), 4, 1);
    const Tensor i = gate(z[0]), f = gate(z[1]), o = gate(z[3]);
    const Tensor c = f * states[1] + i * act(z[2]);
    return {o * act(c), c};
  }
  // GRU.
  const std::vector<Tensor> x = split(xw, 3, 1);
  Tensor z, r, candidate;
  if (options_.reset_after) {
    Tensor inner = matmul(h, recurrent_kernel());
    if (options_.use_bias) inner = inner + unstack(bias(), 0)[1];
    const std::vector<Tensor> rec = split(inner, 3, 1);
    z = gate(x[0] + rec[0]);
    r = gate(x[1] + rec[1]);
    candidate = act(x[2] + r * rec[2]);
  } else {
    const std::vector<Tensor> rk = split(recurrent_kernel(), 3, 1);
    z = gate(x[0] + matmul(h, rk[0]));
    r = gate(x[1] + matmul(h, rk[1]));
    candidate = act(x[2] + matmul(r * h, rk[2]));
  }
  return {z * h + (1.0 - z) * candidate};
}

SimpleRNNCell::SimpleRNNCell(int64_t units, RecurrentOptions options)
    : RecurrentCell(1, "simple_rnn_cell", units, std::move(options)) {}
LSTMCell::LSTMCell(int64_t units, RecurrentOptions options)
    : RecurrentCell(4, "lstm_cell", units, std::move(options)) {}
GRUCell::GRUCell(int64_t units, RecurrentOptions options) : RecurrentCell(3, "gru_cell", units, std::move(options)) {}

namespace {
// The cell gets the layer's options but Keras's fixed cell name (not made unique).
RecurrentOptions cell_options(RecurrentOptions options) {
  options.name.clear();
  return options;
}
}  // namespace

RecurrentLayer::RecurrentLayer(std::shared_ptr<RecurrentCell> cell, const std::string& default_name,
                               const RecurrentOptions& options)
    : Layer(default_name, {.name = options.name, .trainable = options.trainable}),
      cell_(std::move(cell)),
      return_sequences_(options.return_sequences),
      go_backwards_(options.go_backwards) {
  track_module("cell", cell_);
}

void RecurrentLayer::build(const Shape& input_shape) {
  if (input_shape.rank() != 3)
    TF_THROW(InvalidArgumentError, "", "Input 0 of layer \"", name(),
             "\" is incompatible with the layer: expected ndim=3, found ndim=", input_shape.rank(),
             ". Full shape received: ", input_shape.to_string());
  cell_->build(Shape{input_shape[0], input_shape[2]});
  cell_->set_built(true);
}

std::vector<Tensor> RecurrentLayer::run(const Tensor& inputs, const std::vector<Tensor>& initial_state) {
  check_input_rank(inputs, 3);
  check_input_last_dim(inputs, cell_->kernel().shape()[0]);
  const int64_t batch = inputs.shape()[0], steps = inputs.shape()[1], units = cell_->units();
  TF_CHECK_ARG(steps > 0, "", "Layer \"", name(), "\" needs at least one time step; received input shape ",
               inputs.shape().to_string());
  const DType dt = cell_->kernel().dtype();
  std::vector<Tensor> states = initial_state;
  if (states.empty())
    for (int i = 0; i < cell_->num_states(); ++i) states.push_back(zeros({batch, units}, dt));
  TF_CHECK_ARG(int(states.size()) == cell_->num_states(), "", "Layer \"", name(), "\" expects ", cell_->num_states(),
               " initial state(s); received ", states.size());
  for (const Tensor& s : states)
    TF_CHECK_ARG(s.shape() == Shape({batch, units}), "", "Layer \"", name(), "\": an initial state must have shape (",
                 batch, ", ", units, "); received ", s.shape().to_string());
  std::vector<Tensor> xw = unstack(cell_->project_inputs(inputs), 1);  // T x (B, gates * units)
  if (go_backwards_) std::reverse(xw.begin(), xw.end());
  std::vector<Tensor> outputs;
  for (const Tensor& x : xw) {
    states = cell_->step(x, states);
    if (return_sequences_) outputs.push_back(states[0]);
  }
  std::vector<Tensor> out{return_sequences_ ? stack(outputs, 1) : states[0]};
  out.insert(out.end(), states.begin(), states.end());
  return out;
}

Tensor RecurrentLayer::call(const Tensor& inputs) { return run(inputs, {})[0]; }

std::vector<Tensor> RecurrentLayer::call_with_state(const Tensor& inputs, const std::vector<Tensor>& initial_state) {
  std::vector<Tensor> result;
  run_call(std::nullopt, [&](bool) {
    if (!built()) {
      build(inputs.shape());
      set_built(true);
    }
    result = run(inputs, initial_state);
    return result[0];
  });
  return result;
}

SimpleRNN::SimpleRNN(int64_t units, RecurrentOptions options)
    : RecurrentLayer(std::make_shared<SimpleRNNCell>(units, cell_options(options)), "simple_rnn", options) {}
LSTM::LSTM(int64_t units, RecurrentOptions options)
    : RecurrentLayer(std::make_shared<LSTMCell>(units, cell_options(options)), "lstm", options) {}
GRU::GRU(int64_t units, RecurrentOptions options)
    : RecurrentLayer(std::make_shared<GRUCell>(units, cell_options(options)), "gru", options) {}

}  // namespace tapeflow::keras::layers
