// The one door every op goes through (Note [The op door]):
//   1. the op function checks dtypes/shapes/attributes and computes output specs, then calls
//      dispatch(), which
//   2. chooses the device (innermost DeviceScope, else GPU:0 when present, else CPU:0) and copies
//      inputs that live elsewhere,
//   3. hands the op to the active tracer (tf::function) if any, else runs the kernel registered
//      for (op, device type),
//   4. lets the tape hook record the op when a GradientTape is live on this thread.
// Kernels and gradient rules are registered per op through explicit registration functions.
#pragma once
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tapeflow/core/device.h"
#include "tapeflow/core/tensor.h"
#include "tapeflow/util/small_vector.h"

namespace tapeflow {

class Variable;
using TensorList = util::SmallVector<Tensor, 4>;

/// Attributes of an op call (axis, transpose flags, ...). Ops without attributes pass nullptr.
/// Cloned only when a tape or a tracer keeps the call.
struct OpAttrs {
  virtual ~OpAttrs() = default;
  virtual std::unique_ptr<OpAttrs> clone() const = 0;
  /// For graph printing: "axis=[1], keepdims=false".
  virtual std::string to_string() const { return {}; }
};
template <typename Derived> struct OpAttrsBase : OpAttrs {
  std::unique_ptr<OpAttrs> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

struct OutputSpec {
  Shape shape;
  DType dtype;
};

struct OpDef;

/// What a kernel sees. Outputs are allocated before the kernel runs unless the op sets
/// kernel_allocates_outputs (views, data-dependent shapes), in which case the kernel fills them.
struct KernelContext {
  const OpDef& op;
  std::span<const Tensor> inputs;
  const OpAttrs* attrs;
  std::span<const OutputSpec> specs;
  TensorList& outputs;
  Device device;
  void* stream;  // cudaStream_t on GPUs

  const Tensor& input(std::size_t i) const { return inputs[i]; }
  Tensor& output(std::size_t i) { return outputs[i]; }
  template <typename A> const A& attr() const { return static_cast<const A&>(*attrs); }
};
using KernelFn = void (*)(KernelContext&);

/// Placement rule of an op.
enum class Placement : uint8_t {
  kDefault,     // innermost DeviceScope, else GPU:0 when present, else CPU:0
  kFirstInput,  // where its first input lives (views, host reads, contiguous copies)
  kHostOnly,    // always CPU:0 (string ops, ragged/sparse bookkeeping)
};

/// An op definition. Defined once in core/ops/<family>.cpp; kernels and the gradient rule are
/// attached by registration functions.
struct OpDef {
  const char* name;  // TF's op name: "AddV2", "MatMul"
  Placement placement = Placement::kDefault;
  bool kernel_allocates_outputs = false;
  bool inputs_any_device = false;  // device copies: inputs are not moved first
  KernelFn kernels[kNumDeviceTypes] = {};
  const void* gradient = nullptr;                  // autograd's rule, type-erased (core knows no autograd)
  uint64_t gradient_reads_inputs = ~uint64_t{0};   // bit i: the rule reads input i's value
  uint64_t gradient_reads_outputs = ~uint64_t{0};  // bit i: the rule reads output i's value
  // Where the op lives, recorded by its definition and its registrations (source paths as
  // compiled), so tools/ops_table can list "op -> definition, kernels, gradient" (docs/ops.md).
  const char* defined_in = __builtin_FILE();
  const char* kernel_defined_in[kNumDeviceTypes] = {};
  const char* gradient_defined_in = nullptr;
};

/// Registers a kernel for (op, device type); `where` records the kernel's source file.
void register_kernel(OpDef& op, DeviceType device, KernelFn fn, const char* where = __builtin_FILE());
/// Makes `op` findable by name (graph import, gradient registration).
void register_op(OpDef& op);
/// The op named `name`, or nullptr.
OpDef* find_op(std::string_view name);
/// Every op made findable by register_op, sorted by name (registry audits, graph tools).
std::vector<OpDef*> registered_ops();

/// The door. `device_override` forces the device (Tensor::to); otherwise the op's placement rule.
TensorList dispatch(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs,
                    std::span<const OutputSpec> specs, std::optional<Device> device_override = std::nullopt);
/// Single-output form.
Tensor dispatch1(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs, const OutputSpec& spec,
                 std::optional<Device> device_override = std::nullopt);

/// The device an op would run on now (step 2 of the door).
Device choose_device(const OpDef& op, std::span<const Tensor> inputs);

// ---- Hook points for the layers above core ------------------------------------------------
/// Intercepts ops while a tf::function traces (set per thread by graph/).
class OpInterceptor {
 public:
  virtual ~OpInterceptor() = default;
  virtual TensorList intercept(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs,
                               std::span<const OutputSpec> specs, Device device) = 0;
  /// Variables are not ops: a read or write while tracing becomes a graph node (ReadVariableOp,
  /// AssignVariableOp, ...) so that the graph reads the variable at run time.
  virtual Tensor read_variable(const Variable& v) = 0;
  /// `op` is "AssignVariableOp", "AssignAddVariableOp" or "AssignSubVariableOp".
  virtual void write_variable(const Variable& v, const char* op, const Tensor& value) = 0;
  /// A variable created while tracing: returns its initial value as an eager tensor, or throws
  /// when the function may not create variables (TF's first-trace rule).
  virtual Tensor lift_variable_initializer(const Tensor& initial_value) = 0;
};
/// Installs `interceptor` on this thread; returns the previous one.
OpInterceptor* set_op_interceptor(OpInterceptor* interceptor) noexcept;
/// The interceptor installed on this thread, or nullptr.
OpInterceptor* current_op_interceptor() noexcept;
/// Uninstalls the interceptor for its lifetime (eager work done while tracing: variable creation).
class InterceptorPause {
 public:
  InterceptorPause() noexcept : saved_(set_op_interceptor(nullptr)) {}
  ~InterceptorPause() { set_op_interceptor(saved_); }
  InterceptorPause(const InterceptorPause&) = delete;
  InterceptorPause& operator=(const InterceptorPause&) = delete;

 private:
  OpInterceptor* saved_;
};

/// Called after a kernel ran when tape_hook_active() on this thread (set by autograd/).
using TapeHook = void (*)(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs,
                          std::span<const Tensor> outputs);
void set_tape_hook(TapeHook hook) noexcept;
/// autograd/ increments this per live tape on the thread; dispatch skips the hook when 0.
int& tape_hook_depth() noexcept;

/// Installs the function that registers every op, kernel and gradient of the library. The
/// top-level library (tapeflow/init.cpp), which links every layer, installs it when it is
/// loaded, so core never names anything above it.
void set_library_initializer(void (*initializer)()) noexcept;
/// Runs the library initializer once (thread-safe); dispatch() calls it on first use.
void ensure_initialized();

}  // namespace tapeflow
