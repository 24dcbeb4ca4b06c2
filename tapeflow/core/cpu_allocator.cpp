// The host allocator: a caching allocator over aligned malloc, as the CUDA one is over cudaMalloc.
// Every request is rounded up to a size class (64-byte steps up to 512 bytes, then four classes
// per power of two, so at most 25% is wasted) and a freed block goes to its class's free list
// instead of back to glibc. Without it an MLP step page-faults on every fresh buffer: glibc gives
// blocks of a few hundred KiB back to the kernel (mmap threshold and heap trimming), and touching
// them again costs more than the op that writes them. The cache holds at most kMaxCachedBytes;
// empty_cache() and an allocation failure return it to the system.
//
// Note [Huge pages for large host buffers]
// Blocks of 2 MiB or more are mapped by the allocator itself (mmap), 2 MiB-aligned, and advised
// MADV_HUGEPAGE: where transparent huge pages are in `madvise` mode (the usual distribution and
// cloud default), that is what makes the kernel back them with 2 MiB pages. 4 KiB pages cost a
// page fault per 4 KiB on first touch (32768 for a 128 MB tensor, against 64), a TLB miss per
// 4 KiB while streaming (a two-level walk under nested paging in a VM), and stop the hardware
// prefetcher at every page boundary. On the 2-core VM (load ~15), one thread's CPU time on an
// (8192, 4096) float32 tensor (bench/ops_cpu_time, A/B with the switch below, same binary):
// reduce_sum 13.2-13.4 -> 8.3-8.5 ms, reduce_max 14.7-15.3 -> 8.2-8.3, argmax 16.5-16.7 ->
// 8.9-9.4, x + b 18.5-20.2 -> 14.1-14.3, cast 26.3-27.5 -> 19.6; a fresh 128 MB tf::ones
// (ops_bench fresh_ones) 331-388 -> 104 ms wall, 32768 -> 64 page faults. PyTorch's
// host allocator advises nothing unless THP_MEM_ALLOC_ENABLE=1. The cost: a huge page is backed
// whole on first touch, so a block's size-class rounding (at most 25%, already counted in
// memory_info) becomes resident where it ends inside a touched 2 MiB page. Smaller blocks keep
// aligned_alloc and 4 KiB pages (no effect on small tensors). TAPEFLOW_CPU_HUGE_PAGES=0 in the
// environment, or internal::set_cpu_huge_pages_enabled(false), maps large blocks without the
// advice (the same mmap and alignment: an A/B of the page size alone).
#include <sys/mman.h>

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "tapeflow/core/allocator.h"
#include "tapeflow/core/cpu_allocator.h"
#include "tapeflow/core/errors.h"

namespace tapeflow {
namespace {

constexpr std::size_t kAlignment = 64;  // a cache line; also what AVX-512 loads like
constexpr std::size_t kSmallLimit = 512;
constexpr std::size_t kMaxCachedBytes = std::size_t(2) << 30;
constexpr int kSubclasses = 4;  // classes per power of two above kSmallLimit
constexpr int kSmallClasses = kSmallLimit / kAlignment;
constexpr int kNumClasses = kSmallClasses + 64 * kSubclasses;
constexpr std::size_t kHugePage = std::size_t(2) << 20;  // x86-64's PMD size: the THP size
constexpr std::size_t kPage = 4096;

/// On unless TAPEFLOW_CPU_HUGE_PAGES is "0" (or "false").
bool huge_pages_by_environment() {
  const char* v = std::getenv("TAPEFLOW_CPU_HUGE_PAGES");
  return v == nullptr || (std::string(v) != "0" && std::string(v) != "false");
}
std::atomic<bool> g_huge_pages{huge_pages_by_environment()};

/// A block of `bytes` (a class size) from the system: mmap'ed and 2 MiB-aligned from kHugePage
/// up (Note [Huge pages for large host buffers]), aligned_alloc below. nullptr when out of memory.
void* system_allocate(std::size_t bytes) {
  if (bytes < kHugePage) return std::aligned_alloc(kAlignment, bytes);
  const std::size_t len = (bytes + kPage - 1) & ~(kPage - 1);
  // Over-map by one huge page and unmap the ends: mmap itself aligns only to 4 KiB (the kernel's
  // own THP alignment covers lengths that are multiples of 2 MiB only).
  void* raw = mmap(nullptr, len + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const auto r = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t a = (r + kHugePage - 1) & ~(kHugePage - 1);
  if (a > r) munmap(raw, a - r);
  if (r + len + kHugePage > a + len) munmap(reinterpret_cast<void*>(a + len), r + len + kHugePage - (a + len));
  void* p = reinterpret_cast<void*>(a);
  // Advice only: a kernel without THP (or with it `never`) answers EINVAL and keeps 4 KiB pages.
  if (g_huge_pages.load(std::memory_order_relaxed)) madvise(p, len, MADV_HUGEPAGE);
  return p;
}
void system_free(void* p, std::size_t bytes) {
  if (bytes < kHugePage)
    std::free(p);
  else
    munmap(p, (bytes + kPage - 1) & ~(kPage - 1));
}

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
/// The bytes of class `index` (size_class's inverse).
std::size_t class_bytes(int index) {
  if (index < kSmallClasses) return static_cast<std::size_t>(index + 1) * kAlignment;
  const int k = (index - kSmallClasses) / kSubclasses + 9;
  const auto j = static_cast<std::size_t>((index - kSmallClasses) % kSubclasses + 1);
  return (std::size_t(1) << k) + j * (std::size_t(1) << (k - 2));
}

class CpuAllocator final : public Allocator {
 public:
  DataPtr allocate(std::size_t nbytes) override {
    if (nbytes > (std::size_t(1) << 62))
      TF_THROW(ResourceExhaustedError, "", "OOM when allocating ", nbytes, " bytes on CPU:0");
    const SizeClass c = size_class(nbytes);
    void* p = take_cached(c);
    if (!p) {
      p = system_allocate(c.bytes);
      if (!p) {
        empty_cache();
        p = system_allocate(c.bytes);
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
    for (int k = 0; k < kNumClasses; ++k) {
      auto& blocks = free_[static_cast<std::size_t>(k)];
      for (void* p : blocks) system_free(p, class_bytes(k));
      std::vector<void*>().swap(blocks);
    }
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
    system_free(ptr, nbytes);
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
void set_cpu_huge_pages_enabled(bool enabled) noexcept { g_huge_pages.store(enabled, std::memory_order_relaxed); }
bool cpu_huge_pages_enabled() noexcept { return g_huge_pages.load(std::memory_order_relaxed); }
}  // namespace internal

Allocator* cpu_allocator() {
  static CpuAllocator* instance = new CpuAllocator();  // never destroyed: tensors may outlive main
  return instance;
}

}  // namespace tapeflow
