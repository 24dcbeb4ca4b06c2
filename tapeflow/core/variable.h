// Variable: mutable state (tf.Variable). A handle: copies refer to the same variable. It reads as
// a Tensor in every op. assign* give the variable a new value buffer (tensor values stay
// immutable, so a read taken before an assign keeps its value, as in TF).
#pragma once
#include <memory>
#include <string>

#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/unary.h"
#include "tapeflow/core/tensor.h"

namespace tapeflow {

struct VariableOptions {
  std::string name = "Variable";
  bool trainable = true;
  std::optional<DType> dtype = std::nullopt;  // casts the initial value when given
};

struct VariableImpl;

class Variable {
 public:
  Variable() = default;
  explicit Variable(std::shared_ptr<VariableImpl> impl) : impl_(std::move(impl)) {}
  /// Creates a variable holding a copy of `initial_value`, on the device an op would run on now
  /// (so `DeviceScope on("CPU:0"); tf::Variable v(...)` lives on CPU:0).
  explicit Variable(const Tensor& initial_value, VariableOptions options = {});
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  explicit Variable(T scalar, VariableOptions options = {});

  bool defined() const noexcept { return impl_ != nullptr; }
  /// "v:0" — TF appends the output index to the name.
  std::string name() const;
  bool trainable() const;
  const Shape& shape() const;
  DType dtype() const;
  Device device() const;
  uint64_t id() const;
  /// The current value as a Tensor (a snapshot: later assigns do not change it).
  Tensor read_value() const;
  Tensor value() const { return read_value(); }
  operator Tensor() const { return read_value(); }  // NOLINT: a Variable reads as a Tensor

  /// Writes `value` (same shape and dtype, else InvalidArgumentError); returns *this.
  Variable& assign(const Tensor& value);
  Variable& assign_add(const Tensor& delta);
  Variable& assign_sub(const Tensor& delta);

  template <typename T> T item() const { return read_value().item<T>(); }
  template <typename T> std::vector<T> to_vector() const { return read_value().to_vector<T>(); }
  Tensor operator[](const Index& index) const { return read_value()[index]; }
  Tensor operator[](std::initializer_list<Index> indices) const { return read_value()[indices]; }

  friend bool operator==(const Variable& a, const Variable& b) noexcept { return a.impl_ == b.impl_; }
  std::shared_ptr<VariableImpl> impl() const noexcept { return impl_; }

 private:
  void check_defined() const;
  std::shared_ptr<VariableImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Variable& v);

namespace detail {
Tensor make_scalar_for_variable(double v, bool integral);
/// Called when a variable is assigned, so live tapes can stop gradients through it (autograd/).
using VariableAssignHook = void (*)(const Variable& v);
void set_variable_assign_hook(VariableAssignHook hook) noexcept;
}  // namespace detail

template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int>>
Variable::Variable(T scalar, VariableOptions options)
    : Variable(detail::make_scalar_for_variable(static_cast<double>(scalar), std::is_integral_v<T>),
               std::move(options)) {}

}  // namespace tapeflow
