// The host allocator: a caching allocator over aligned malloc, as the CUDA one is over cudaMalloc.
// Every request is rounded up to a size class (64-byte steps up to 512 bytes, then four classes
// per power of two, so at most 25% is wasted) and a freed block goes to its class's free list
// instead of back to glibc. Without it an MLP step page-faults on every fresh buffer: glibc gives
// blocks of a few hundred KiB back to the kernel (mmap threshold and heap trimming), and touching
// them again costs more than the op that writes them. The cache holds at most kMaxCachedBytes;
// empty_cache() and an allocation failure return it to the system.
#include <array>
#include <bit>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "tapeflow/core/allocator.h"
#include "tapeflow/core/errors.h"

namespace tapeflow {
namespace {

constexpr std::size_t kAlignment = 64;  // a cache line; also what AVX-512 loads like
constexpr std::size_t kSmallLimit = 512;
constexpr std::size_t kMaxCachedBytes = std::size_t(2) << 30;
constexpr int kSubclasses = 4;  // classes per power of two above kSmallLimit
constexpr int kSmallClasses = kSmallLimit / kAlignment;
constexpr int kNumClasses = kSmallClasses + 64 * kSubclasses;

struct SizeClass {
  int index;
  std::size_t bytes;
};

// The class of a request: 64, 128, ..., 512, then 2^k * (1 + j/4) for j = 1..4 (640, 768, 896,
// 1024, 1280, ...). Sizes beyond what the address space allows fall through to the OOM path.
SizeClass size_class(std::size_t nbytes) {
  if (nbytes <= kSmallLimit) {
    const std::size_t units = std::max<std::size_t>(1, (nbytes + kAlignment - 1) / kAlignment);
    return {static_cast<int>(units) - 1, units * kAlignment};
  }
  const int k = std::bit_width(nbytes - 1) - 1;  // 2^k < nbytes <= 2^(k+1)
  const std::size_t step = std::size_t(1) << (k - 2);
  const std::size_t j = (nbytes - (std::size_t(1) << k) + step - 1) / step;  // 1..4
  return {kSmallClasses + (k - 9) * kSubclasses + static_cast<int>(j) - 1, (std::size_t(1) << k) + j * step};
}

class CpuAllocator final : public Allocator {
 public:
  DataPtr allocate(std::size_t nbytes) override {
    if (nbytes > (std::size_t(1) << 62))
      TF_THROW(ResourceExhaustedError, "", "OOM when allocating ", nbytes, " bytes on CPU:0");
    const SizeClass c = size_class(nbytes);
    void* p = take_cached(c);
    if (!p) {
      p = std::aligned_alloc(kAlignment, c.bytes);
      if (!p) {
        empty_cache();
        p = std::aligned_alloc(kAlignment, c.bytes);
      }
      if (!p)
        TF_THROW(ResourceExhaustedError, "", "OOM when allocating ", nbytes, " bytes on CPU:0 (", current_.load(),
                 " bytes in use)");
    }
    const auto bytes = static_cast<int64_t>(c.bytes);
    const int64_t cur = current_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
    live_.fetch_add(1, std::memory_order_relaxed);
    int64_t pk = peak_.load(std::memory_order_relaxed);
    while (cur > pk && !peak_.compare_exchange_weak(pk, cur, std::memory_order_relaxed)) {}
    return DataPtr(p, c.bytes, kCPU0, &CpuAllocator::release, this);
  }

  MemoryInfo memory_info() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return {current_.load(), peak_.load(), live_.load(), static_cast<int64_t>(cached_bytes_)};
  }
  void reset_peak() override { peak_.store(current_.load()); }
  void empty_cache() override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& blocks : free_)
      for (void* p : blocks) std::free(p);
    for (auto& blocks : free_) std::vector<void*>().swap(blocks);
    cached_bytes_ = 0;
  }

 private:
  static void release(void* ctx, void* ptr, std::size_t nbytes) {
    auto* self = static_cast<CpuAllocator*>(ctx);
    self->current_.fetch_sub(static_cast<int64_t>(nbytes), std::memory_order_relaxed);
    self->live_.fetch_sub(1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      if (self->cached_bytes_ + nbytes <= kMaxCachedBytes) {
        self->free_[size_class(nbytes).index].push_back(ptr);  // nbytes is a class size
        self->cached_bytes_ += nbytes;
        return;
      }
    }
    std::free(ptr);
  }
  void* take_cached(const SizeClass& c) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& blocks = free_[c.index];
    if (blocks.empty()) return nullptr;
    void* p = blocks.back();  // the most recently freed block: its pages are likely still in cache
    blocks.pop_back();
    cached_bytes_ -= c.bytes;
    return p;
  }

  std::atomic<int64_t> current_{0}, peak_{0}, live_{0};
  mutable std::mutex mu_;
  std::array<std::vector<void*>, kNumClasses> free_;
  std::size_t cached_bytes_ = 0;
};

}  // namespace

namespace internal {
std::size_t cpu_allocation_size(std::size_t nbytes) { return size_class(nbytes).bytes; }
}  // namespace internal

Allocator* cpu_allocator() {
  static CpuAllocator* instance = new CpuAllocator();  // never destroyed: tensors may outlive main
  return instance;
}

}  // namespace tapeflow
