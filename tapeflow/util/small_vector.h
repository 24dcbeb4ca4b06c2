// SmallVector: a vector with inline storage for the first N elements.
// Shapes, strides and op input/output lists are almost always short; keeping them inline
// keeps the eager hot path free of heap allocations.
#pragma once
#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace tapeflow::util {

template <typename T, std::size_t N> class SmallVector {
 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  SmallVector() noexcept = default;
  SmallVector(std::size_t n, const T& value) { assign(n, value); }
  explicit SmallVector(std::size_t n) { resize(n); }
  SmallVector(std::initializer_list<T> init) { append(init.begin(), init.end()); }
  template <typename It, typename = decltype(*std::declval<It>())> SmallVector(It first, It last) {
    append(first, last);
  }
  SmallVector(const SmallVector& o) { append(o.begin(), o.end()); }
  SmallVector(SmallVector&& o) noexcept { move_from(std::move(o)); }
  SmallVector& operator=(const SmallVector& o) {
    if (this != &o) {
      clear();
      append(o.begin(), o.end());
    }
    return *this;
  }
  SmallVector& operator=(SmallVector&& o) noexcept {
    if (this != &o) {
      destroy_all();
      release_heap();
      move_from(std::move(o));
    }
    return *this;
  }
  ~SmallVector() {
    destroy_all();
    release_heap();
  }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  T* data() noexcept { return ptr(); }
  const T* data() const noexcept { return ptr(); }
  T& operator[](std::size_t i) noexcept { return ptr()[i]; }
  const T& operator[](std::size_t i) const noexcept { return ptr()[i]; }
  T& back() noexcept { return ptr()[size_ - 1]; }
  const T& back() const noexcept { return ptr()[size_ - 1]; }
  T& front() noexcept { return ptr()[0]; }
  const T& front() const noexcept { return ptr()[0]; }
  T* begin() noexcept { return ptr(); }
  T* end() noexcept { return ptr() + size_; }
  const T* begin() const noexcept { return ptr(); }
  const T* end() const noexcept { return ptr() + size_; }

  void reserve(std::size_t n) {
    if (n <= capacity_) return;
    T* fresh = static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(alignof(T))));
    T* old = ptr();
    for (std::size_t i = 0; i < size_; ++i) {
      new (fresh + i) T(std::move(old[i]));
      old[i].~T();
    }
    release_heap();
    heap_ = fresh;
    capacity_ = n;
  }
  void push_back(const T& v) { emplace_back(v); }
  void push_back(T&& v) { emplace_back(std::move(v)); }
  template <typename... A> T& emplace_back(A&&... a) {
    if (size_ == capacity_) reserve(capacity_ * 2);
    T* p = new (ptr() + size_) T(std::forward<A>(a)...);
    ++size_;
    return *p;
  }
  void pop_back() noexcept { ptr()[--size_].~T(); }
  void clear() noexcept { destroy_all(); }
  void resize(std::size_t n) {
    reserve(n);
    while (size_ > n) pop_back();
    while (size_ < n) emplace_back();
  }
  void resize(std::size_t n, const T& v) {
    reserve(n);
    while (size_ > n) pop_back();
    while (size_ < n) emplace_back(v);
  }
  void assign(std::size_t n, const T& v) {
    clear();
    resize(n, v);
  }
  template <typename It> void append(It first, It last) {
    for (; first != last; ++first) emplace_back(*first);
  }
  T* insert(T* pos, const T& v) {
    std::size_t idx = static_cast<std::size_t>(pos - begin());
    emplace_back(v);
    std::rotate(begin() + idx, end() - 1, end());
    return begin() + idx;
  }
  T* erase(T* pos) {
    std::move(pos + 1, end(), pos);
    pop_back();
    return pos;
  }

  friend bool operator==(const SmallVector& a, const SmallVector& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  T* ptr() noexcept { return heap_ ? heap_ : reinterpret_cast<T*>(inline_); }
  const T* ptr() const noexcept { return heap_ ? heap_ : reinterpret_cast<const T*>(inline_); }
  void destroy_all() noexcept {
    if constexpr (!std::is_trivially_destructible_v<T>) {
      for (std::size_t i = 0; i < size_; ++i) ptr()[i].~T();
    }
    size_ = 0;
  }
  void release_heap() noexcept {
    if (heap_) {
      ::operator delete(heap_, std::align_val_t(alignof(T)));
      heap_ = nullptr;
      capacity_ = N;
    }
  }
  void move_from(SmallVector&& o) noexcept {
    if (o.heap_) {
      heap_ = o.heap_;
      size_ = o.size_;
      capacity_ = o.capacity_;
      o.heap_ = nullptr;
      o.size_ = 0;
      o.capacity_ = N;
    } else {
      for (std::size_t i = 0; i < o.size_; ++i) new (ptr() + i) T(std::move(o.ptr()[i]));
      size_ = o.size_;
      o.destroy_all();
    }
  }

  alignas(T) unsigned char inline_[sizeof(T) * N];
  T* heap_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = N;
};

}  // namespace tapeflow::util
