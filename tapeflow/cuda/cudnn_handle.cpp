#if TAPEFLOW_HAS_CUDNN
#include "tapeflow/cuda/cudnn_handle.h"

#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include "tapeflow/cuda/cuda_context.h"
#include "tapeflow/cuda/cudnn_check.h"

namespace tapeflow::cuda {
namespace {

struct Handles {
  std::mutex mu;
  std::vector<cudnnHandle_t> per_device;
  std::vector<std::unique_ptr<std::mutex>> in_use;  // cudnn_mutex, one per device
};

Handles& handles() {
  static Handles* h = new Handles();  // never destroyed: destroy_all empties it at exit
  return *h;
}

// Registered with atexit after the CUDA runtime initialized (the handle's creation needs it),
// so it runs before the runtime's own teardown: cudnnDestroy still finds a live context.
void destroy_all() {
  Handles& h = handles();
  std::lock_guard<std::mutex> lock(h.mu);
  for (std::size_t i = 0; i < h.per_device.size(); ++i) {
    if (!h.per_device[i]) continue;
    if (cudaSetDevice(static_cast<int>(i)) == cudaSuccess) (void)cudnnDestroy(h.per_device[i]);
    h.per_device[i] = nullptr;
  }
  (void)cudaGetLastError();
}

void ensure_mutexes(Handles& h) {  // under h.mu
  while (h.in_use.size() < static_cast<std::size_t>(device_count())) h.in_use.push_back(std::make_unique<std::mutex>());
}

}  // namespace

std::mutex& cudnn_mutex(int index) {
  (void)stream(index);  // checks the index
  Handles& h = handles();
  std::lock_guard<std::mutex> lock(h.mu);
  ensure_mutexes(h);
  return *h.in_use[static_cast<std::size_t>(index)];
}

cudnnHandle_t cudnn_handle(int index) {
  cudaStream_t s = stream(index);  // checks the index; creates the stream on first use
  set_device(index);
  Handles& h = handles();
  std::lock_guard<std::mutex> lock(h.mu);
  if (h.per_device.empty()) {
    h.per_device.resize(static_cast<std::size_t>(device_count()), nullptr);
    std::atexit(destroy_all);
  }
  ensure_mutexes(h);
  cudnnHandle_t& handle = h.per_device[static_cast<std::size_t>(index)];
  if (!handle) {
    cudnnHandle_t created = nullptr;
    TF_CUDNN_CHECK(cudnnCreate(&created));
    cudnnStatus_t st = cudnnSetStream(created, s);
    if (st != CUDNN_STATUS_SUCCESS) {
      (void)cudnnDestroy(created);
      throw_cudnn_error(st, "cudnnSetStream(handle, stream)", __FILE__, __LINE__);
    }
    handle = created;
  }
  return handle;
}

std::size_t cudnn_runtime_version() noexcept { return cudnnGetVersion(); }

}  // namespace tapeflow::cuda
#endif  // TAPEFLOW_HAS_CUDNN
