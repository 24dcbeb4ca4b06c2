// DataPtr (a device buffer with its deleter), the Allocator interface each device implements,
// and Storage, the refcounted buffer a Tensor views.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "tapeflow/core/device.h"

namespace tapeflow {

/// An owned device buffer: pointer, the context its deleter needs, and where it lives.
class DataPtr {
 public:
  using Deleter = void (*)(void* ctx, void* ptr, std::size_t nbytes);
  DataPtr() = default;
  DataPtr(void* ptr, std::size_t nbytes, Device device, Deleter deleter, void* ctx)
      : ptr_(ptr), nbytes_(nbytes), device_(device), deleter_(deleter), ctx_(ctx) {}
  DataPtr(DataPtr&& o) noexcept { *this = std::move(o); }
  DataPtr& operator=(DataPtr&& o) noexcept {
    if (this != &o) {
      reset();
      ptr_ = std::exchange(o.ptr_, nullptr);
      nbytes_ = std::exchange(o.nbytes_, 0);
      device_ = o.device_;
      deleter_ = std::exchange(o.deleter_, nullptr);
      ctx_ = std::exchange(o.ctx_, nullptr);
    }
    return *this;
  }
  DataPtr(const DataPtr&) = delete;
  DataPtr& operator=(const DataPtr&) = delete;
  ~DataPtr() { reset(); }
  void reset() noexcept {
    if (deleter_ && ptr_) deleter_(ctx_, ptr_, nbytes_);
    ptr_ = nullptr;
    deleter_ = nullptr;
  }
  void* get() const noexcept { return ptr_; }
  std::size_t nbytes() const noexcept { return nbytes_; }
  Device device() const noexcept { return device_; }

 private:
  void* ptr_ = nullptr;
  std::size_t nbytes_ = 0;
  Device device_;
  Deleter deleter_ = nullptr;
  void* ctx_ = nullptr;
};

/// Memory statistics of one device's allocator (tf.config.experimental.get_memory_info).
struct MemoryInfo {
  int64_t current = 0;       // bytes in live tensors
  int64_t peak = 0;          // highest `current` since the last reset_memory_stats
  int64_t live_buffers = 0;  // number of live allocations
  int64_t cached = 0;        // bytes held by the allocator's cache, free for reuse
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  /// Returns a buffer of at least nbytes (nbytes may be 0), or throws ResourceExhaustedError.
  virtual DataPtr allocate(std::size_t nbytes) = 0;
  virtual MemoryInfo memory_info() const = 0;
  virtual void reset_peak() = 0;
  /// Frees cached (unused) blocks back to the system.
  virtual void empty_cache() {}
};

/// The host allocator: 64-byte aligned, caching. Requests are rounded up to a size class and
/// freed blocks are kept for reuse (up to 2 GiB), so repeated temporaries neither go through
/// malloc nor page-fault on every op; empty_cache() returns them to the system.
Allocator* cpu_allocator();

namespace internal {
/// The bytes cpu_allocator() reserves for a request of nbytes (its size class).
std::size_t cpu_allocation_size(std::size_t nbytes);
}  // namespace internal

/// A contiguous buffer on one device. For string tensors it holds constructed std::string objects.
struct Storage {
  DataPtr data;
  std::size_t nbytes = 0;
  Device device() const noexcept { return data.device(); }
};

}  // namespace tapeflow
