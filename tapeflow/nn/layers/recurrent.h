// Keras's recurrent layers: SimpleRNN, LSTM and GRU over (B, T, D) sequences, each stepping its
// cell (SimpleRNNCell, LSTMCell, GRUCell: the weights, Keras's layout) over the time axis. The
// input projection of every step is one tensordot before the loop; each step is a matmul by the
// recurrent kernel and the gates, all public ops (so autograd and the GPU come for free).
// Training with dropout / recurrent_dropout samples Keras's DropoutRNNCell masks once per call
// (constant over the time steps); a (B, T) mask (Note [Masks] in layer.cpp) makes a masked step
// keep the states and repeat the previous output (zeros before the first kept step), as Keras.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tapeflow/nn/activations.h"
#include "tapeflow/nn/layers/layer.h"

namespace tapeflow::keras::layers {

/// The options of all three layers and cells, in Keras's keyword order (LSTM's and GRU's
/// fields; SimpleRNN ignores recurrent_activation, unit_forget_bias and reset_after).
struct RecurrentOptions {
  activations::Activation activation = "tanh";
  activations::Activation recurrent_activation = "sigmoid";  // the gates (LSTM, GRU)
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer recurrent_initializer = "orthogonal";
  initializers::Initializer bias_initializer = "zeros";
  bool unit_forget_bias = true;  // LSTM: the forget gate's bias starts at 1
  regularizers::Regularizer kernel_regularizer = {};
  regularizers::Regularizer recurrent_regularizer = {};
  regularizers::Regularizer bias_regularizer = {};
  double dropout = 0.0;            // in [0, 1): the inputs' units dropped when training
  double recurrent_dropout = 0.0;  // in [0, 1): the state's units dropped when training
  std::optional<int64_t> seed;     // the dropout masks' op seed (Note [Random seeds])
  bool return_sequences = false;   // (B, T, units) instead of the last step's (B, units)
  /// Keras's return_state: a functional call gives [output, final states...] (LSTM: h, c), through
  /// call_with_state on KerasTensors; an eager `layer(x)` gives the output alone.
  bool return_state = false;
  bool go_backwards = false;       // process the steps last to first (outputs in that order)
  /// Keras's stateful: the final states of a call are the initial states of the next (for
  /// sequences cut into consecutive pieces), kept until reset_states(). Needs a fixed batch size,
  /// known when the layer is built (`K::Input({-1, 8}, {.batch_size = 32})`); every call must
  /// have that batch size.
  bool stateful = false;
  bool reset_after = true;         // GRU: the reset gate applied after the recurrent matmul (Keras 3's default)
  std::string name;
  bool trainable = true;
  DType dtype = DType::kFloat32;
};

/// A cell: the weights of one step and the step itself. kernel (D, gates * units),
/// recurrent_kernel (units, gates * units), bias (gates * units) (GRU with reset_after: (2, 3 * units)).
class RecurrentCell : public Layer {
 public:
  void build(const Shape& input_shape) override;  // (B, D)
  int64_t units() const { return units_; }
  /// The number of states: LSTM 2 (h, c), the others 1.
  int num_states() const { return gates_ == 4 ? 2 : 1; }
  /// The options the cell was made with (its layer's: the configs save them).
  const RecurrentOptions& options() const { return options_; }

  Variable kernel() const { return tracked_variable("kernel"); }
  Variable recurrent_kernel() const { return tracked_variable("recurrent_kernel"); }
  Variable bias() const { return tracked_variable("bias"); }

  /// Keras's DropoutRNNCell masks for one call (0 or 1 / (1 - rate) each): `inputs` (B, D) and
  /// `recurrent` (B, units), each empty when its rate is 0, else one mask, or one per gate when
  /// recurrent_dropout is set (Keras's implementation 1 of LSTM and GRU).
  struct DropoutMasks {
    std::vector<Tensor> inputs, recurrent;
  };
  DropoutMasks dropout_masks(int64_t batch, int64_t input_dim) const;
  /// The input's contribution to every step at once: inputs (B, T, D) -> (B, T, gates * units),
  /// with the input bias; gate g's columns from inputs * masks[g] (one mask: all gates').
  Tensor project_inputs(const Tensor& inputs, const std::vector<Tensor>& masks = {}) const;
  /// One step from the projected input xw (B, gates * units): the new states (h first); gate g's
  /// recurrent term from h * recurrent_masks[g] (one mask: all gates').
  std::vector<Tensor> step(const Tensor& xw, const std::vector<Tensor>& states,
                           const std::vector<Tensor>& recurrent_masks = {}) const;

 protected:
  RecurrentCell(int gates, const std::string& default_name, int64_t units, RecurrentOptions options);

 private:
  /// h R, gate g's columns from h * masks[g].
  Tensor recurrent_product(const Tensor& h, const std::vector<Tensor>& masks) const;
  int gates_;
  int64_t units_;
  RecurrentOptions options_;
};

/// h = activation(x W + h R + b).
class SimpleRNNCell : public RecurrentCell {
 public:
  explicit SimpleRNNCell(int64_t units, RecurrentOptions options = {});
  std::string class_name() const override { return "SimpleRNNCell"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<SimpleRNNCell>(*this); }
};
/// Gates i, f, c, o (Keras's order): c = f c + i tanh(z_c), h = o tanh(c).
class LSTMCell : public RecurrentCell {
 public:
  explicit LSTMCell(int64_t units, RecurrentOptions options = {});
  std::string class_name() const override { return "LSTMCell"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<LSTMCell>(*this); }
};
/// Gates z, r, h (Keras's order): h = z h + (1 - z) tanh(x_h + r (h R_h + b_h)) with reset_after.
class GRUCell : public RecurrentCell {
 public:
  explicit GRUCell(int64_t units, RecurrentOptions options = {});
  std::string class_name() const override { return "GRUCell"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<GRUCell>(*this); }
};

/// The loop over time around a cell (tracked as "cell", as Keras's weights files name it).
class RecurrentLayer : public Layer {
 public:
  void build(const Shape& input_shape) override;  // (B, T, D)
  Tensor call(const Tensor& inputs, bool training) override;
  /// With a (B, T) bool mask: masked steps keep the states and output the previous output.
  Tensor call_masked(const Tensor& inputs, bool training, const std::optional<Tensor>& mask) override;
  bool supports_masking() const override { return true; }
  /// The input's mask with return_sequences, else none.
  std::optional<Tensor> compute_mask(const Tensor& inputs, const std::optional<Tensor>& mask) const override;
  /// Keras's return_state=True: {output, final states...} (LSTM: {output, h, c}), optionally
  /// from `initial_state` (each (B, units); zeros by default) and with a (B, T) mask.
  std::vector<Tensor> call_with_state(const Tensor& inputs, const std::vector<Tensor>& initial_state = {},
                                      const std::optional<Tensor>& mask = std::nullopt,
                                      std::optional<bool> training = std::nullopt);
  /// The functional API of Keras's `layer(x, initial_state=[h, c], mask=m)`: what Keras's call
  /// returns, as KerasTensors of one node: the output, then with return_state the final states.
  /// An encoder-decoder:
  ///   auto enc = K::layers::LSTM(64, {.return_state = true}).call_with_state(encoder_inputs);
  ///   auto dec = K::layers::LSTM(64, {.return_sequences = true, .return_state = true})
  ///                  .call_with_state(decoder_inputs, {enc[1], enc[2]});
  /// initial_state: one (B, units) tensor per state (none: zeros); mask: (B, T) bool (undefined: the
  /// input's mask, if any).
  std::vector<KerasTensor> call_with_state(const KerasTensor& inputs, const std::vector<KerasTensor>& initial_state = {},
                                           const KerasTensor& mask = {});
  using Layer::operator();
  /// `layer(x)` on a KerasTensor; a layer with return_state has several outputs: an
  /// InvalidArgumentError says to use call_with_state.
  KerasTensor operator()(const KerasTensor& inputs);
  std::vector<MaskedOutput> call_node(const Tensor& inputs, const std::optional<Tensor>& mask,
                                      const std::map<std::string, std::vector<Tensor>>& kwargs,
                                      std::optional<bool> training) override;
  int64_t units() const { return cell_->units(); }
  /// The cell holding the weights (kernel, recurrent_kernel, bias).
  const RecurrentCell& cell() const { return *cell_; }
  bool return_sequences() const { return return_sequences_; }
  bool return_state() const { return return_state_; }
  bool go_backwards() const { return go_backwards_; }
  bool stateful() const { return stateful_; }
  /// A stateful layer's states back to zeros (Keras's reset_states / reset_state).
  void reset_states();
  void reset_state() { reset_states(); }
  /// A stateful layer's current states (h, then c for LSTM), each (batch, units); empty before
  /// it is built. They are not weights: not in variables(), checkpoints or .keras files (as Keras).
  std::vector<Tensor> states() const;

 protected:
  RecurrentLayer(std::shared_ptr<RecurrentCell> cell, const std::string& default_name, const RecurrentOptions& options);

 private:
  std::vector<Tensor> run(const Tensor& inputs, const std::vector<Tensor>& initial_state, bool training,
                          const std::optional<Tensor>& mask);

  std::shared_ptr<RecurrentCell> cell_;
  bool return_sequences_, return_state_, go_backwards_, stateful_;
  // A stateful layer's states, made by build; shared by the layer's copies (the functional nodes').
  std::shared_ptr<std::vector<Variable>> states_ = std::make_shared<std::vector<Variable>>();
};

/// `K::layers::SimpleRNN(32)`: (B, T, D) -> (B, 32) (or (B, T, 32) with return_sequences).
class SimpleRNN : public RecurrentLayer {
 public:
  explicit SimpleRNN(int64_t units, RecurrentOptions options = {});
  std::string class_name() const override { return "SimpleRNN"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<SimpleRNN>(*this); }
};
/// `K::layers::LSTM(64, {.return_sequences = true})`.
class LSTM : public RecurrentLayer {
 public:
  explicit LSTM(int64_t units, RecurrentOptions options = {});
  std::string class_name() const override { return "LSTM"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<LSTM>(*this); }
};
/// `K::layers::GRU(64)`.
class GRU : public RecurrentLayer {
 public:
  explicit GRU(int64_t units, RecurrentOptions options = {});
  std::string class_name() const override { return "GRU"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<GRU>(*this); }
};

}  // namespace tapeflow::keras::layers
