// The fused path of the recurrent layers: a whole SimpleRNN/LSTM/GRU sequence as one _CudnnRNN
// op (core/ops/rnn.h), taken when Keras 3's cuDNN conditions hold, as Keras's TF backend takes
// CudnnRNNV3. Otherwise RecurrentLayer steps its cell (recurrent.cpp).
#pragma once
#include <optional>
#include <vector>

#include "tapeflow/nn/layers/recurrent.h"

namespace tapeflow::keras::layers {

/// {output, final states...} as RecurrentLayer::run returns them, from the fused op, or
/// std::nullopt when the per-step path must run: the op would not run on a GPU (the CPU keeps the
/// per-step path: see Note [Fused recurrent op on CPU]), or Keras's conditions fail (activation
/// tanh and recurrent_activation sigmoid, no recurrent_dropout, use_bias, GRU reset_after,
/// float32/float64 weights, a mask only if right-padded with every row at least one step long).
/// `states` are checked (B, units) initial states; with `training`, Keras's input dropout is
/// applied first.
std::optional<std::vector<Tensor>> run_fused_recurrent(const RecurrentCell& cell, const Tensor& inputs,
                                                       const std::vector<Tensor>& states, bool training,
                                                       const std::optional<Tensor>& mask, bool go_backwards,
                                                       bool return_sequences);

/// A (B, T) mask as bool, the steps kept (bool as given; numbers: nonzero is kept), as both the
/// per-step and the fused path read it.
Tensor kept_steps(const Tensor& mask);

}  // namespace tapeflow::keras::layers
