// Every CUDA runtime and cuBLAS status is checked through these macros and turned into a typed
// exception naming the call (DESIGN.md "The GPU path"): out-of-memory becomes
// ResourceExhaustedError, everything else InternalError. Library code never aborts on a status.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "tapeflow/core/errors.h"

namespace tapeflow::cuda {

/// Throws the typed error for a failed CUDA runtime call; `what` is the call's source text.
[[noreturn]] void throw_cuda_error(cudaError_t status, const char* what, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* what, const char* file, int line);
const char* cublas_status_name(cublasStatus_t status) noexcept;

}  // namespace tapeflow::cuda

/// TF_CUDA_CHECK(cudaMemcpyAsync(...)): throws naming the call when it does not return cudaSuccess.
#define TF_CUDA_CHECK(call)                                                      \
  do {                                                                           \
    cudaError_t tf_status_ = (call);                                             \
    if (tf_status_ != cudaSuccess) [[unlikely]]                                  \
      ::tapeflow::cuda::throw_cuda_error(tf_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define TF_CUBLAS_CHECK(call)                                                      \
  do {                                                                             \
    cublasStatus_t tf_status_ = (call);                                            \
    if (tf_status_ != CUBLAS_STATUS_SUCCESS) [[unlikely]]                          \
      ::tapeflow::cuda::throw_cublas_error(tf_status_, #call, __FILE__, __LINE__); \
  } while (0)

/// After a <<<...>>> launch: TF_CUDA_LAUNCH_CHECK("binary_kernel") reports a bad launch
/// (configuration, missing image for this GPU's architecture) naming the kernel.
#define TF_CUDA_LAUNCH_CHECK(kernel_name)                                                           \
  do {                                                                                              \
    cudaError_t tf_status_ = cudaGetLastError();                                                    \
    if (tf_status_ != cudaSuccess) [[unlikely]]                                                     \
      ::tapeflow::cuda::throw_cuda_error(tf_status_, "launch of " kernel_name, __FILE__, __LINE__); \
  } while (0)
