// CudaBackend: discovery for tf::config::list_physical_devices, per-device caching allocators,
// and host<->device copies through pinned staging buffers (why: a copy from pinned memory is
// asynchronous and runs at full PCIe/NVLink speed; a pageable one blocks the host on a driver
// bounce buffer).
#include "tapeflow/cuda/cuda_backend.h"
#include "tapeflow/cuda/cuda_graph.h"

#include <array>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "tapeflow/core/device_backend.h"
#include "tapeflow/cuda/caching_allocator.h"
#include "tapeflow/cuda/cuda_check.h"
#include "tapeflow/cuda/cuda_context.h"
#include "tapeflow/cuda/event.h"

namespace tapeflow::cuda {
namespace {

/// A small ring of pinned host buffers, each guarded by an event recorded after its last copy.
class PinnedStaging {
 public:
  static constexpr std::size_t kChunk = std::size_t(4) << 20;  // big enough to reach full copy speed
  static constexpr int kBuffers = 4;

  explicit PinnedStaging(int device) : device_(device) {}

  void to_device(void* dst, const void* src, std::size_t nbytes, cudaStream_t s) {
    std::lock_guard<std::mutex> lock(mu_);
    init();
    for (std::size_t done = 0; done < nbytes; done += kChunk) {
      std::size_t n = std::min(kChunk, nbytes - done);
      Buffer& b = buffers_[next_++ % kBuffers];
      b.ready.synchronize();  // its previous copy has left the buffer
      std::memcpy(b.host, static_cast<const char*>(src) + done, n);
      TF_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(dst) + done, b.host, n, cudaMemcpyHostToDevice, s));
      b.ready.record(s);
    }
  }

  void to_host(void* dst, const void* src, std::size_t nbytes, cudaStream_t s) {
    std::lock_guard<std::mutex> lock(mu_);
    init();
    for (std::size_t done = 0; done < nbytes; done += kChunk) {
      std::size_t n = std::min(kChunk, nbytes - done);
      Buffer& b = buffers_[next_++ % kBuffers];
      b.ready.synchronize();
      TF_CUDA_CHECK(cudaMemcpyAsync(b.host, static_cast<const char*>(src) + done, n, cudaMemcpyDeviceToHost, s));
      b.ready.record(s);
      b.ready.synchronize();
      std::memcpy(static_cast<char*>(dst) + done, b.host, n);
    }
  }

 private:
  struct Buffer {
    void* host = nullptr;
    Event ready;
  };
  void init() {
    if (initialized_) return;
    set_device(device_);
    for (Buffer& b : buffers_) {
      TF_CUDA_CHECK(cudaHostAlloc(&b.host, kChunk, cudaHostAllocPortable));
      b.ready = Event(Event::Timing::kDisabled);
    }
    initialized_ = true;
  }

  int device_;
  std::mutex mu_;
  bool initialized_ = false;
  std::size_t next_ = 0;
  std::array<Buffer, kBuffers> buffers_;
};

class CudaBackend final : public DeviceBackend {
 public:
  CudaBackend() {
    for (int i = 0; i < device_count(); ++i) {
      allocators_.push_back(std::make_unique<CachingAllocator>(i));
      staging_.push_back(std::make_unique<PinnedStaging>(i));
    }
  }
  DeviceType type() const override { return DeviceType::kGPU; }
  int device_count() const override { return static_cast<int>(allocators_.size()); }

  std::vector<PhysicalDevice> physical_devices() const override {
    std::vector<PhysicalDevice> out;
    for (int i = 0; i < device_count(); ++i) {
      const cudaDeviceProp& p = properties(i);
      PhysicalDevice d;
      d.name = "/physical_device:GPU:" + std::to_string(i);
      d.device_type = "GPU";
      d.details["device_name"] = p.name;
      d.details["compute_capability"] = std::to_string(p.major) + "." + std::to_string(p.minor);
      d.details["memory_bytes"] = std::to_string(p.totalGlobalMem);
      d.details["multiprocessors"] = std::to_string(p.multiProcessorCount);
      out.push_back(std::move(d));
    }
    return out;
  }

  Allocator* allocator(int index) override { return allocators_.at(static_cast<std::size_t>(index)).get(); }

  void copy(void* dst, Device dst_device, const void* src, Device src_device, std::size_t nbytes) override {
    if (nbytes == 0) return;
    if (dst_device.is_gpu() && src_device.is_gpu()) {
      cudaStream_t s = cuda::stream(dst_device.index());
      set_device(dst_device.index());
      if (dst_device == src_device) {
        TF_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice, s));
      } else {
        peer_copy(dst, dst_device.index(), src, src_device.index(), nbytes);
      }
    } else if (dst_device.is_gpu()) {
      int i = dst_device.index();
      set_device(i);
      staging_[static_cast<std::size_t>(i)]->to_device(dst, src, nbytes, cuda::stream(i));
    } else {
      int i = src_device.index();
      set_device(i);
      staging_[static_cast<std::size_t>(i)]->to_host(dst, src, nbytes, cuda::stream(i));
    }
  }

  void synchronize(int index) override { cuda::synchronize(index); }
  void* stream(int index) override { return cuda::stream(index); }

 private:
  // Note [Cross-device copies]
  // A peer copy runs on the destination's stream, but the source buffer belongs to the source
  // device's stream (Note [One stream per device]): its pending writes are queued there, and
  // once the caller drops the source tensor its block may be handed to the next op on that
  // stream. So the copy waits for an event recorded on the source stream, and the source
  // stream waits for an event recorded after the copy: neither side blocks the host.
  static void peer_copy(void* dst, int dst_index, const void* src, int src_index, std::size_t nbytes) {
    cudaStream_t src_stream = cuda::stream(src_index), dst_stream = cuda::stream(dst_index);
    set_device(src_index);
    Event src_ready(Event::Timing::kDisabled);  // an event is recorded on its own device's stream
    src_ready.record(src_stream);
    set_device(dst_index);
    src_ready.wait_on(dst_stream);
    TF_CUDA_CHECK(cudaMemcpyPeerAsync(dst, dst_index, src, src_index, nbytes, dst_stream));
    Event copied(Event::Timing::kDisabled);
    copied.record(dst_stream);
    set_device(src_index);
    copied.wait_on(src_stream);
    set_device(dst_index);
    // Destroying a recorded event is safe: CUDA releases it once the work it marks is done.
  }

  std::vector<std::unique_ptr<CachingAllocator>> allocators_;
  std::vector<std::unique_ptr<PinnedStaging>> staging_;
};

}  // namespace

void register_cuda_backend() {
  static CudaBackend* backend = new CudaBackend();  // never destroyed: tensors may outlive main
  register_device_backend(backend);
  register_cuda_graph_capture();
}

}  // namespace tapeflow::cuda
