// Stream capture into CUDA graphs (core/graph_capture.h): begin routes the capturing thread's
// allocations to a private pool of the device's CachingAllocator (Note [CUDA-graph pools]) and
// starts a thread-local capture of the device's one stream (calls of this thread that may
// synchronize with the host fail and invalidate the recording instead of reading memory no
// recorded kernel wrote; the allocator's cudaMalloc is let through); end instantiates the graph,
// or, when the capture was invalidated, ends it, clears the error and releases the pool.
#include "tapeflow/cuda/cuda_graph.h"

#include <mutex>
#include <vector>

#include "tapeflow/core/device_backend.h"
#include "tapeflow/core/graph_capture.h"
#include "tapeflow/cuda/caching_allocator.h"
#include "tapeflow/cuda/cuda_check.h"
#include "tapeflow/cuda/cuda_context.h"

namespace tapeflow::cuda {
namespace {

CachingAllocator& allocator_of(int index) {
  auto* a = dynamic_cast<CachingAllocator*>(device_backend(DeviceType::kGPU)->allocator(index));
  TF_CHECK_TYPED(a != nullptr, InternalError, "", "GPU:", index, " has no caching allocator");
  return *a;
}

class CudaGraphWork final : public CapturedWork {
 public:
  CudaGraphWork(int device, cudaGraph_t graph, cudaGraphExec_t exec, int pool)
      : device_(device), graph_(graph), exec_(exec), pool_(pool) {}
  ~CudaGraphWork() override {
    set_device(device_);
    // Destroying an instantiated graph whose launch still runs is safe (CUDA waits for it); the
    // pool's blocks are then reused by work queued after it on the same stream.
    (void)cudaGraphExecDestroy(exec_);
    (void)cudaGraphDestroy(graph_);
    allocator_of(device_).release_private_pool(pool_);
  }
  void replay() override {
    set_device(device_);
    TF_CUDA_CHECK(cudaGraphLaunch(exec_, stream(device_)));
  }

 private:
  int device_;
  cudaGraph_t graph_;
  cudaGraphExec_t exec_;
  int pool_;
};

class CudaGraphCapture final : public GraphCaptureBackend {
 public:
  void begin(int index) override {
    CachingAllocator& alloc = allocator_of(index);
    std::lock_guard<std::mutex> lock(mu_);
    if (pools_.size() <= static_cast<std::size_t>(index)) pools_.resize(static_cast<std::size_t>(index) + 1, 0);
    set_device(index);
    const int pool = alloc.begin_private_pool();
    const cudaError_t st = cudaStreamBeginCapture(stream(index), cudaStreamCaptureModeThreadLocal);
    if (st != cudaSuccess) {
      (void)cudaGetLastError();
      alloc.release_private_pool(pool);
      throw_cuda_error(st, "cudaStreamBeginCapture", __FILE__, __LINE__);
    }
    pools_[static_cast<std::size_t>(index)] = pool;
  }

  std::unique_ptr<CapturedWork> end(int index) override {
    CachingAllocator& alloc = allocator_of(index);
    int pool = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (static_cast<std::size_t>(index) < pools_.size()) pool = std::exchange(pools_[static_cast<std::size_t>(index)], 0);
    }
    alloc.end_pool_routing();
    set_device(index);
    cudaGraph_t graph = nullptr;
    cudaError_t st = cudaStreamEndCapture(stream(index), &graph);
    cudaGraphExec_t exec = nullptr;
    if (st == cudaSuccess && graph != nullptr) st = cudaGraphInstantiate(&exec, graph, 0);
    if (st != cudaSuccess || graph == nullptr) {
      // Invalidated (a host synchronization, an unsupported call, an error while recording):
      // the capture is over either way; clear the non-sticky error so the device goes on.
      (void)cudaGetLastError();
      if (graph) (void)cudaGraphDestroy(graph);
      alloc.release_private_pool(pool);
      return nullptr;
    }
    return std::make_unique<CudaGraphWork>(index, graph, exec, pool);
  }

 private:
  std::mutex mu_;
  std::vector<int> pools_;  // device -> the pool of its recording in progress (0: none)
};

}  // namespace

void register_cuda_graph_capture() {
  static CudaGraphCapture* backend = new CudaGraphCapture();  // never destroyed, as the device backend
  register_graph_capture_backend(DeviceType::kGPU, backend);
}

}  // namespace tapeflow::cuda
