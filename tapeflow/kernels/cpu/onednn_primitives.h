// What the oneDNN-backed kernels (onednn_conv, onednn_pooling, onednn_batch_norm) share: the CPU
// engine, a bounded thread-safe cache of primitives keyed by shape and attributes, memory over
// our tensors' buffers, and execution with the scratchpad taken from Tapeflow's CPU allocator.
// Included only where TAPEFLOW_HAS_ONEDNN is 1.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tapeflow/core/allocator.h"
#include "tapeflow/core/dtype.h"
#include "tapeflow/core/ops/window.h"

namespace tapeflow::kernels::cpu::onednn {

using dnnl::memory;
using Tag = memory::format_tag;

/// The process's CPU engine (oneDNN engines are thread-safe).
const dnnl::engine& engine();
/// oneDNN's element type for a Tapeflow dtype it computes in: float32, bfloat16 (else nullopt).
std::optional<memory::data_type> data_type(DType dt);
/// Whether oneDNN should run this call: the switch is on and no dimension is empty (the own
/// kernels handle empty tensors, which oneDNN rejects).
bool wanted(std::initializer_list<int64_t> dims);
/// Counts a call that ran on oneDNN (onednn_call_count).
void count_call() noexcept;
/// The OpenMP threads a primitive created now would be tuned for (oneDNN reads it at creation,
/// and its own primitive cache keys on it): part of every cache key, so a change of the thread
/// count (omp_set_num_threads) gets new primitives instead of ones split for the old count.
int max_threads() noexcept;

/// Primitive attributes every cached primitive is created with: the scratchpad is ours
/// (scratchpad_mode::user), so primitives hold no buffers and run concurrently from any thread.
dnnl::primitive_attr user_scratchpad();

/// The (N, C, H, W)-indexed dims oneDNN wants for an NHWC tensor.
inline memory::dims nchw_dims(int64_t n, int64_t c, int64_t h, int64_t w) { return {n, c, h, w}; }
/// oneDNN's right/bottom padding that gives a window op `out` outputs (TF's SAME padding after,
/// or the unused input rows of VALID clipped to 0; oneDNN floors the division as TF does).
int64_t pad_after(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t dilation, int64_t pad_before);

/// A buffer of `md`'s size from the CPU allocator, as oneDNN memory.
struct Scratch {
  DataPtr data;
  memory mem;
};
Scratch scratch(const memory::desc& md);
/// oneDNN memory over a tensor's buffer (no copy).
inline memory wrap(const memory::desc& md, const void* data) { return memory(md, engine(), const_cast<void*>(data)); }

/// Runs `prim` with `args` on this thread's stream, adding a scratchpad of `scratchpad_md` from
/// our allocator, and waits for it. oneDNN failures become InternalError naming `op`.
void execute(const char* op, const dnnl::primitive& prim, std::unordered_map<int, memory> args,
             const memory::desc& scratchpad_md);
/// Runs a reorder of `src` into `dst`.
void reorder_into(const char* op, const dnnl::reorder& prim, memory src, memory dst);
/// `src` in `to`'s layout: `src` itself when `prim` is empty (the layouts agree), else reordered
/// into a new buffer that `keep` keeps alive.
memory reordered(const char* op, const std::optional<dnnl::reorder>& prim, const memory& src, const memory::desc& to,
                 std::vector<Scratch>& keep);
/// A reorder from `from` to `to`, or nullopt when the layouts agree.
std::optional<dnnl::reorder> make_reorder(const memory::desc& from, const memory::desc& to);

/// Primitives (with their descriptors and reorders) cached by key, least recently used evicted
/// beyond a capacity: a training loop's shapes stay hot, a shape sweep cannot grow it without
/// bound. An entry that oneDNN could not implement is cached as null (the own kernel runs).
/// Thread-safe; entries are immutable once built and shared with their users.
template <typename Entry> class PrimitiveCache {
 public:
  explicit PrimitiveCache(std::size_t capacity) : capacity_(capacity) {}
  /// The entry of `key`, built by make() on a miss (null when oneDNN cannot run it).
  std::shared_ptr<const Entry> get(const std::string& shape_key,
                                   const std::function<std::shared_ptr<const Entry>()>& make) {
    const std::string key = std::to_string(max_threads()) + "t/" + shape_key;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (auto it = index_.find(key); it != index_.end()) {
        order_.splice(order_.begin(), order_, it->second);
        return it->second->second;
      }
    }
    // Built outside the lock: creating a primitive takes milliseconds (JIT), other shapes go on.
    // oneDNN throws when it has no implementation for (or rejects) a configuration the op
    // allows, e.g. a pooling window that lies wholly in the padding: the own kernel runs it.
    std::shared_ptr<const Entry> entry;
    try {
      entry = make();
    } catch (const dnnl::error&) { entry = nullptr; }
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) return it->second->second;  // another thread won
    order_.emplace_front(key, entry);
    index_[key] = order_.begin();
    while (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    return entry;
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return order_.size();
  }

 private:
  using Item = std::pair<std::string, std::shared_ptr<const Entry>>;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Item> order_;  // most recently used first
  std::unordered_map<std::string, typename std::list<Item>::iterator> index_;
};

/// Entries per primitive family: a model has a few dozen shapes; a primitive holds its JIT code
/// (tens of KB), so 256 of them stay far below a megabyte-scale footprint per family.
inline constexpr std::size_t kCacheCapacity = 256;

/// A cache key from a window's geometry and a tag naming the primitive and dtype.
std::string window_key(const char* tag, DType dt, const ops::Window2D& w);

}  // namespace tapeflow::kernels::cpu::onednn
