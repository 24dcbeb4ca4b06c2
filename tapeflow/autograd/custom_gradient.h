// tf::custom_gradient (tf.custom_gradient): wraps a function that returns its outputs together
// with the function computing its gradient. The forward ops are not recorded; tapes record one
// "CustomGradient" op whose gradient rule calls the user's gradient function (written with public
// ops, so tapes around it still give higher-order gradients).
//
//   auto log1pexp = tf::custom_gradient([](const tf::Tensor& x) {
//     tf::Tensor e = tf::exp(x);
//     auto grad = [e](const tf::Tensor& upstream) { return upstream * (1 - 1 / (1 + e)); };
//     return std::pair{tf::log(1 + e), grad};
//   });
//   tf::Tensor y = log1pexp(x);
#pragma once
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "tapeflow/core/tensor.h"
#include "tapeflow/core/variable.h"

namespace tapeflow {

namespace autograd::detail {
/// Gradients for the inputs, then for the variables the forward function read.
using CustomGradFn = std::function<std::pair<std::vector<std::optional<Tensor>>, std::vector<std::optional<Tensor>>>(
    const std::vector<Tensor>& upstream, const std::vector<Variable>& variables)>;
struct CustomForward {
  std::vector<Tensor> outputs;
  CustomGradFn grad_fn;
  bool grad_fn_takes_variables = false;
};
/// Runs `forward` with every tape paused (watching which trainable variables it reads), then
/// records one CustomGradient op on the recording tapes. Returns the recorded outputs.
std::vector<Tensor> call_with_custom_gradient(const std::vector<Tensor>& inputs,
                                              const std::function<CustomForward(const std::vector<Tensor>&)>& forward);

inline std::vector<std::optional<Tensor>> as_gradient_list(const Tensor& g) { return {g}; }
inline std::vector<std::optional<Tensor>> as_gradient_list(const std::optional<Tensor>& g) { return {g}; }
inline std::vector<std::optional<Tensor>> as_gradient_list(const std::vector<Tensor>& gs) {
  return {gs.begin(), gs.end()};
}
inline std::vector<std::optional<Tensor>> as_gradient_list(std::vector<std::optional<Tensor>> gs) { return gs; }

template <typename Out> inline std::vector<Tensor> as_output_list(const Out& out) {
  if constexpr (std::is_same_v<Out, Tensor>)
    return {out};
  else
    return out;
}
}  // namespace autograd::detail

/// The callable tf::custom_gradient returns. `f(inputs...)` returns {outputs, grad_fn} (a pair or
/// tuple): outputs a Tensor or std::vector<Tensor>; grad_fn takes the upstream gradient(s) (a
/// Tensor, or std::vector<Tensor> for vector outputs) and returns the gradient of each input (a
/// Tensor for one input, else a std::vector of Tensor or std::optional<Tensor>). When f reads
/// trainable variables, grad_fn must also take `const std::vector<tf::Variable>& variables` and
/// return {input gradients, variable gradients}, as TF's `variables` keyword argument.
template <typename F> class CustomGradientFunction {
 public:
  explicit CustomGradientFunction(F f) : f_(std::move(f)) {}

  template <typename... Args> auto operator()(const Args&... args) const {
    using Result = std::invoke_result_t<const F&, const decltype(Tensor(args))&...>;
    using Out = std::decay_t<decltype(std::get<0>(std::declval<Result>()))>;
    using Grad = std::decay_t<decltype(std::get<1>(std::declval<Result>()))>;
    using Upstream = std::conditional_t<std::is_same_v<Out, Tensor>, Tensor, std::vector<Tensor>>;
    static_assert(std::is_same_v<Out, Tensor> || std::is_same_v<Out, std::vector<Tensor>>,
                  "custom_gradient: the function must return {Tensor or std::vector<Tensor>, grad_fn}");
    constexpr bool kTakesVariables = std::is_invocable_v<const Grad&, const Upstream&, const std::vector<Variable>&>;
    static_assert(kTakesVariables || std::is_invocable_v<const Grad&, const Upstream&>,
                  "custom_gradient: grad_fn must take the upstream gradient(s) (and optionally the variables)");

    std::vector<Tensor> inputs{Tensor(args)...};
    auto forward = [this](const std::vector<Tensor>& xs) {
      Result r = call(xs, std::index_sequence_for<Args...>{});
      autograd::detail::CustomForward out;
      out.outputs = autograd::detail::as_output_list(std::get<0>(r));
      out.grad_fn_takes_variables = kTakesVariables;
      Grad grad = std::get<1>(std::move(r));
      out.grad_fn = [grad](const std::vector<Tensor>& upstream, const std::vector<Variable>& variables) {
        Upstream up;
        if constexpr (std::is_same_v<Upstream, Tensor>)
          up = upstream[0];
        else
          up = upstream;
        if constexpr (kTakesVariables) {
          auto [gx, gv] = grad(up, variables);
          return std::pair{autograd::detail::as_gradient_list(gx), autograd::detail::as_gradient_list(gv)};
        } else {
          return std::pair{autograd::detail::as_gradient_list(grad(up)), std::vector<std::optional<Tensor>>{}};
        }
      };
      return out;
    };
    std::vector<Tensor> outs = autograd::detail::call_with_custom_gradient(inputs, forward);
    if constexpr (std::is_same_v<Out, Tensor>)
      return outs[0];
    else
      return outs;
  }

 private:
  template <std::size_t... I> auto call(const std::vector<Tensor>& xs, std::index_sequence<I...>) const {
    return f_(xs[I]...);
  }
  F f_;
};

/// tf.custom_gradient: see CustomGradientFunction.
template <typename F> CustomGradientFunction<F> custom_gradient(F f) { return CustomGradientFunction<F>(std::move(f)); }

}  // namespace tapeflow
