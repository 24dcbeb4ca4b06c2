// Tensor: a cheap shared handle to an immutable value (storage + shape + strides + offset +
// dtype). Views (reshape, transpose, slicing) share storage. Host reads (item, to_vector,
// printing) synchronize the device; everything else is asynchronous.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "tapeflow/core/allocator.h"
#include "tapeflow/core/device.h"
#include "tapeflow/core/dtype.h"
#include "tapeflow/core/errors.h"
#include "tapeflow/core/shape.h"

namespace tapeflow {

/// The shared state behind a Tensor handle. Immutable once an op has produced it.
struct TensorImpl {
  std::shared_ptr<Storage> storage;  // null for symbolic (traced) tensors
  Shape shape;
  DimVector strides;   // in elements
  int64_t offset = 0;  // in elements
  DType dtype = DType::kFloat32;
  Device device;
  bool contiguous = true;
  uint64_t id = 0;                                // unique per impl; the tape keys on it
  std::shared_ptr<struct VariableImpl> variable;  // set when this value is a read of a Variable
  std::shared_ptr<void> symbolic;                 // the graph node output, while a tf::function traces
};

/// Python's omitted slice bound / `:`: `tf::slice({}, 4)` is `[:4]`.
struct Slice {
  std::optional<int64_t> start, stop, step;
};
/// `x[tf::slice(2, 7)]`, `x[tf::slice({}, {}, -1)]`.
inline Slice slice(std::optional<int64_t> start, std::optional<int64_t> stop = std::nullopt,
                   std::optional<int64_t> step = std::nullopt) {
  return Slice{start, stop, step};
}
struct AllTag {};
inline constexpr AllTag all{};  // `:` in `x[:, 1]` is `x[{tf::all, 1}]`
struct NewAxisTag {};
inline constexpr NewAxisTag newaxis{};  // tf.newaxis
struct EllipsisTag {};
inline constexpr EllipsisTag ellipsis{};  // `...`

/// One entry of an index expression: an integer (drops the axis), a slice, all, newaxis, ellipsis.
class Index {
 public:
  template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
  Index(I i) : v_(static_cast<int64_t>(i)) {}  // NOLINT
  Index(Slice s) : v_(s) {}                    // NOLINT
  Index(AllTag) : v_(Slice{}) {}               // NOLINT
  Index(NewAxisTag) : v_(NewAxisTag{}) {}      // NOLINT
  Index(EllipsisTag) : v_(EllipsisTag{}) {}    // NOLINT
  const std::variant<int64_t, Slice, NewAxisTag, EllipsisTag>& value() const { return v_; }

 private:
  std::variant<int64_t, Slice, NewAxisTag, EllipsisTag> v_;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  /// An uninitialized tensor of this shape, dtype and device (strings are empty strings).
  static Tensor empty(const Shape& shape, DType dtype, Device device = kCPU0);

  bool defined() const noexcept { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  DType dtype() const { return impl().dtype; }
  int ndim() const { return impl().shape.rank(); }
  int rank() const { return ndim(); }
  /// Number of elements.
  int64_t size() const { return impl().shape.num_elements(); }
  Device device() const { return impl().device; }
  const DimVector& strides() const { return impl().strides; }
  int64_t offset() const { return impl().offset; }
  bool is_contiguous() const { return impl().contiguous; }
  bool is_symbolic() const { return impl_ && impl_->symbolic != nullptr; }
  uint64_t id() const { return impl().id; }
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }
  TensorImpl* unsafe_impl() const noexcept { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const noexcept { return impl_; }

  /// Pointer to the first element (device memory for GPU tensors). Respect strides().
  void* raw_data() const;
  template <typename T> T* data() const {
    check_dtype_for_access<T>("data");
    return static_cast<T*>(raw_data());
  }

  /// The value of a one-element tensor, copied to the host (synchronizes). T must match dtype
  /// (float also reads float16/bfloat16).
  template <typename T> T item() const;
  /// All elements in row-major order, copied to the host (TF's .numpy().flatten()).
  template <typename T> std::vector<T> to_vector() const;

  /// A copy on `device` (this tensor when it already lives there). Copies are async.
  Tensor to(Device device) const;
  Tensor cpu() const { return to(kCPU0); }
  Tensor gpu() const { return to(kGPU0); }
  /// A contiguous tensor with the same values (this tensor when already contiguous).
  Tensor contiguous() const;

  /// Python indexing: x[1], x[tf::slice(1, {})], x[{tf::all, 1}], negative indices count from the end.
  Tensor operator[](const Index& index) const;
  Tensor operator[](std::initializer_list<Index> indices) const;
  Tensor operator[](const std::vector<Index>& indices) const;

  /// The element count of a 1-D shape tensor as TF would show it; for debugging.
  std::string to_string() const;

 private:
  const TensorImpl& impl() const {
    if (!impl_) [[unlikely]]
      throw_undefined();
    return *impl_;
  }
  [[noreturn]] static void throw_undefined();
  template <typename T> void check_dtype_for_access(const char* what) const;

  std::shared_ptr<TensorImpl> impl_;
};

/// Prints as TF does: tf.Tensor([[1. 2.]\n [3. 4.]], shape=(2, 2), dtype=float32).
std::ostream& operator<<(std::ostream& os, const Tensor& t);
/// NumPy's str() of the values only: "[[1. 2.]\n [3. 4.]]".
std::string format_values(const Tensor& t);
/// The values as TF's repr shows them after "numpy=" (a Variable's print): NumPy's repr(),
/// "array([1., 2.], dtype=float32)", or for a 0-d tensor the Python item's repr ("3.5").
std::string format_values_repr(const Tensor& t);

namespace detail {
uint64_t next_tensor_id() noexcept;
/// Makes a handle over `storage` with the given geometry.
Tensor make_view(std::shared_ptr<Storage> storage, Shape shape, DimVector strides, int64_t offset, DType dtype,
                 Device device);
bool compute_contiguous(const Shape& shape, const DimVector& strides);
/// The same tensor (id, shape, dtype, device, variable tag) without its data: what the gradient
/// tape keeps of a value that its op's gradient rule never reads, so the buffer can be freed.
/// Reading its data raises FailedPreconditionError. A tensor without data is returned as is.
Tensor without_data(const Tensor& t);
/// Copies `t` (any strides, any device) to a contiguous host buffer of t.size() elements.
void copy_to_host(const Tensor& t, void* dst);
[[noreturn]] void throw_access_dtype(const char* what, DType have, DType want);
/// Throws the error for reading or running an op on a symbolic tensor; graph/ installs a hook that
/// names the tf::function the tensor belongs to.
using SymbolicAccessHook = void (*)(const TensorImpl& t);
void set_symbolic_access_hook(SymbolicAccessHook hook) noexcept;
[[noreturn]] void throw_symbolic_access(const TensorImpl& t);
/// The graph name of a symbolic tensor ("x:0"), printed as TF prints a graph tensor.
using SymbolicNameHook = std::string (*)(const TensorImpl& t);
void set_symbolic_name_hook(SymbolicNameHook hook) noexcept;
}  // namespace detail

template <typename T> void Tensor::check_dtype_for_access(const char* what) const {
  if (dtype() != dtype_v<T>) detail::throw_access_dtype(what, dtype(), dtype_v<T>);
}

template <typename T> std::vector<T> Tensor::to_vector() const {
  const DType have = dtype();
  std::vector<T> out;
  if constexpr (std::is_same_v<T, float>) {
    if (have == DType::kFloat16 || have == DType::kBFloat16) {
      std::vector<uint16_t> raw(static_cast<std::size_t>(size()));
      detail::copy_to_host(*this, raw.data());
      out.reserve(raw.size());
      for (uint16_t b : raw)
        out.push_back(have == DType::kFloat16 ? float(float16_t::from_bits(b)) : float(bfloat16_t::from_bits(b)));
      return out;
    }
  }
  if (have != dtype_v<T>) detail::throw_access_dtype("to_vector", have, dtype_v<T>);
  if constexpr (std::is_same_v<T, bool>) {
    std::vector<uint8_t> raw(static_cast<std::size_t>(size()));
    detail::copy_to_host(*this, raw.data());
    out.assign(raw.begin(), raw.end());
  } else if constexpr (std::is_same_v<T, std::string>) {
    out.resize(static_cast<std::size_t>(size()));
    detail::copy_to_host(*this, out.data());
  } else {
    out.resize(static_cast<std::size_t>(size()));
    detail::copy_to_host(*this, out.data());
  }
  return out;
}

template <typename T> T Tensor::item() const {
  TF_CHECK_ARG(size() == 1, "item", "item() needs a tensor with exactly one element, got shape ", shape().to_string(),
               " (", size(), " elements)");
  return to_vector<T>()[0];
}

}  // namespace tapeflow
