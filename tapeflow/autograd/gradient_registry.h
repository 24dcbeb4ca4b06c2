// Gradient rules, keyed by op: one rule per op, written with public ops so that it runs on any
// device, can itself be recorded by an outer tape (higher-order gradients) and, later, traced.
#pragma once
#include <optional>
#include <span>
#include <vector>

#include "tapeflow/core/dispatch.h"

namespace tapeflow::autograd {

/// What a gradient rule sees: the forward call and the gradients flowing into its outputs.
struct GradContext {
  const OpDef& op;
  std::span<const Tensor> inputs;
  std::span<const Tensor> outputs;
  const OpAttrs* attrs;
  /// d(target)/d(output i); an output that received no gradient gets zeros of its shape.
  std::span<const Tensor> output_grads;
  /// Bit i is clear when no gradient reached output i and output_grads[i] is the tape's zeros, so
  /// that a rule may skip the term (TF's _is_zeros_tensor).
  uint64_t received = ~uint64_t{0};
  /// Bit i is set when the tape will use input i's gradient (a floating input on the path from a
  /// source); a rule may return std::nullopt for the others (TF's skip_input_indices).
  uint64_t needed = ~uint64_t{0};

  const Tensor& input(std::size_t i) const { return inputs[i]; }
  const Tensor& output(std::size_t i) const { return outputs[i]; }
  const Tensor& grad(std::size_t i = 0) const { return output_grads[i]; }
  bool has_grad(std::size_t i) const { return i >= 64 || ((received >> i) & 1u) != 0; }
  bool needs_grad(std::size_t i) const { return i >= 64 || ((needed >> i) & 1u) != 0; }
  template <typename A>
  const A& attr() const { return static_cast<const A&>(*attrs); }
};

/// Returns d(target)/d(input i) for each input; std::nullopt where an input gets no gradient
/// (integer inputs, indices, ...). Inline storage for four: most ops allocate nothing here.
using InputGrads = util::SmallVector<std::optional<Tensor>, 4>;
using GradFn = InputGrads (*)(const GradContext& ctx);

/// Registers `fn` as the gradient of `op`.
void register_gradient(OpDef& op, GradFn fn);
/// Marks `op` as having no gradient (TF's NotDifferentiable): it yields no gradient instead of
/// raising LookupError.
void register_not_differentiable(OpDef& op);
/// The rule of `op`, nullptr for not-differentiable ops; throws LookupError when none is registered.
GradFn gradient_function(const OpDef& op);

/// d(loss)/d(x) where x was broadcast to `grad`'s shape: sums over the broadcast axes and
/// reshapes back to `shape`.
Tensor unbroadcast(const Tensor& grad, const Shape& shape);

}  // namespace tapeflow::autograd
