// Explicit registration of every op, kernel and gradient, by family. libtapeflow is a shared
// library (DESIGN.md: "or build the library shared"): it installs register_builtin_ops as
// core's library initializer when it is loaded, and ensure_initialized() runs it once on first
// use. Core thus never names a layer above it.
#include "tapeflow/autograd/tape.h"
#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/batch_norm.h"
#include "tapeflow/core/ops/bias_add.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/conv.h"
#include "tapeflow/core/ops/copy.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/fused_contraction.h"
#include "tapeflow/core/ops/fused_elementwise.h"
#include "tapeflow/core/ops/linalg.h"
#include "tapeflow/core/ops/pooling.h"
#include "tapeflow/core/ops/ragged.h"
#include "tapeflow/core/ops/random.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/rnn.h"
#include "tapeflow/core/ops/softmax.h"
#include "tapeflow/core/ops/sparse.h"
#include "tapeflow/core/ops/strings.h"
#include "tapeflow/core/ops/training.h"
#include "tapeflow/core/ops/unary.h"
#include "tapeflow/graph/function.h"
#include "tapeflow/kernels/cpu/registration.h"
#if TAPEFLOW_HAS_CUDA
#include "tapeflow/cuda/cuda_backend.h"
#include "tapeflow/kernels/cuda/registration.h"
#endif

namespace tapeflow {
namespace {

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
  ops::register_softmax_ops();
  ops::register_random_ops();
  ops::register_conv_ops();
  ops::register_pooling_ops();
  ops::register_batch_norm_ops();
  ops::register_bias_add_ops();
  ops::register_training_ops();
  ops::register_fused_contraction_ops();
  ops::register_fused_elementwise_ops();
  ops::register_rnn_ops();

  kernels::cpu::register_copy_kernels();
  kernels::cpu::register_cast_kernels();
  kernels::cpu::register_creation_kernels();
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
  kernels::cpu::register_fused_contraction_kernels();
  kernels::cpu::register_fused_elementwise_kernels();
  kernels::cpu::register_rnn_kernels();

  autograd::register_autograd();
  graph::register_graph();

#if TAPEFLOW_HAS_CUDA
  // The GPU backend reports 0 devices without a driver or GPU; its kernels then never run.
  cuda::register_cuda_backend();
  kernels::cuda::register_copy_kernels();
  kernels::cuda::register_cast_kernels();
  kernels::cuda::register_creation_kernels();
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
  kernels::cuda::register_fused_elementwise_kernels();
  kernels::cuda::register_fused_contraction_kernels();
  kernels::cuda::register_rnn_kernels();
#endif
}

// Runs when libtapeflow is loaded, before any user code calls an op.
[[maybe_unused]] const bool kInitializerInstalled = (set_library_initializer(&register_builtin_ops), true);

}  // namespace
}  // namespace tapeflow
