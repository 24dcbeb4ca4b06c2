// Note [The op door]: see dispatch.h. This file is the hot path of every eager op; keep it free
// of string work and heap allocation unless logging, tracing or a tape asks for them.
#include "tapeflow/core/dispatch.h"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "tapeflow/core/config.h"
#include "tapeflow/core/device_backend.h"
#include "tapeflow/core/op_profiler.h"
#include "tapeflow/core/threading.h"
#include "tapeflow/core/errors.h"
#include "tapeflow/core/logging.h"

namespace tapeflow {
namespace {

// Note [Registry threads]: ops, kernels and gradients are registered by register_builtin_ops()
// under g_init_mutex, before any thread can dispatch (ensure_initialized publishes them with a
// release store), and dispatch reads OpDef fields only. The name table alone may still grow
// later (a user's register_op, graph tools), so lookups share a reader lock with it.
std::map<std::string, OpDef*, std::less<>>& op_table() {
  static auto* table = new std::map<std::string, OpDef*, std::less<>>();
  return *table;
}
std::shared_mutex& op_table_mutex() {
  static auto* mu = new std::shared_mutex();  // leaked: ops may be looked up during static destruction
  return *mu;
}
std::atomic<bool> g_initialized{false};
std::mutex g_init_mutex;
thread_local OpInterceptor* t_interceptor = nullptr;
thread_local int t_tape_depth = 0;
std::atomic<TapeHook> g_tape_hook{nullptr};
std::atomic<OpProfiler*> g_op_profiler{nullptr};

int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Device default_device() noexcept {
  static const bool has_gpu = device_exists(kGPU0);
  return has_gpu ? kGPU0 : kCPU0;
}

[[noreturn]] void throw_no_device(const OpDef& op, Device wanted) {
  TF_THROW(InvalidArgumentError, op.name, "Could not satisfy device specification '", wanted.str(), "' for op ",
           op.name, ": device ", wanted.str(), " does not exist. Existing devices: [", list_existing_devices(),
           "]. Use tf::config::set_soft_device_placement(true) to fall back to CPU:0.");
}

std::string describe_outputs(std::span<const OutputSpec> specs) {
  std::string s;
  for (const OutputSpec& o : specs) {
    if (!s.empty()) s += ", ";
    s += o.shape.to_string() + " " + std::string(dtype_name(o.dtype));
  }
  return s.empty() ? "allocated by the kernel" : s;
}

}  // namespace

void register_kernel(OpDef& op, DeviceType device, KernelFn fn, const char* where) {
  op.kernels[static_cast<int>(device)] = fn;
  op.kernel_defined_in[static_cast<int>(device)] = where;
}
void register_op(OpDef& op) {
  std::unique_lock lock(op_table_mutex());
  op_table()[op.name] = &op;
}
OpDef* find_op(std::string_view name) {
  ensure_initialized();
  std::shared_lock lock(op_table_mutex());
  auto it = op_table().find(name);
  return it == op_table().end() ? nullptr : it->second;
}

std::vector<OpDef*> registered_ops() {
  ensure_initialized();
  std::shared_lock lock(op_table_mutex());
  std::vector<OpDef*> out;
  for (const auto& [name, op] : op_table()) out.push_back(op);
  return out;
}

// A plain pointer, constant-initialized, so installing it from another translation unit's
// static initializer cannot race with this one's dynamic initialization.
static constinit std::atomic<void (*)()> g_library_initializer{nullptr};

void set_library_initializer(void (*initializer)()) noexcept { g_library_initializer.store(initializer); }

void ensure_initialized() {
  if (g_initialized.load(std::memory_order_acquire)) [[likely]]
    return;
  // Registration itself may ask for a device backend (which initializes first): the thread
  // that is registering passes through instead of waiting for itself.
  thread_local bool t_registering = false;
  if (t_registering) return;
  std::lock_guard<std::mutex> lock(g_init_mutex);
  if (g_initialized.load(std::memory_order_relaxed)) return;
  void (*initializer)() = g_library_initializer.load();
  TF_CHECK_TYPED(initializer != nullptr, FailedPreconditionError, "",
                 "Tapeflow's ops are not registered yet: an op ran during static initialization, before "
                 "libtapeflow was initialized; create tensors inside functions, not in global objects");
  t_registering = true;
  try {
    initializer();
  } catch (...) {
    t_registering = false;
    throw;
  }
  t_registering = false;
  g_initialized.store(true, std::memory_order_release);
}

OpInterceptor* set_op_interceptor(OpInterceptor* interceptor) noexcept {
  return std::exchange(t_interceptor, interceptor);
}
OpInterceptor* current_op_interceptor() noexcept { return t_interceptor; }
void set_tape_hook(TapeHook hook) noexcept { g_tape_hook.store(hook); }
OpProfiler* set_op_profiler(OpProfiler* profiler) noexcept { return g_op_profiler.exchange(profiler); }

void run_kernel(KernelFn kernel, KernelContext& ctx) {
  threading::detail::note_op_ran();  // the first op fixes the threading settings, as in TF
  OpProfiler* profiler = g_op_profiler.load(std::memory_order_relaxed);
  if (profiler == nullptr) [[likely]] {
    kernel(ctx);
    return;
  }
  const int64_t start = steady_ns();
  kernel(ctx);
  if (!ctx.device.is_cpu()) device_backend(ctx.device.type())->synchronize(ctx.device.index());
  profiler->op_ran(ctx.op, ctx.device, ctx.inputs, std::span<const Tensor>(ctx.outputs.data(), ctx.outputs.size()),
                   start, steady_ns());
}
int& tape_hook_depth() noexcept { return t_tape_depth; }

Device choose_device(const OpDef& op, std::span<const Tensor> inputs) {
  ensure_initialized();
  Device wanted;
  bool implicit = false;
  switch (op.placement) {
    case Placement::kHostOnly: return kCPU0;
    case Placement::kFirstInput:
      if (!inputs.empty()) return inputs[0].device();
      [[fallthrough]];
    case Placement::kDefault: {
      auto scoped = current_scope_device();
      implicit = !scoped;
      wanted = scoped ? *scoped : default_device();
      break;
    }
  }
  const bool exists = wanted.is_cpu() ? wanted.index() == 0 : device_exists(wanted);
  const bool has_kernel = op.kernels[static_cast<int>(wanted.type())] != nullptr;
  if (exists && has_kernel) [[likely]]
    return wanted;
  // Without a scope TF prefers GPU:0 only for ops that have a GPU kernel; others run on CPU:0.
  if (implicit && exists && wanted.is_gpu()) return kCPU0;
  if (detail::g_soft_device_placement.load(std::memory_order_relaxed)) {
    // TF2 falls back silently; placement logging is where a user asks to see it.
    if (detail::g_log_device_placement.load(std::memory_order_relaxed))
      logging::info(std::string("Op ") + op.name + " cannot run on " + wanted.str() +
                    (exists ? " (no kernel for that device)" : " (no such device)") +
                    "; soft device placement falls back to CPU:0");
    return kCPU0;
  }
  if (!exists) throw_no_device(op, wanted);
  TF_THROW(InvalidArgumentError, op.name, "Could not satisfy device specification '", wanted.str(), "' for op ",
           op.name, ": it has no kernel for ", device_type_name(wanted.type()),
           " devices. Use tf::config::set_soft_device_placement(true) to fall back to CPU:0.");
}

TensorList dispatch(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs,
                    std::span<const OutputSpec> specs, std::optional<Device> device_override) {
  ensure_initialized();
  Device device = device_override ? *device_override : choose_device(op, inputs);
  if (device_override && !device_exists(device)) {
    if (!detail::g_soft_device_placement.load(std::memory_order_relaxed)) throw_no_device(op, device);
    if (detail::g_log_device_placement.load(std::memory_order_relaxed))
      logging::info(std::string("Device ") + device.str() + " does not exist; soft device placement keeps " + op.name +
                    " on CPU:0");
    device = kCPU0;
  }

  // Step 2: inputs that live elsewhere are copied to the op's device.
  util::SmallVector<Tensor, 4> moved;
  std::span<const Tensor> run_inputs = inputs;
  if (!op.inputs_any_device) {
    bool need_move = false;
    for (const Tensor& t : inputs) need_move |= (t.device() != device);
    if (need_move) [[unlikely]] {
      for (const Tensor& t : inputs) {
        if (t.device() != device && detail::g_log_device_placement.load(std::memory_order_relaxed))
          logging::info(std::string("Copying input of ") + op.name + " from " + t.device().str() + " to " +
                        device.str());
        moved.push_back(t.device() == device ? t : t.to(device));
      }
      run_inputs = std::span<const Tensor>(moved.data(), moved.size());
    }
  }

  // Step 3: trace or run.
  TensorList outputs;
  if (t_interceptor) [[unlikely]] {
    outputs = t_interceptor->intercept(op, run_inputs, attrs, specs, device);
  } else {
    KernelFn kernel = op.kernels[static_cast<int>(device.type())];
    if (!kernel) [[unlikely]]
      TF_THROW(InvalidArgumentError, op.name, "No kernel registered for op ", op.name, " on ", device.str());
    // Note [Out of memory]: a failed allocation, the outputs' or a kernel's scratch (a
    // std::vector inside it), is a ResourceExhaustedError naming this op, never std::bad_alloc;
    // nothing is half-written, so the process stays usable.
    try {
      if (!op.kernel_allocates_outputs) {
        for (const OutputSpec& s : specs) outputs.push_back(Tensor::empty(s.shape, s.dtype, device));
      } else {
        // Views allocate nothing, so nothing else would check their element count (broadcast_to).
        for (const OutputSpec& s : specs) (void)s.shape.num_elements();
      }
      void* stream = device.is_cpu() ? nullptr : device_backend(device.type())->stream(device.index());
      KernelContext ctx{op, run_inputs, attrs, specs, outputs, device, stream};
      // A kernel may call public ops (a contiguous copy of a strided input, say); those are
      // implementation details the tape must not see.
      struct TapePause {
        int saved = std::exchange(t_tape_depth, 0);
        ~TapePause() { t_tape_depth = saved; }
      } pause;
      run_kernel(kernel, ctx);
    } catch (const errors::ResourceExhaustedError& e) {
      if (!e.op().empty()) throw;
      throw errors::ResourceExhaustedError(e.message(), op.name);
    } catch (const errors::OpError& e) {
      if (!e.op().empty() || e.error_code() != errors::Code::kInvalidArgument) throw;
      throw errors::InvalidArgumentError(e.message(), op.name);  // an output shape past 2^63 elements
    } catch (const std::bad_alloc&) {
      TF_THROW(ResourceExhaustedError, op.name, "OOM when running op ", op.name, " on ", device.full_name(),
               ": a host allocation failed (outputs ", describe_outputs(specs), ")");
    }
    if (detail::g_log_device_placement.load(std::memory_order_relaxed)) [[unlikely]]
      logging::info(std::string("Executing op ") + op.name + " in device " + device.full_name());  // TF's full name
  }

  // Step 4: the tape sees the caller's inputs (before any copy), so gradients flow back to them.
  if (t_tape_depth > 0) [[unlikely]] {
    if (TapeHook hook = g_tape_hook.load(std::memory_order_acquire))
      hook(op, inputs, attrs, std::span<const Tensor>(outputs.data(), outputs.size()));
  }
  return outputs;
}

Tensor dispatch1(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs, const OutputSpec& spec,
                 std::optional<Device> device_override) {
  TensorList out = dispatch(op, inputs, attrs, std::span<const OutputSpec>(&spec, 1), device_override);
  return std::move(out[0]);
}

}  // namespace tapeflow
