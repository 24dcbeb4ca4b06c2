#include "tapeflow/core/variable.h"

#include <atomic>
#include <map>
#include <mutex>

#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/copy.h"
#include "tapeflow/core/ops/creation.h"

namespace tapeflow {

struct VariableImpl {
  std::string name;
  bool trainable = true;
  uint64_t id = 0;
  Device device;
  Tensor value;  // contiguous, owned by the variable
};

namespace {
std::atomic<detail::VariableAssignHook> g_assign_hook{nullptr};
std::atomic<uint64_t> g_variable_ids{1};

/// A fresh contiguous copy of `t` on `device` (copying is what makes the variable's buffer its own).
Tensor own_copy(const Tensor& t, Device device) {
  Tensor src = t;
  Tensor moved = src.device() == device ? src : src.to(device);
  if (moved.unsafe_impl() != src.unsafe_impl()) return moved;  // `to` already made a fresh buffer
  return dispatch1(ops::Copy, std::span<const Tensor>(&src, 1), nullptr, {src.shape(), src.dtype()});
}
}  // namespace

namespace detail {
Tensor make_scalar_for_variable(double v, bool integral) {
  return integral ? constant(static_cast<int>(v)) : constant(static_cast<float>(v));
}
void set_variable_assign_hook(VariableAssignHook hook) noexcept { g_assign_hook.store(hook); }
}  // namespace detail

Variable::Variable(const Tensor& initial_value, VariableOptions options) {
  TF_CHECK_ARG(initial_value.defined(), "VarHandleOp", "a Variable needs a defined initial value");
  Tensor lifted = initial_value;
  if (OpInterceptor* tracer = current_op_interceptor()) [[unlikely]]
    lifted = tracer->lift_variable_initializer(initial_value);
  InterceptorPause eager;  // a variable is created eagerly, even inside a tf::function trace
  impl_ = std::make_shared<VariableImpl>();
  impl_->name = options.name;
  impl_->trainable = options.trainable;
  impl_->id = g_variable_ids.fetch_add(1);
  Tensor init = options.dtype ? cast(lifted, *options.dtype) : lifted;
  impl_->device = choose_device(ops::CopyToDevice, {});
  if (init.dtype() == DType::kString) impl_->device = kCPU0;
  impl_->value = own_copy(init, impl_->device);
}

void Variable::check_defined() const {
  if (!impl_) TF_THROW(FailedPreconditionError, "ReadVariableOp", "use of an uninitialized (default) Variable");
}
std::string Variable::name() const {
  check_defined();
  return impl_->name + ":0";
}
bool Variable::trainable() const {
  check_defined();
  return impl_->trainable;
}
const Shape& Variable::shape() const {
  check_defined();
  return impl_->value.shape();
}
DType Variable::dtype() const {
  check_defined();
  return impl_->value.dtype();
}
Device Variable::device() const {
  check_defined();
  return impl_->device;
}
uint64_t Variable::id() const {
  check_defined();
  return impl_->id;
}

Tensor Variable::read_value() const {
  check_defined();
  if (OpInterceptor* tracer = current_op_interceptor()) [[unlikely]]
    return tracer->read_variable(*this);
  // A read is a view of the variable's buffer tagged with the variable, so the tape can tell a
  // read of `v` from any other tensor. The buffer is only ever written when no read shares it.
  const Tensor& v = impl_->value;
  Tensor read = detail::make_view(v.storage(), v.shape(), v.strides(), v.offset(), v.dtype(), v.device());
  read.unsafe_impl()->variable = impl_;
  return read;
}

Variable& Variable::assign(const Tensor& value) {
  check_defined();
  TF_CHECK_ARG(value.dtype() == dtype(), "AssignVariableOp", "Trying to assign a ", dtype_name(value.dtype()),
               " value to variable '", name(), "' of dtype ", dtype_name(dtype()));
  TF_CHECK_ARG(value.shape() == shape(), "AssignVariableOp", "Trying to assign a value of shape ",
               value.shape().to_string(), " to variable '", name(), "' of shape ", shape().to_string());
  if (OpInterceptor* tracer = current_op_interceptor()) [[unlikely]] {
    tracer->write_variable(*this, "AssignVariableOp", value);
    return *this;
  }
  Tensor fresh = own_copy(value, impl_->device);
  impl_->value = fresh;
  if (auto hook = g_assign_hook.load()) hook(*this);
  return *this;
}

Variable& Variable::assign_add(const Tensor& delta) {
  check_defined();
  TF_CHECK_ARG(delta.dtype() == dtype(), "AssignAddVariableOp", "Trying to add a ", dtype_name(delta.dtype()),
               " value to variable '", name(), "' of dtype ", dtype_name(dtype()));
  TF_CHECK_ARG(delta.shape() == shape(), "AssignAddVariableOp", "Trying to add a value of shape ",
               delta.shape().to_string(), " to variable '", name(), "' of shape ", shape().to_string());
  if (OpInterceptor* tracer = current_op_interceptor()) [[unlikely]] {
    tracer->write_variable(*this, "AssignAddVariableOp", delta);
    return *this;
  }
  DeviceScope on(impl_->device);
  impl_->value = add(impl_->value, delta);
  if (auto hook = g_assign_hook.load()) hook(*this);
  return *this;
}

Variable& Variable::assign_sub(const Tensor& delta) {
  check_defined();
  TF_CHECK_ARG(delta.dtype() == dtype(), "AssignSubVariableOp", "Trying to subtract a ", dtype_name(delta.dtype()),
               " value from variable '", name(), "' of dtype ", dtype_name(dtype()));
  TF_CHECK_ARG(delta.shape() == shape(), "AssignSubVariableOp", "Trying to subtract a value of shape ",
               delta.shape().to_string(), " from variable '", name(), "' of shape ", shape().to_string());
  if (OpInterceptor* tracer = current_op_interceptor()) [[unlikely]] {
    tracer->write_variable(*this, "AssignSubVariableOp", delta);
    return *this;
  }
  DeviceScope on(impl_->device);
  impl_->value = subtract(impl_->value, delta);
  if (auto hook = g_assign_hook.load()) hook(*this);
  return *this;
}

std::ostream& operator<<(std::ostream& os, const Variable& v) {
  if (!v.defined()) return os << "<tf.Variable (uninitialized)>";
  // TF starts a multi-line value on its own line, as for a Tensor.
  const std::string values = format_values_repr(v.read_value());
  return os << "<tf.Variable '" << v.name() << "' shape=" << v.shape() << " dtype=" << dtype_name(v.dtype())
            << ", numpy=" << (values.find('\n') != std::string::npos ? "\n" : "") << values << ">";
}

}  // namespace tapeflow
