#if TAPEFLOW_HAS_CUDNN
#include "tapeflow/cuda/cudnn_check.h"

#include <cstring>

namespace tapeflow::cuda {

namespace {
std::string cudnn_message(cudnnStatus_t status, const char* what, const char* file, int line) {
  const char* slash = std::strrchr(file, '/');
  // cuDNN 9 keeps a message on why the last call failed (which parameter, which limit).
  char why[512] = {};
  cudnnGetLastErrorString(why, sizeof(why));
  return detail::str_cat(what, " failed: ", cudnnGetErrorString(status), " (", static_cast<int>(status), ")",
                         why[0] ? std::string(": ") + why : std::string(), " at ", slash ? slash + 1 : file, ":", line);
}
}  // namespace

void throw_cudnn_config_error(cudnnStatus_t status, const char* what, const char* file, int line) {
  if (CUDNN_STATUS_CATEGORY(status) == CUDNN_STATUS_BAD_PARAM)
    throw errors::UnimplementedError(cudnn_message(status, what, file, line));
  throw_cudnn_error(status, what, file, line);
}

void throw_cudnn_error(cudnnStatus_t status, const char* what, const char* file, int line) {
  const std::string msg = cudnn_message(status, what, file, line);
  switch (CUDNN_STATUS_CATEGORY(status)) {
    case CUDNN_STATUS_BAD_PARAM: throw errors::InvalidArgumentError(msg);
    case CUDNN_STATUS_NOT_SUPPORTED: throw errors::UnimplementedError(msg);
    default: break;
  }
  if (status == CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED ||
      status == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED)
    throw errors::ResourceExhaustedError(msg);
  throw errors::InternalError(msg);
}

}  // namespace tapeflow::cuda
#endif  // TAPEFLOW_HAS_CUDNN
