// Registration functions of the gradient-rule families, called by autograd::register_autograd().
#pragma once

namespace tapeflow::autograd {
void register_binary_gradients();
void register_reduction_gradients();
void register_unary_gradients();
void register_array_gradients();
void register_linalg_gradients();
void register_nn_gradients();
void register_random_gradients();
void register_string_gradients();
void register_conv_gradients();
void register_sparse_gradients();
void register_ragged_gradients();
void register_training_gradients();  // the fused optimizer updates: not differentiable
}  // namespace tapeflow::autograd
