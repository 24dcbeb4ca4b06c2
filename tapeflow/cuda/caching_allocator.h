// The caching, stream-ordered device allocator (one per GPU). Freed blocks go back to size-class
// bins and are handed to the next request of their class without cudaMalloc/cudaFree; because
// every op of a device runs on its one stream (Note [One stream per device]), a block freed on
// the host may be reused at once: the reuse is queued after the last kernel that touched it.
#pragma once
#include <cstddef>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "tapeflow/core/allocator.h"

namespace tapeflow::cuda {

class CachingAllocator final : public Allocator {
 public:
  explicit CachingAllocator(int device_index);
  /// Throws ResourceExhaustedError (with the sizes) when the device is full even after the cache
  /// was emptied; the allocator stays usable.
  DataPtr allocate(std::size_t nbytes) override;
  MemoryInfo memory_info() const override;
  void reset_peak() override;
  /// Returns every fully free cached block/segment to the driver.
  void empty_cache() override;

  /// Size classes (why: the GPU's 512-byte alignment keeps vector loads aligned; 2 MiB is the
  /// driver's large-page granularity, so rounding there wastes no device memory).
  static constexpr std::size_t kSmallLimit = std::size_t(1) << 20;    // <= 1 MiB: small pool
  static constexpr std::size_t kSegmentBytes = std::size_t(2) << 20;  // small blocks are cut from these
  static constexpr std::size_t kMinBlock = 512;
  /// The size a request of nbytes is served with.
  static std::size_t round_size(std::size_t nbytes) noexcept;

  // Note [CUDA-graph pools]: a captured CUDA graph replays the addresses its recording used, so
  // every block allocated while recording belongs to the graph's private pool for the graph's
  // life (PyTorch's graph pools): freed, it goes back to that pool, never to the shared bins,
  // and only the recording (and its replays, in the same order on the same stream) reuses it.
  // When the graph is destroyed the pool's free blocks return to the shared bins, and its live
  // ones when they are freed.
  /// Routes the calling thread's allocations to a new private pool until end_pool_routing();
  /// returns the pool's id (> 0). One routing at a time per device.
  int begin_private_pool();
  void end_pool_routing();
  /// The pool's graph is gone: its blocks go back to the shared bins (see the Note).
  void release_private_pool(int pool);
  /// The private pool holding the block at ptr (0: a shared block, or not this allocator's).
  int pool_of(const void* ptr) const;

 private:
  struct Segment {
    char* base = nullptr;
    std::size_t block = 0;  // block size of its class
    int free_blocks = 0;
  };
  static void release(void* ctx, void* ptr, std::size_t nbytes);
  void free_block(void* ptr, std::size_t nbytes);
  // `requested` is the caller's size, for the out-of-memory message (the user asked for it, not
  // for the rounded block).
  void* take_small(std::size_t rounded, std::size_t requested);
  void* take_large(std::size_t& rounded, std::size_t requested);   // sets `rounded` to the block's size
  void* device_malloc(std::size_t nbytes, std::size_t requested);  // cudaMalloc; on OOM empties the cache and retries
  void empty_cache_locked();
  [[noreturn]] void throw_oom(std::size_t requested, std::size_t rounded);

  int device_;
  mutable std::mutex mu_;
  // Small pool: a free list per power-of-two class (512 B .. 1 MiB), blocks cut from 2 MiB segments.
  std::vector<std::vector<void*>> small_free_;
  std::map<char*, Segment> segments_;  // keyed by base, to find a block's segment
  // Large pool: whole cudaMalloc blocks keyed by size (best fit).
  std::multimap<std::size_t, void*> large_free_;
  int64_t current_ = 0, peak_ = 0, live_ = 0, cached_ = 0, reserved_ = 0;
  // Private pools (Note [CUDA-graph pools]): free blocks by size, and each pooled block's pool.
  std::unordered_map<int, std::multimap<std::size_t, void*>> pool_free_;
  std::unordered_map<const void*, int> block_pool_;
  int routing_pool_ = 0, next_pool_ = 1;
  std::thread::id routing_thread_;
  void* take_pooled(std::size_t& rounded, std::size_t requested);  // from the routing pool, or new for it
  void give_back_shared(void* ptr, std::size_t nbytes);           // into the shared bins
};

}  // namespace tapeflow::cuda
