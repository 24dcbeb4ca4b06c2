// IdMap / IdSet: flat hash tables keyed by tensor id, for the tape's per-op bookkeeping (which
// tensors are tracked, which lie on the path, the gradient accumulated for each). Open
// addressing with linear probing and backward-shift erase: no allocation per entry, which is
// most of what std::unordered_map cost the backward pass per recorded op.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

namespace tapeflow::autograd {

/// Keys are tensor ids, which are never 0 (the empty-slot marker).
template <typename V> class IdMap {
 public:
  V* find(uint64_t id) {
    if (size_ == 0) return nullptr;
    for (std::size_t i = home(id);; i = (i + 1) & mask()) {
      if (slots_[i].key == id) return &slots_[i].value;
      if (slots_[i].key == 0) return nullptr;
    }
  }
  const V* find(uint64_t id) const { return const_cast<IdMap*>(this)->find(id); }
  bool contains(uint64_t id) const { return find(id) != nullptr; }

  /// The value of `id`, default-constructed and inserted when absent; `.second` says whether it was.
  std::pair<V*, bool> try_emplace(uint64_t id) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    std::size_t i = home(id);
    for (; slots_[i].key != 0; i = (i + 1) & mask())
      if (slots_[i].key == id) return {&slots_[i].value, false};
    slots_[i].key = id;
    ++size_;
    return {&slots_[i].value, true};
  }

  bool erase(uint64_t id) {
    if (size_ == 0) return false;
    std::size_t i = home(id);
    while (slots_[i].key != id) {
      if (slots_[i].key == 0) return false;
      i = (i + 1) & mask();
    }
    // Backward shift: pull later members of the probe run into the hole so lookups need no tombstones.
    for (std::size_t j = (i + 1) & mask(); slots_[j].key != 0; j = (j + 1) & mask()) {
      const std::size_t k = home(slots_[j].key);
      const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (stays) continue;
      slots_[i] = std::move(slots_[j]);
      i = j;
    }
    slots_[i] = Slot{};
    --size_;
    return true;
  }

  /// Room for `n` ids without rehashing: one allocation, however far the table must grow.
  void reserve(std::size_t n) {
    std::size_t cap = slots_.empty() ? 16 : slots_.size();
    while (n * 4 > cap * 3) cap *= 2;
    if (cap != slots_.size()) rehash(cap);
  }
  void clear() {
    slots_.clear();
    size_ = 0;
  }
  std::size_t size() const { return size_; }

  template <typename F> void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.key != 0) f(s.key, s.value);
  }

 private:
  struct Slot {
    uint64_t key = 0;
    V value{};
  };
  std::size_t mask() const { return slots_.size() - 1; }
  // Fibonacci hashing spreads the consecutive ids over the table.
  std::size_t home(uint64_t id) const { return static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ull) >> shift_); }
  void grow() { rehash(slots_.empty() ? 16 : slots_.size() * 2); }
  void rehash(std::size_t cap) {
    std::vector<Slot> old = std::move(slots_);
    slots_.clear();
    slots_.resize(cap);
    shift_ = 64;
    for (std::size_t c = cap; c > 1; c >>= 1) --shift_;
    size_ = 0;
    for (Slot& s : old)
      if (s.key != 0) *try_emplace(s.key).first = std::move(s.value);
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  int shift_ = 64;
};

struct Unit {};
/// A set of tensor ids.
class IdSet {
 public:
  bool contains(uint64_t id) const { return map_.contains(id); }
  /// True when `id` was not in the set.
  bool insert(uint64_t id) { return map_.try_emplace(id).second; }
  void reserve(std::size_t n) { map_.reserve(n); }
  void clear() { map_.clear(); }
  std::size_t size() const { return map_.size(); }

 private:
  IdMap<Unit> map_;
};

}  // namespace tapeflow::autograd
