// K::activations: activation functions by Keras name ("relu", "softmax", ...) or as any callable.
// An Activation is what layer options take: `.activation = "relu"` or `.activation = my_fn`.
#pragma once
#include <functional>
#include <string>

#include "tapeflow/core/tensor.h"

namespace tapeflow::keras::activations {

class Activation {
 public:
  using Fn = std::function<Tensor(const Tensor&)>;
  /// The identity ("linear").
  Activation() = default;
  /// A Keras name: linear relu relu6 sigmoid tanh softmax log_softmax softplus softsign elu selu
  /// gelu silu swish leaky_relu exponential; an unknown name is an InvalidArgumentError.
  Activation(const char* name);                                            // NOLINT: `.activation = "relu"`
  Activation(const std::string& name);                                     // NOLINT
  Activation(Tensor (*fn)(const Tensor&)) : fn_(fn), name_("function") {}  // NOLINT
  template <typename F>
  requires std::is_invocable_r_v<Tensor, F, const Tensor&> &&(!std::is_convertible_v<F, std::string>)Activation(F fn)
      : fn_(std::move(fn)), name_("function") {}  // NOLINT

  Tensor operator()(const Tensor& x) const { return fn_ ? fn_(x) : x; }
  const std::string& name() const { return name_; }
  bool is_linear() const { return !fn_; }

 private:
  Fn fn_;
  std::string name_ = "linear";
};

/// K::activations::get("relu").
inline Activation get(const std::string& name) { return Activation(name); }

}  // namespace tapeflow::keras::activations
