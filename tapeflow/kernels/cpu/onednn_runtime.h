// Which library runs the CPU convolution, pooling and batch-norm kernels: oneDNN when the build
// found it (TAPEFLOW_HAS_ONEDNN, like cuDNN on the GPU), else Tapeflow's own kernels. Queries
// for users and tests, and a run-time switch that routes those ops to the own kernels.
#pragma once
#include <cstdint>
#include <string>

namespace tapeflow::kernels::cpu {

/// Whether this build calls oneDNN (TAPEFLOW_HAS_ONEDNN) for CPU Conv2D, MaxPool/AvgPool and
/// FusedBatchNormV3, forward and backward.
bool built_with_onednn() noexcept;
/// One line naming the CPU kernels of those ops, e.g. "oneDNN 2.6.3 (cpu isa: avx512_core_bf16)"
/// or "Tapeflow's own kernels (built without oneDNN)". `std::cout << cpu_kernels_info();`
std::string cpu_kernels_info();
/// Routes those ops to oneDNN (true, the default where built with it) or to Tapeflow's own
/// kernels (false), process-wide; a no-op in a build without oneDNN. For comparing the two.
/// As in TensorFlow, TF_ENABLE_ONEDNN_OPTS=0 in the environment starts the process switched off.
void set_onednn_enabled(bool enabled) noexcept;
bool onednn_enabled() noexcept;
/// oneDNN primitive executions since start-up (one kernel call may run several, e.g. MaxPoolGrad
/// runs the forward for its argmax): tests check that the configurations oneDNN covers stay on it.
int64_t onednn_call_count() noexcept;

}  // namespace tapeflow::kernels::cpu
