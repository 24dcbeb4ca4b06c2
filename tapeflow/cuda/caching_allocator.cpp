#include "tapeflow/cuda/caching_allocator.h"

#include <algorithm>
#include <bit>
#include <limits>

#include "tapeflow/cuda/cuda_check.h"
#include "tapeflow/cuda/cuda_context.h"

namespace tapeflow::cuda {
namespace {
constexpr int kNumSmallClasses = 12;  // 512 B .. 1 MiB, powers of two

int small_class(std::size_t rounded) {
  return std::countr_zero(rounded) - std::countr_zero(CachingAllocator::kMinBlock);
}
std::string mib(int64_t bytes) { return detail::str_cat(static_cast<double>(bytes) / (1 << 20), " MiB"); }
}  // namespace

CachingAllocator::CachingAllocator(int device_index) : device_(device_index), small_free_(kNumSmallClasses) {}

std::size_t CachingAllocator::round_size(std::size_t nbytes) noexcept {
  if (nbytes <= kMinBlock) return kMinBlock;
  if (nbytes <= kSmallLimit) return std::bit_ceil(nbytes);
  if (nbytes > std::numeric_limits<std::size_t>::max() - kSegmentBytes) return 0;  // caller reports OOM
  return (nbytes + kSegmentBytes - 1) / kSegmentBytes * kSegmentBytes;
}

DataPtr CachingAllocator::allocate(std::size_t nbytes) {
  std::size_t rounded = round_size(nbytes);
  std::lock_guard<std::mutex> lock(mu_);
  if (rounded == 0) throw_oom(nbytes, nbytes);
  void* p = routing_pool_ != 0 && std::this_thread::get_id() == routing_thread_ ? take_pooled(rounded, nbytes)
            : rounded <= kSmallLimit ? take_small(rounded, nbytes)
                                     : take_large(rounded, nbytes);  // may grow `rounded`
  current_ += static_cast<int64_t>(rounded);
  peak_ = std::max(peak_, current_);
  ++live_;
  return DataPtr(p, rounded, Device(DeviceType::kGPU, device_), &CachingAllocator::release, this);
}

void* CachingAllocator::take_small(std::size_t rounded, std::size_t requested) {
  std::vector<void*>& bin = small_free_[static_cast<std::size_t>(small_class(rounded))];
  if (bin.empty()) {
    // Cut a fresh 2 MiB segment into blocks of this class.
    char* base = static_cast<char*>(device_malloc(kSegmentBytes, requested));
    const int n = static_cast<int>(kSegmentBytes / rounded);
    segments_[base] = Segment{base, rounded, n};
    for (int i = n - 1; i >= 0; --i) bin.push_back(base + static_cast<std::size_t>(i) * rounded);
    cached_ += static_cast<int64_t>(kSegmentBytes);
  }
  void* p = bin.back();
  bin.pop_back();
  auto seg = std::prev(segments_.upper_bound(static_cast<char*>(p)));
  --seg->second.free_blocks;
  cached_ -= static_cast<int64_t>(rounded);
  return p;
}

void* CachingAllocator::take_large(std::size_t& rounded, std::size_t requested) {
  // Best fit, but never a block much larger than asked (why: a small request must not pin a
  // huge block that a later large request needs).
  auto it = large_free_.lower_bound(rounded);
  if (it != large_free_.end() && it->first <= rounded + std::max(kSegmentBytes, rounded / 8)) {
    void* p = it->second;
    rounded = it->first;
    cached_ -= static_cast<int64_t>(rounded);
    large_free_.erase(it);
    return p;
  }
  return device_malloc(rounded, requested);
}

namespace {
/// cudaMalloc, allowed while this thread records a CUDA graph (a thread-local capture forbids
/// calls that may synchronize; a new segment is not part of the recording, as in PyTorch).
cudaError_t malloc_outside_capture(void** p, std::size_t nbytes) {
  cudaStreamCaptureMode mode = cudaStreamCaptureModeRelaxed;
  (void)cudaThreadExchangeStreamCaptureMode(&mode);
  const cudaError_t st = cudaMalloc(p, nbytes);
  (void)cudaThreadExchangeStreamCaptureMode(&mode);
  return st;
}
}  // namespace

void* CachingAllocator::device_malloc(std::size_t nbytes, std::size_t requested) {
  set_device(device_);
  void* p = nullptr;
  cudaError_t st = malloc_outside_capture(&p, nbytes);
  if (st == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();
    empty_cache_locked();
    st = malloc_outside_capture(&p, nbytes);
    if (st == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      throw_oom(requested, nbytes);
    }
  }
  if (st != cudaSuccess) throw_cuda_error(st, "cudaMalloc", __FILE__, __LINE__);
  reserved_ += static_cast<int64_t>(nbytes);
  return p;
}

void CachingAllocator::throw_oom(std::size_t requested, std::size_t rounded) {
  std::size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) (void)cudaGetLastError();
  TF_THROW(ResourceExhaustedError, "", "OOM when allocating tensor of ", requested, " bytes (", rounded,
           " bytes from the device) on GPU:", device_, ": ", mib(current_), " in use by tensors, ", mib(cached_),
           " cached, device free ", mib(static_cast<int64_t>(free_b)), " of ", mib(static_cast<int64_t>(total_b)));
}

void CachingAllocator::release(void* ctx, void* ptr, std::size_t nbytes) {
  static_cast<CachingAllocator*>(ctx)->free_block(ptr, nbytes);
}

void CachingAllocator::free_block(void* ptr, std::size_t nbytes) {
  std::lock_guard<std::mutex> lock(mu_);
  current_ -= static_cast<int64_t>(nbytes);
  --live_;
  cached_ += static_cast<int64_t>(nbytes);
  if (!block_pool_.empty()) [[unlikely]] {
    auto b = block_pool_.find(ptr);
    if (b != block_pool_.end()) {
      auto pool = pool_free_.find(b->second);
      if (pool != pool_free_.end()) {  // its graph lives: back to its pool only
        pool->second.emplace(nbytes, ptr);
        return;
      }
      block_pool_.erase(b);  // its graph is gone: a shared block again
    }
  }
  give_back_shared(ptr, nbytes);
}

void CachingAllocator::give_back_shared(void* ptr, std::size_t nbytes) {
  if (nbytes <= kSmallLimit) {
    auto seg = std::prev(segments_.upper_bound(static_cast<char*>(ptr)));
    ++seg->second.free_blocks;
    small_free_[static_cast<std::size_t>(small_class(nbytes))].push_back(ptr);
  } else {
    large_free_.emplace(nbytes, ptr);
  }
}

void* CachingAllocator::take_pooled(std::size_t& rounded, std::size_t requested) {
  auto& free = pool_free_[routing_pool_];
  // A freed block of the pool in the same size class (large: the shared bins' fit rule).
  auto it = free.lower_bound(rounded);
  if (it != free.end() &&
      (rounded <= kSmallLimit ? it->first == rounded
                              : it->first <= rounded + std::max(kSegmentBytes, rounded / 8))) {
    void* p = it->second;
    rounded = it->first;
    cached_ -= static_cast<int64_t>(rounded);
    free.erase(it);
    return p;
  }
  void* p = rounded <= kSmallLimit ? take_small(rounded, requested) : take_large(rounded, requested);
  block_pool_[p] = routing_pool_;
  return p;
}

int CachingAllocator::begin_private_pool() {
  std::lock_guard<std::mutex> lock(mu_);
  TF_CHECK_TYPED(routing_pool_ == 0, FailedPreconditionError, "", "GPU:", device_,
                 " is already recording a CUDA graph; one recording per device at a time");
  routing_pool_ = next_pool_++;
  routing_thread_ = std::this_thread::get_id();
  pool_free_[routing_pool_];
  return routing_pool_;
}

void CachingAllocator::end_pool_routing() {
  std::lock_guard<std::mutex> lock(mu_);
  routing_pool_ = 0;
  routing_thread_ = std::thread::id();
}

void CachingAllocator::release_private_pool(int pool) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pool_free_.find(pool);
  if (it == pool_free_.end()) return;
  for (auto& [size, p] : it->second) {
    block_pool_.erase(p);
    give_back_shared(p, size);
  }
  pool_free_.erase(it);
  if (routing_pool_ == pool) {
    routing_pool_ = 0;
    routing_thread_ = std::thread::id();
  }
}

int CachingAllocator::pool_of(const void* ptr) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = block_pool_.find(ptr);
  return it == block_pool_.end() || !pool_free_.count(it->second) ? 0 : it->second;
}

MemoryInfo CachingAllocator::memory_info() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {current_, peak_, live_, cached_};
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mu_);
  peak_ = current_;
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mu_);
  empty_cache_locked();
}

void CachingAllocator::empty_cache_locked() {
  set_device(device_);
  // cudaFree waits for the device, so no block is freed under a running kernel.
  for (auto& [size, p] : large_free_) {
    TF_CUDA_CHECK(cudaFree(p));
    cached_ -= static_cast<int64_t>(size);
    reserved_ -= static_cast<int64_t>(size);
  }
  large_free_.clear();
  for (auto it = segments_.begin(); it != segments_.end();) {
    Segment& s = it->second;
    if (s.free_blocks != static_cast<int>(kSegmentBytes / s.block)) {
      ++it;
      continue;
    }
    auto& bin = small_free_[static_cast<std::size_t>(small_class(s.block))];
    char* lo = s.base;
    char* hi = s.base + kSegmentBytes;
    std::erase_if(bin, [&](void* b) { return static_cast<char*>(b) >= lo && static_cast<char*>(b) < hi; });
    TF_CUDA_CHECK(cudaFree(s.base));
    cached_ -= static_cast<int64_t>(kSegmentBytes);
    reserved_ -= static_cast<int64_t>(kSegmentBytes);
    it = segments_.erase(it);
  }
}

}  // namespace tapeflow::cuda
