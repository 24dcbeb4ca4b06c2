#include "tapeflow/cuda/cuda_context.h"

#include <memory>
#include <mutex>
#include <vector>

#include "tapeflow/cuda/cublas_lock.h"
#include "tapeflow/cuda/cuda_check.h"

namespace tapeflow::cuda {
namespace {

struct DeviceState {
  std::once_flag once;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  std::once_flag cublas_once;
  std::mutex cublas_mu;
  cudaDeviceProp props{};
};

struct Discovery {
  int count = 0;
  std::string error;
  std::vector<std::unique_ptr<DeviceState>> devices;
};

const Discovery& discovery() {
  static const Discovery* d = [] {
    auto* out = new Discovery();  // never destroyed: tensors freed after main still need streams
    int n = 0;
    cudaError_t st = cudaGetDeviceCount(&n);
    if (st != cudaSuccess) {
      out->error = std::string(cudaGetErrorName(st)) + ": " + cudaGetErrorString(st);
      (void)cudaGetLastError();
      n = 0;
    }
    out->count = n;
    for (int i = 0; i < n; ++i) {
      out->devices.push_back(std::make_unique<DeviceState>());
      if (cudaGetDeviceProperties(&out->devices.back()->props, i) != cudaSuccess) (void)cudaGetLastError();
    }
    return out;
  }();
  return *d;
}

thread_local int t_current_device = -1;

DeviceState& state(int index) {
  const Discovery& d = discovery();
  TF_CHECK_ARG(index >= 0 && index < d.count, "", "GPU:", index, " does not exist (", d.count, " CUDA devices found",
               d.error.empty() ? "" : "; " + d.error, ")");
  DeviceState& s = *d.devices[static_cast<std::size_t>(index)];
  std::call_once(s.once, [&] {
    set_device(index);
    TF_CUDA_CHECK(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking));
  });
  return s;
}

}  // namespace

int device_count() noexcept { return discovery().count; }
const std::string& discovery_error() noexcept { return discovery().error; }

void set_device(int index) {
  if (t_current_device == index) return;
  TF_CUDA_CHECK(cudaSetDevice(index));
  t_current_device = index;
}

cudaStream_t stream(int index) { return state(index).stream; }

cublasHandle_t cublas_handle(int index) {
  DeviceState& s = state(index);
  std::call_once(s.cublas_once, [&] {
    set_device(index);
    TF_CUBLAS_CHECK(cublasCreate(&s.cublas));
    TF_CUBLAS_CHECK(cublasSetStream(s.cublas, s.stream));
  });
  return s.cublas;
}

std::mutex& cublas_mutex(int index) { return state(index).cublas_mu; }

const cudaDeviceProp& properties(int index) {
  const Discovery& d = discovery();
  TF_CHECK_ARG(index >= 0 && index < d.count, "", "GPU:", index, " does not exist");
  return d.devices[static_cast<std::size_t>(index)]->props;
}

void synchronize(int index) {
  cudaStream_t s = stream(index);
  set_device(index);
  TF_CUDA_CHECK(cudaStreamSynchronize(s));
}

}  // namespace tapeflow::cuda
