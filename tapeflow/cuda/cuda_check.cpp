#include "tapeflow/cuda/cuda_check.h"

#include <cstring>

namespace tapeflow::cuda {
namespace {
const char* base_name(const char* file) {
  const char* slash = std::strrchr(file, '/');
  return slash ? slash + 1 : file;
}
}  // namespace

void throw_cuda_error(cudaError_t status, const char* what, const char* file, int line) {
  // The runtime keeps a sticky copy of non-fatal errors: clear it so the next call starts clean
  // (an OOM must leave the process usable).
  (void)cudaGetLastError();
  std::string msg = detail::str_cat(what, " failed: ", cudaGetErrorName(status), " (", cudaGetErrorString(status),
                                    ") at ", base_name(file), ":", line);
  if (status == cudaErrorMemoryAllocation) throw errors::ResourceExhaustedError(msg);
  if (status == cudaErrorInvalidValue || status == cudaErrorInvalidConfiguration)
    throw errors::InvalidArgumentError(msg);
  throw errors::InternalError(msg);
}

const char* cublas_status_name(cublasStatus_t status) noexcept {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}

void throw_cublas_error(cublasStatus_t status, const char* what, const char* file, int line) {
  std::string msg = detail::str_cat(what, " failed: ", cublas_status_name(status), " at ", base_name(file), ":", line);
  if (status == CUBLAS_STATUS_ALLOC_FAILED) throw errors::ResourceExhaustedError(msg);
  if (status == CUBLAS_STATUS_INVALID_VALUE || status == CUBLAS_STATUS_NOT_SUPPORTED)
    throw errors::InvalidArgumentError(msg);
  throw errors::InternalError(msg);
}

}  // namespace tapeflow::cuda
