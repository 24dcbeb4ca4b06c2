// Every cuDNN status is checked through TF_CUDNN_CHECK and turned into a typed exception naming
// the call, as TF_CUBLAS_CHECK does for cuBLAS (DESIGN.md "The GPU path"): allocation failures
// become ResourceExhaustedError, bad parameters InvalidArgumentError, unsupported configurations
// UnimplementedError (callers may catch it and fall back), everything else InternalError.
// Only compiled into builds with cuDNN (TAPEFLOW_HAS_CUDNN).
#pragma once
#include <cudnn.h>

#include "tapeflow/core/errors.h"

namespace tapeflow::cuda {

[[noreturn]] void throw_cudnn_error(cudnnStatus_t status, const char* what, const char* file, int line);
/// For calls that describe a configuration (descriptors, output sizes, algorithm queries):
/// BAD_PARAM there means cuDNN cannot express these arguments, which TF's arguments checks
/// have already accepted, so it is an UnimplementedError like NOT_SUPPORTED (the kernel falls
/// back to the CPU kernel); other statuses are typed as throw_cudnn_error types them.
[[noreturn]] void throw_cudnn_config_error(cudnnStatus_t status, const char* what, const char* file, int line);
/// True for CUDNN_STATUS_NOT_SUPPORTED and its cuDNN 9 sub-codes (shape, data type, layout...).
inline bool cudnn_not_supported(cudnnStatus_t status) noexcept {
  return CUDNN_STATUS_CATEGORY(status) == CUDNN_STATUS_NOT_SUPPORTED;
}

}  // namespace tapeflow::cuda

/// TF_CUDNN_CHECK(cudnnConvolutionForward(...)): throws naming the call unless it succeeds.
#define TF_CUDNN_CHECK(call)                                                      \
  do {                                                                            \
    cudnnStatus_t tf_status_ = (call);                                            \
    if (tf_status_ != CUDNN_STATUS_SUCCESS) [[unlikely]]                          \
      ::tapeflow::cuda::throw_cudnn_error(tf_status_, #call, __FILE__, __LINE__); \
  } while (0)

/// TF_CUDNN_CHECK_CONFIG(cudnnSetTensor4dDescriptor(...)): as TF_CUDNN_CHECK, but a rejected
/// configuration (BAD_PARAM, NOT_SUPPORTED) is an UnimplementedError the caller falls back on.
#define TF_CUDNN_CHECK_CONFIG(call)                                                      \
  do {                                                                                   \
    cudnnStatus_t tf_status_ = (call);                                                   \
    if (tf_status_ != CUDNN_STATUS_SUCCESS) [[unlikely]]                                 \
      ::tapeflow::cuda::throw_cudnn_config_error(tf_status_, #call, __FILE__, __LINE__); \
  } while (0)
