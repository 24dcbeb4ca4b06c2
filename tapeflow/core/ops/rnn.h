// _CudnnRNN and _CudnnRNNGrad: a whole recurrent sequence (SimpleRNN with tanh, LSTM, GRU with
// reset_after) as one op over Keras's own weights, the way Keras 3's TF backend runs CudnnRNNV3
// when its cuDNN conditions hold. Internal ops (the Keras layers take them, nn/layers/
// recurrent_fused.cpp). Kernels: kernels/{cpu,cuda}/rnn; gradient: autograd/grads/rnn.cpp.
#pragma once
#include <optional>
#include <string>

#include "tapeflow/core/dispatch.h"

namespace tapeflow::ops {
extern OpDef CudnnRNN, CudnnRNNGrad;

/// The cell: Keras's SimpleRNN (tanh), LSTM (gates i, f, c, o), GRU with reset_after (z, r, h).
enum class RnnMode { kRnnTanh, kLstm, kGru };
/// The number of gate blocks of a mode's kernel: 1, 4, 3.
int rnn_gates(RnnMode mode);
const char* rnn_mode_name(RnnMode mode);  // "rnn_tanh", "lstm", "gru" (TF's rnn_mode)

struct CudnnRNNAttrs : OpAttrsBase<CudnnRNNAttrs> {
  RnnMode rnn_mode = RnnMode::kLstm;
  /// Keras's go_backwards: each row's steps are read last to first (its first sequence_length
  /// steps with lengths) and the outputs are in that order, right-aligned (zeros before).
  bool go_backwards = false;
  std::string to_string() const override;
};

/// output (B, T, U): each step's h, zeros past a row's sequence length (as cuDNN and Keras's
/// cuDNN path); h, c (B, U): the final states (c: LSTM only, else empty); reserve: what the
/// gradient reads, in the layout of the device that ran the forward (opaque).
struct CudnnRNNOutputs {
  Tensor output, h, c, reserve;
};
/// x (B, T, D); h0 (B, U); c0 (B, U) for LSTM, else std::nullopt; kernel (D, G * U),
/// recurrent_kernel (U, G * U), bias (G * U) (GRU: (2, 3 * U), input and recurrent bias) in
/// Keras's layout and gate order; sequence_lengths (B,) int32 in [0, T], or std::nullopt for T.
/// float32 or float64, one dtype throughout. Bad shapes or dtypes: InvalidArgumentError.
CudnnRNNOutputs cudnn_rnn(const Tensor& x, const Tensor& h0, const std::optional<Tensor>& c0, const Tensor& kernel,
                          const Tensor& recurrent_kernel, const Tensor& bias,
                          const std::optional<Tensor>& sequence_lengths, const CudnnRNNAttrs& attrs);

/// _CudnnRNNGrad: from the forward's inputs, its output and reserve, and the gradients of output,
/// h and c (c's empty unless LSTM): {dx, dh0, dc0 (empty unless LSTM), dkernel,
/// drecurrent_kernel, dbias}. Runs where the forward ran (the reserve's layout is that device's).
TensorList cudnn_rnn_grad(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& kernel,
                          const Tensor& recurrent_kernel, const Tensor& bias, const Tensor& sequence_lengths,
                          const Tensor& output, const Tensor& reserve, const Tensor& output_backprop,
                          const Tensor& h_backprop, const Tensor& c_backprop, const CudnnRNNAttrs& attrs);

/// The inputs' positions in both ops: x, h0, c0, kernel, recurrent_kernel, bias, sequence_lengths.
enum RnnInput { kRnnX, kRnnH0, kRnnC0, kRnnKernel, kRnnRecurrent, kRnnBias, kRnnLengths };

void register_rnn_ops();
}  // namespace tapeflow::ops
