// The host allocator. Small blocks go straight to aligned malloc. Blocks of 1 MiB and more are
// kept in a size-keyed cache after free: glibc returns such blocks to the kernel with munmap,
// and touching a fresh 64 MiB output then costs more page faults than the op itself.
#include <cstdlib>
#include <map>
#include <mutex>

#include "tapeflow/core/allocator.h"
#include "tapeflow/core/errors.h"

namespace tapeflow {
namespace {

constexpr std::size_t kAlignment = 64;            // a cache line; also what AVX-512 loads like
constexpr std::size_t kCacheThreshold = 1 << 20;  // below this malloc is fast enough
constexpr std::size_t kMaxCachedBytes = std::size_t(2) << 30;

class CpuAllocator final : public Allocator {
 public:
  DataPtr allocate(std::size_t nbytes) override {
    std::size_t rounded = (nbytes + kAlignment - 1) / kAlignment * kAlignment;
    if (rounded == 0) rounded = kAlignment;
    void* p = nullptr;
    if (rounded >= kCacheThreshold) p = take_cached(rounded);  // may round `rounded` up
    if (!p) {
      p = std::aligned_alloc(kAlignment, rounded);
      if (!p) {
        empty_cache();
        p = std::aligned_alloc(kAlignment, rounded);
      }
      if (!p)
        TF_THROW(ResourceExhaustedError, "", "OOM when allocating ", nbytes, " bytes on CPU:0 (",
                 current_.load(), " bytes in use)");
    }
    int64_t cur = current_.fetch_add(static_cast<int64_t>(rounded), std::memory_order_relaxed) +
                  static_cast<int64_t>(rounded);
    live_.fetch_add(1, std::memory_order_relaxed);
    int64_t pk = peak_.load(std::memory_order_relaxed);
    while (cur > pk && !peak_.compare_exchange_weak(pk, cur, std::memory_order_relaxed)) {}
    return DataPtr(p, rounded, kCPU0, &CpuAllocator::release, this);
  }

  MemoryInfo memory_info() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return {current_.load(), peak_.load(), live_.load(), static_cast<int64_t>(cached_bytes_)};
  }
  void reset_peak() override { peak_.store(current_.load()); }
  void empty_cache() override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [size, ptr] : cache_) std::free(ptr);
    cache_.clear();
    cached_bytes_ = 0;
  }

 private:
  static void release(void* ctx, void* ptr, std::size_t nbytes) {
    auto* self = static_cast<CpuAllocator*>(ctx);
    self->current_.fetch_sub(static_cast<int64_t>(nbytes), std::memory_order_relaxed);
    self->live_.fetch_sub(1, std::memory_order_relaxed);
    if (nbytes >= kCacheThreshold) {
      std::lock_guard<std::mutex> lock(self->mu_);
      if (self->cached_bytes_ + nbytes <= kMaxCachedBytes) {
        self->cache_.emplace(nbytes, ptr);
        self->cached_bytes_ += nbytes;
        return;
      }
    }
    std::free(ptr);
  }
  void* take_cached(std::size_t& nbytes) {
    std::lock_guard<std::mutex> lock(mu_);
    // Exact size, or a block at most 25% larger, so a small request does not pin a huge block.
    auto it = cache_.lower_bound(nbytes);
    if (it == cache_.end() || it->first > nbytes + nbytes / 4) return nullptr;
    void* p = it->second;
    cached_bytes_ -= it->first;
    nbytes = it->first;
    cache_.erase(it);
    return p;
  }

  std::atomic<int64_t> current_{0}, peak_{0}, live_{0};
  mutable std::mutex mu_;
  std::multimap<std::size_t, void*> cache_;
  std::size_t cached_bytes_ = 0;
};

}  // namespace

Allocator* cpu_allocator() {
  static CpuAllocator* instance = new CpuAllocator();  // never destroyed: tensors may outlive main
  return instance;
}

}  // namespace tapeflow
