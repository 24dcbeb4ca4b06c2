#include "tapeflow/nn/layers/recurrent.h"

#include <algorithm>

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/linalg.h"
#include "tapeflow/core/ops/random.h"
#include "tapeflow/core/ops/unary.h"
#include "tapeflow/nn/layers/recurrent_fused.h"

namespace tapeflow::keras::layers {

RecurrentCell::RecurrentCell(int gates, const std::string& default_name, int64_t units, RecurrentOptions options)
    : Layer("", {.name = options.name.empty() ? default_name : options.name, .trainable = options.trainable}),
      gates_(gates),
      units_(units),
      options_(std::move(options)) {
  TF_CHECK_ARG(units > 0, default_name,
               "Received an invalid value for argument `units`, expected a positive integer, got ", units);
  for (const auto& [rate, what] :
       {std::pair{options_.dropout, "dropout"}, std::pair{options_.recurrent_dropout, "recurrent_dropout"}})
    TF_CHECK_ARG(rate >= 0 && rate < 1, default_name, "Invalid value received for argument `", what,
                 "`. Expected a float value in [0, 1). Received: ", what, "=", rate);
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

RecurrentCell::DropoutMasks RecurrentCell::dropout_masks(int64_t batch, int64_t input_dim) const {
  // Keras samples one mask per gate when recurrent_dropout is set (LSTM's and GRU's
  // implementation 1), else one; SimpleRNN always one.
  const int count = options_.recurrent_dropout > 0 && gates_ > 1 ? gates_ : 1;
  const DType dt = options_.dtype;  // the weights' dtype
  const auto sample = [&](double rate, int64_t width) {
    std::vector<Tensor> masks;
    if (rate > 0)
      for (int g = 0; g < count; ++g)
        masks.push_back(
            nn::dropout(ones({batch, width}, dt), rate, {.noise_shape = std::nullopt, .seed = options_.seed}));
    return masks;
  };
  DropoutMasks masks;
  masks.inputs = sample(options_.dropout, input_dim);
  masks.recurrent = sample(options_.recurrent_dropout, units_);
  return masks;
}

Tensor RecurrentCell::project_inputs(const Tensor& inputs, const std::vector<Tensor>& masks) const {
  const Variable k = kernel();
  const Tensor x = inputs.dtype() == k.dtype() ? inputs : cast(inputs, k.dtype());
  Tensor xw;
  if (masks.size() <= 1) {
    xw = tensordot(masks.empty() ? x : x * expand_dims(masks[0], 1), k, 1);
  } else {  // a mask per gate: each gate's columns of the kernel
    const std::vector<Tensor> kg = split(k, gates_, 1);
    std::vector<Tensor> parts;
    for (int g = 0; g < gates_; ++g) parts.push_back(tensordot(x * expand_dims(masks[g], 1), kg[g], 1));
    xw = concat(parts, -1);
  }
  if (!options_.use_bias) return xw;
  const Tensor b = bias();
  return xw + (b.ndim() == 2 ? unstack(b, 0)[0] : b);
}

Tensor RecurrentCell::recurrent_product(const Tensor& h, const std::vector<Tensor>& masks) const {
  if (masks.size() <= 1) return matmul(masks.empty() ? h : h * masks[0], recurrent_kernel());
  const std::vector<Tensor> rk = split(recurrent_kernel(), gates_, 1);
  std::vector<Tensor> parts;
  for (int g = 0; g < gates_; ++g) parts.push_back(matmul(h * masks[g], rk[g]));
  return concat(parts, 1);
}

std::vector<Tensor> RecurrentCell::step(const Tensor& xw, const std::vector<Tensor>& states,
                                        const std::vector<Tensor>& recurrent_masks) const {
  const Tensor& h = states[0];
  const activations::Activation &act = options_.activation, &gate = options_.recurrent_activation;
  if (gates_ == 1) return {act(xw + recurrent_product(h, recurrent_masks))};
  if (gates_ == 4) {
    const std::vector<Tensor> z = split(xw + recurrent_product(h, recurrent_masks), 4, 1);
    const Tensor i = gate(z[0]), f = gate(z[1]), o = gate(z[3]);
    const Tensor c = f * states[1] + i * act(z[2]);
    return {o * act(c), c};
  }
  // GRU.
  const std::vector<Tensor> x = split(xw, 3, 1);
  Tensor z, r, candidate;
  if (options_.reset_after) {
    Tensor inner = recurrent_product(h, recurrent_masks);
    if (options_.use_bias) inner = inner + unstack(bias(), 0)[1];
    const std::vector<Tensor> rec = split(inner, 3, 1);
    z = gate(x[0] + rec[0]);
    r = gate(x[1] + rec[1]);
    candidate = act(x[2] + r * rec[2]);
  } else {
    const std::vector<Tensor> rk = split(recurrent_kernel(), 3, 1);
    const auto masked = [&](int g) { return recurrent_masks.empty() ? h : h * recurrent_masks[g]; };
    z = gate(x[0] + matmul(masked(0), rk[0]));
    r = gate(x[1] + matmul(masked(1), rk[1]));
    candidate = act(x[2] + matmul(r * masked(2), rk[2]));
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

// A (B, T) mask (bool, or numbers: nonzero is kept) as T (B, 1) bool tensors; none without one.
std::vector<Tensor> step_masks(const std::optional<Tensor>& mask, const Shape& input_shape, const std::string& layer) {
  if (!mask) return {};
  TF_CHECK_ARG(mask->shape() == Shape({input_shape[0], input_shape[1]}), "", "Layer \"", layer,
               "\": the mask must have shape (batch, timesteps) = (", input_shape[0], ", ", input_shape[1],
               "); received ", mask->shape().to_string());
  return unstack(expand_dims(kept_steps(*mask), 2), 1);
}
}  // namespace

RecurrentLayer::RecurrentLayer(std::shared_ptr<RecurrentCell> cell, const std::string& default_name,
                               const RecurrentOptions& options)
    : Layer(default_name, {.name = options.name, .trainable = options.trainable}),
      cell_(std::move(cell)),
      return_sequences_(options.return_sequences),
      return_state_(options.return_state),
      go_backwards_(options.go_backwards),
      stateful_(options.stateful) {
  track_module("cell", cell_);
}

void RecurrentLayer::build(const Shape& input_shape) {
  if (input_shape.rank() != 3)
    TF_THROW(InvalidArgumentError, "", "Input 0 of layer \"", name(),
             "\" is incompatible with the layer: expected ndim=3, found ndim=", input_shape.rank(),
             ". Full shape received: ", input_shape.to_string());
  cell_->build(Shape{input_shape[0], input_shape[2]});
  cell_->set_built(true);
  if (!stateful_) return;
  TF_CHECK_ARG(input_shape[0] > 0, "", "Layer \"", name(),
               "\": When using `stateful=True` in a RNN, the batch size must be static. Found dynamic batch size: "
               "sequence.shape=",
               input_shape.to_string(), " (give the input a batch size: K::Input(shape, {.batch_size = n}))");
  states_->clear();
  for (int i = 0; i < cell_->num_states(); ++i)
    states_->push_back(Variable(zeros({input_shape[0], cell_->units()}, cell_->options().dtype),
                                {.name = "rnn_state", .trainable = false}));
}

void RecurrentLayer::reset_states() {
  for (Variable& v : *states_) v.assign(zeros(v.shape(), v.dtype()));
}

std::vector<Tensor> RecurrentLayer::states() const {
  std::vector<Tensor> out;
  for (const Variable& v : *states_) out.push_back(v.read_value());
  return out;
}

std::vector<Tensor> RecurrentLayer::run(const Tensor& inputs, const std::vector<Tensor>& initial_state, bool training,
                                        const std::optional<Tensor>& mask) {
  check_input_rank(inputs, 3);
  check_input_last_dim(inputs, cell_->kernel().shape()[0]);
  const int64_t batch = inputs.shape()[0], steps = inputs.shape()[1], units = cell_->units();
  TF_CHECK_ARG(steps > 0, "", "Layer \"", name(), "\" needs at least one time step; received input shape ",
               inputs.shape().to_string());
  const DType dt = cell_->kernel().dtype();
  std::vector<Tensor> states = initial_state;
  if (stateful_) {
    const int64_t expected = states_->empty() ? batch : states_->front().shape()[0];
    TF_CHECK_ARG(batch == expected, "", "Layer \"", name(),
                 "\": If an RNN is stateful, the batch size of the input sequences must be the same as the batch size "
                 "of the initial state. \n- Expected batch size: ",
                 expected, "\n- Received batch size: ", batch);
    if (states.empty())
      for (const Variable& v : *states_) states.push_back(v.read_value());
  }
  if (states.empty())
    for (int i = 0; i < cell_->num_states(); ++i) states.push_back(zeros({batch, units}, dt));
  TF_CHECK_ARG(int(states.size()) == cell_->num_states(), "", "Layer \"", name(), "\" expects ", cell_->num_states(),
               " initial state(s); received ", states.size());
  for (const Tensor& s : states)
    TF_CHECK_ARG(s.shape() == Shape({batch, units}), "", "Layer \"", name(), "\": an initial state must have shape (",
                 batch, ", ", units, "); received ", s.shape().to_string());
  // Keras's cuDNN conditions: the whole sequence as one fused op (recurrent_fused.h).
  if (auto fused = run_fused_recurrent(*cell_, inputs, states, training, mask, go_backwards_, return_sequences_))
    return *std::move(fused);
  // Keras's DropoutRNNCell: the masks of this call, the same at every step.
  const RecurrentCell::DropoutMasks drop =
      training ? cell_->dropout_masks(batch, inputs.shape()[2]) : RecurrentCell::DropoutMasks{};
  std::vector<Tensor> xw = unstack(cell_->project_inputs(inputs, drop.inputs), 1);  // T x (B, gates * units)
  std::vector<Tensor> kept = step_masks(mask, inputs.shape(), name());              // T x (B, 1) bool, or none
  if (go_backwards_) {
    std::reverse(xw.begin(), xw.end());
    std::reverse(kept.begin(), kept.end());
  }
  std::vector<Tensor> outputs;
  Tensor output = kept.empty() ? Tensor() : zeros({batch, units}, dt);  // a masked step's output
  for (std::size_t t = 0; t < xw.size(); ++t) {
    std::vector<Tensor> next = cell_->step(xw[t], states, drop.recurrent);
    if (kept.empty()) {
      output = next[0];
    } else {  // Keras's backend rnn: a masked step keeps the states and repeats the last output
      for (std::size_t i = 0; i < next.size(); ++i) next[i] = where(kept[t], next[i], states[i]);
      output = where(kept[t], next[0], output);
    }
    states = std::move(next);
    if (return_sequences_) outputs.push_back(output);
  }
  std::vector<Tensor> out{return_sequences_ ? stack(outputs, 1) : output};
  out.insert(out.end(), states.begin(), states.end());
  // Keras keeps the final states for the next call (not while only shapes are probed).
  if (stateful_ && !probing())
    for (std::size_t i = 0; i < states_->size(); ++i) (*states_)[i].assign(states[i]);
  return out;
}

Tensor RecurrentLayer::call(const Tensor& inputs, bool training) { return run(inputs, {}, training, std::nullopt)[0]; }

Tensor RecurrentLayer::call_masked(const Tensor& inputs, bool training, const std::optional<Tensor>& mask) {
  return run(inputs, {}, training, mask)[0];
}

std::optional<Tensor> RecurrentLayer::compute_mask(const Tensor&, const std::optional<Tensor>& mask) const {
  return return_sequences_ ? mask : std::nullopt;
}

std::vector<Tensor> RecurrentLayer::call_with_state(const Tensor& inputs, const std::vector<Tensor>& initial_state,
                                                    const std::optional<Tensor>& mask, std::optional<bool> training) {
  std::vector<Tensor> result;
  run_call(training, [&](bool train) {
    if (!built()) {
      build(inputs.shape());
      set_built(true);
    }
    result = run(inputs, initial_state, train, mask);
    return result[0];
  });
  return result;
}

std::vector<KerasTensor> RecurrentLayer::call_with_state(const KerasTensor& inputs,
                                                         const std::vector<KerasTensor>& initial_state,
                                                         const KerasTensor& mask) {
  std::vector<NodeKwarg> kwargs;
  if (!initial_state.empty()) kwargs.push_back({"initial_state", initial_state});
  if (mask.defined()) kwargs.push_back({"mask", {mask}});
  return symbolic_call_with(inputs, std::move(kwargs),
                            [this](const Tensor& x, const std::map<std::string, std::vector<Tensor>>& kw) {
                              std::vector<MaskedOutput> outs = call_node(x, std::nullopt, kw, false);
                              std::vector<Tensor> values;
                              for (auto& o : outs) values.push_back(o.output);
                              return values;
                            });
}

KerasTensor RecurrentLayer::operator()(const KerasTensor& inputs) {
  TF_CHECK_ARG(!return_state_, "", "Layer \"", name(), "\" has return_state=True: it returns [output, ",
               cell_->num_states() == 2 ? "h, c" : "h", "]; call it with `call_with_state(x)`");
  return Layer::operator()(inputs);
}

std::vector<Layer::MaskedOutput> RecurrentLayer::call_node(const Tensor& inputs, const std::optional<Tensor>& mask,
                                                           const std::map<std::string, std::vector<Tensor>>& kwargs,
                                                           std::optional<bool> training) {
  std::vector<Tensor> initial_state;
  std::optional<Tensor> step_mask = mask;  // an explicit mask replaces the input's, as in Keras
  for (const auto& [key, values] : kwargs) {
    if (key == "initial_state")
      initial_state = values;
    else if (key == "mask" && values.size() == 1)
      step_mask = values[0];
    else
      TF_THROW(UnimplementedError, "", "Layer \"", name(), "\" (", class_name(), "): call argument `", key,
               "` is not supported (initial_state, mask are)");
  }
  std::vector<Tensor> all = call_with_state(inputs, initial_state, step_mask, training);
  // Keras's compute_mask: the output's is the mask with return_sequences; the states have none.
  std::vector<MaskedOutput> out{{all[0], compute_mask(inputs, step_mask)}};
  if (return_state_)
    for (std::size_t i = 1; i < all.size(); ++i) out.push_back({all[i], std::nullopt});
  return out;
}

SimpleRNN::SimpleRNN(int64_t units, RecurrentOptions options)
    : RecurrentLayer(std::make_shared<SimpleRNNCell>(units, cell_options(options)), "simple_rnn", options) {}
LSTM::LSTM(int64_t units, RecurrentOptions options)
    : RecurrentLayer(std::make_shared<LSTMCell>(units, cell_options(options)), "lstm", options) {}
GRU::GRU(int64_t units, RecurrentOptions options)
    : RecurrentLayer(std::make_shared<GRUCell>(units, cell_options(options)), "gru", options) {}

}  // namespace tapeflow::keras::layers
