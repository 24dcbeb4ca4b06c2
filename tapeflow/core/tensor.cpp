#include "tapeflow/core/tensor.h"

#include <atomic>
#include <cstring>
#include <sstream>

#include "tapeflow/core/device_backend.h"
#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/ops/copy.h"

namespace tapeflow {

namespace detail {
uint64_t next_tensor_id() noexcept {
  static std::atomic<uint64_t> counter{1};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

bool compute_contiguous(const Shape& shape, const DimVector& strides) {
  int64_t expected = 1;
  for (int i = shape.rank() - 1; i >= 0; --i) {
    if (shape[i] == 1) continue;
    if (shape[i] == 0) return true;
    if (strides[static_cast<std::size_t>(i)] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

Tensor make_view(std::shared_ptr<Storage> storage, Shape shape, DimVector strides, int64_t offset, DType dtype,
                 Device device) {
  auto impl = std::make_shared<TensorImpl>();
  impl->contiguous = compute_contiguous(shape, strides);
  impl->storage = std::move(storage);
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = dtype;
  impl->device = device;
  impl->id = next_tensor_id();
  return Tensor(std::move(impl));
}

Tensor without_data(const Tensor& t) {
  const TensorImpl& from = *t.unsafe_impl();
  if (!from.storage) return t;
  auto impl = std::make_shared<TensorImpl>(from);
  impl->storage.reset();
  return Tensor(std::move(impl));
}

namespace {
std::atomic<SymbolicAccessHook> g_symbolic_hook{nullptr};
std::atomic<SymbolicNameHook> g_symbolic_name_hook{nullptr};
}  // namespace
void set_symbolic_name_hook(SymbolicNameHook hook) noexcept { g_symbolic_name_hook.store(hook); }
void set_symbolic_access_hook(SymbolicAccessHook hook) noexcept { g_symbolic_hook.store(hook); }
void throw_symbolic_access(const TensorImpl& t) {
  if (SymbolicAccessHook hook = g_symbolic_hook.load()) hook(t);
  TF_THROW(FailedPreconditionError, "", "this tensor is symbolic (a tf::function graph value) and has no data");
}

void throw_access_dtype(const char* what, DType have, DType want) {
  TF_THROW(InvalidArgumentError, "", what, ": the tensor has dtype ", dtype_name(have), " but ", dtype_name(want),
           " was requested; use tf::cast first");
}

void copy_to_host(const Tensor& t, void* dst) {
  if (t.size() == 0) return;
  Tensor src = t.contiguous();
  if (src.dtype() == DType::kString) {
    TF_CHECK_ARG(src.device().is_cpu(), "", "string tensors live on CPU:0 only");
    const auto* s = static_cast<const std::string*>(src.raw_data());
    auto* d = static_cast<std::string*>(dst);
    for (int64_t i = 0; i < src.size(); ++i) d[i] = s[i];
    return;
  }
  std::size_t nbytes = static_cast<std::size_t>(src.size()) * dtype_size(src.dtype());
  device_backend(src.device().type())->copy(dst, kCPU0, src.raw_data(), src.device(), nbytes);
}
}  // namespace detail

namespace {
void delete_strings(void*, void* ptr, std::size_t) { delete[] static_cast<std::string*>(ptr); }
}  // namespace

namespace {
// TF's out-of-memory message ("OOM when allocating tensor with shape[2,3] and type float on
// /job:localhost/replica:0/task:0/device:CPU:0 by allocator cpu"), with the bytes requested.
[[noreturn]] void throw_oom(const Shape& shape, DType dtype, Device device, const std::string& bytes,
                            const std::string& why) {
  std::ostringstream dims;
  for (int i = 0; i < shape.rank(); ++i) dims << (i ? "," : "") << shape[i];
  TF_THROW(ResourceExhaustedError, "", "OOM when allocating tensor with shape[", dims.str(), "] and type ",
           dtype == DType::kFloat32   ? std::string("float")
           : dtype == DType::kFloat64 ? std::string("double")
                                      : std::string(dtype_name(dtype)),
           " on ", device.full_name(), " by allocator ", device.is_cpu() ? "cpu" : "gpu", " (", bytes,
           " bytes requested", why, ")");
}
}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  int64_t n = shape.num_elements();  // raises InvalidArgumentError past 2^63 - 1 elements
  TF_CHECK_ARG(n >= 0, "", "cannot allocate a tensor of shape ", shape.to_string(),
               ": every dimension must be known and non-negative");
  // The byte count may wrap even when the element count does not (2^62 float32 elements are
  // 2^64 bytes): a wrapped count would allocate a tiny buffer that kernels then overrun.
  std::size_t nbytes = 0;
  const std::size_t elem = dtype == DType::kString ? sizeof(std::string) : dtype_size(dtype);
  if (__builtin_mul_overflow(static_cast<std::size_t>(n), elem, &nbytes)) [[unlikely]]
    throw_oom(shape, dtype, device, std::to_string(n) + " x " + std::to_string(elem), ": more than 2^64");
  auto storage = std::make_shared<Storage>();
  if (dtype == DType::kString) {
    TF_CHECK_ARG(device.is_cpu(), "", "string tensors live on CPU:0 only, not ", device.str());
    std::string* strings = nullptr;
    try {
      strings = new std::string[static_cast<std::size_t>(n > 0 ? n : 1)];
    } catch (const std::bad_alloc&) { throw_oom(shape, dtype, device, std::to_string(nbytes), ""); }
    storage->nbytes = nbytes;
    storage->data = DataPtr(strings, storage->nbytes, device, delete_strings, nullptr);
  } else {
    DeviceBackend* backend = device_backend(device.type());
    TF_CHECK_ARG(backend && device.index() < backend->device_count(), "", "device ", device.str(),
                 " does not exist; existing devices: ", list_existing_devices());
    try {
      storage->data = backend->allocator(device.index())->allocate(nbytes);
    } catch (const errors::ResourceExhaustedError& e) {
      throw_oom(shape, dtype, device, std::to_string(nbytes), std::string(": ") + e.message());
    } catch (const std::bad_alloc&) { throw_oom(shape, dtype, device, std::to_string(nbytes), ""); }
    storage->nbytes = nbytes;
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->strides = contiguous_strides(shape);
  impl->shape = shape;
  impl->dtype = dtype;
  impl->device = device;
  impl->id = detail::next_tensor_id();
  return Tensor(std::move(impl));
}

void Tensor::throw_undefined() {
  TF_THROW(FailedPreconditionError, "", "use of an undefined (default-constructed or moved-from) Tensor");
}

void* Tensor::raw_data() const {
  const TensorImpl& i = impl();
  if (!i.storage && i.symbolic) [[unlikely]]
    detail::throw_symbolic_access(i);
  TF_CHECK_TYPED(i.storage != nullptr, FailedPreconditionError, "",
                 "this tensor has no data: it is symbolic (inside tf::function tracing) or a value the "
                 "gradient tape did not keep because its op's gradient rule declared it unused");
  return static_cast<char*>(i.storage->data.get()) + i.offset * static_cast<int64_t>(dtype_size(i.dtype));
}

Tensor Tensor::to(Device device) const {
  if (impl().device == device) return *this;
  TF_CHECK_ARG(dtype() != DType::kString || device.is_cpu(), "_CopyToDevice",
               "string tensors live on CPU:0 only; cannot copy to ", device.str());
  Tensor self = *this;
  return dispatch1(ops::CopyToDevice, std::span<const Tensor>(&self, 1), nullptr, {shape(), dtype()}, device);
}

Tensor Tensor::contiguous() const {
  if (impl().contiguous) return *this;
  Tensor self = *this;
  return dispatch1(ops::Copy, std::span<const Tensor>(&self, 1), nullptr, {shape(), dtype()});
}

std::string Tensor::to_string() const {
  std::ostringstream os;
  os << *this;
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "tf.Tensor(<undefined>)";
  if (t.is_symbolic()) {
    auto hook = detail::g_symbolic_name_hook.load();
    return os << "Tensor(\"" << (hook ? hook(*t.unsafe_impl()) : std::string("symbolic")) << "\", shape=" << t.shape()
              << ", dtype=" << dtype_name(t.dtype()) << ")";
  }
  // TF starts a multi-line value on its own line: "tf.Tensor(\n[[1 2]\n [3 4]], shape=...".
  std::string values = format_values(t);
  os << "tf.Tensor(" << (values.find('\n') != std::string::npos ? "\n" : "") << values;
  return os << ", shape=" << t.shape() << ", dtype=" << dtype_name(t.dtype()) << ")";
}

}  // namespace tapeflow
