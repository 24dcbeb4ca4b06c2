// autograd::register_autograd: connects the tape to core's op door and registers every
// built-in gradient rule (explicit registration, so static linking loses nothing).
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/autograd/tape.h"

namespace tapeflow::autograd {
namespace detail {
void install_tape_hook();
}
void register_stop_gradient();
void register_custom_gradient();

void register_autograd() {
  detail::install_tape_hook();
  register_stop_gradient();
  register_custom_gradient();
  register_binary_gradients();
  register_unary_gradients();
  register_reduction_gradients();
  register_array_gradients();
  register_linalg_gradients();
  register_softmax_gradients();
  register_random_gradients();
  register_string_gradients();
  register_conv_gradients();
  register_pooling_gradients();
  register_batch_norm_gradients();
  register_bias_add_gradients();
  register_copy_gradients();
  register_cast_gradients();
  register_creation_gradients();
  register_sparse_gradients();
  register_ragged_gradients();
  register_training_gradients();
  register_fused_contraction_gradients();
  register_rnn_gradients();
}

}  // namespace tapeflow::autograd
