// Registration functions of the gradient-rule families, called by autograd::register_autograd().
#pragma once

namespace tapeflow::autograd {
void register_binary_gradients();
void register_reduction_gradients();
void register_unary_gradients();
void register_array_gradients();
void register_linalg_gradients();
void register_softmax_gradients();
void register_random_gradients();
void register_string_gradients();
void register_conv_gradients();
void register_pooling_gradients();
void register_batch_norm_gradients();
void register_bias_add_gradients();
void register_copy_gradients();
void register_cast_gradients();
void register_creation_gradients();
void register_sparse_gradients();
void register_ragged_gradients();
void register_training_gradients();           // the fused optimizer updates: not differentiable
void register_fused_contraction_gradients();  // _FusedMatMul, _FusedConv2D
void register_rnn_gradients();                // _CudnnRNN
}  // namespace tapeflow::autograd
