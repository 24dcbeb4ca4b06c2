// Runs an op's CPU kernel for a GPU kernel: inputs are copied to CPU:0, the CPU kernel runs, its
// outputs are copied back to the GPU. For configurations the GPU libraries cannot express (a
// build without cuDNN, a dtype or shape cuDNN rejects, empty tensors), so an op placed on a GPU
// still runs there as far as the caller can see, with the CPU kernel's exact results.
#pragma once
#include <cstdint>
#include <string>

#include "tapeflow/core/dispatch.h"

namespace tapeflow::kernels::cuda {

/// Replaces ctx's outputs with GPU copies of what the op's CPU kernel computes from ctx's inputs.
void run_cpu_kernel(KernelContext& ctx);
/// Records that ctx's op falls back because `why` (a warning, once per op), before run_cpu_kernel.
void note_cpu_fallback(const KernelContext& ctx, const std::string& why);
/// How many calls fell back for a reason given to note_cpu_fallback (empty tensors do not count):
/// the GPU tests check that configurations cuDNN handles stay on cuDNN.
int64_t cpu_fallback_count() noexcept;
/// Whether this build calls cuDNN (TAPEFLOW_HAS_CUDNN); without it conv and batch norm always
/// fall back.
bool built_with_cudnn() noexcept;

}  // namespace tapeflow::kernels::cuda
