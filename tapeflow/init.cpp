// Explicit registration of every op, kernel and gradient (survives static linking, unlike
// registration from static objects). Called once by ensure_initialized().
#include "tapeflow/autograd/tape.h"
#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/copy.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/linalg.h"
#include "tapeflow/core/ops/math.h"
#include "tapeflow/core/ops/nn_conv.h"
#include "tapeflow/core/ops/nn_ops.h"
#include "tapeflow/core/ops/random.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/strings.h"
#include "tapeflow/core/ops/training.h"
#include "tapeflow/core/ragged.h"
#include "tapeflow/core/sparse.h"
#include "tapeflow/graph/function.h"
#include "tapeflow/kernels/cpu/registration.h"
#if TAPEFLOW_HAS_CUDA
#include "tapeflow/cuda/cuda_backend.h"
#include "tapeflow/kernels/cuda/registration.h"
#endif

namespace tapeflow {

void register_builtin_ops() {
  ops::register_copy_ops();
  ops::register_cast_ops();
  ops::register_creation_ops();
  ops::register_binary_ops();
  ops::register_reduction_ops();
  ops::register_array_ops();
  ops::register_unary_ops();
  ops::register_string_ops();
  ops::register_ragged_ops();
  ops::register_sparse_ops();
  ops::register_linalg_ops();
  ops::register_nn_ops();
  ops::register_random_ops();
  ops::register_nn_conv_ops();
  ops::register_training_ops();

  kernels::cpu::register_copy_kernels();
  kernels::cpu::register_binary_kernels();
  kernels::cpu::register_reduction_kernels();
  kernels::cpu::register_array_kernels();
  kernels::cpu::register_unary_kernels();
  kernels::cpu::register_string_kernels();
  kernels::cpu::register_ragged_kernels();
  kernels::cpu::register_sparse_kernels();
  kernels::cpu::register_linalg_kernels();
  kernels::cpu::register_softmax_kernels();
  kernels::cpu::register_random_kernels();
  kernels::cpu::register_conv_kernels();
  kernels::cpu::register_pooling_kernels();
  kernels::cpu::register_batch_norm_kernels();
  kernels::cpu::register_bias_add_kernels();
  kernels::cpu::register_training_kernels();

  autograd::register_autograd();
  graph::register_graph();

#if TAPEFLOW_HAS_CUDA
  // The GPU backend reports 0 devices without a driver or GPU; its kernels then never run.
  cuda::register_cuda_backend();
  kernels::cuda::register_copy_kernels();
  kernels::cuda::register_binary_kernels();
  kernels::cuda::register_unary_kernels();
  kernels::cuda::register_reduction_kernels();
  kernels::cuda::register_array_kernels();
  kernels::cuda::register_linalg_kernels();
  kernels::cuda::register_softmax_kernels();
  kernels::cuda::register_random_kernels();
  kernels::cuda::register_conv_kernels();
  kernels::cuda::register_pooling_kernels();
  kernels::cuda::register_batch_norm_kernels();
  kernels::cuda::register_bias_add_kernels();
  kernels::cuda::register_training_kernels();
#endif
}

}  // namespace tapeflow
