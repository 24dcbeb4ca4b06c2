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
  /// d(target)/d(output i), undefined where no gradient reached output i: read them through
  /// grad(i), which makes those zeros of the output's shape when a rule first asks.
  std::span<Tensor> output_grads;
  /// Bit i is clear when no gradient reached output i (grad(i) is zeros), so that a rule may skip
  /// the term (TF's _is_zeros_tensor) without the zeros ever being made.
  uint64_t received = ~uint64_t{0};
  /// Bit i is set when the tape will use input i's gradient (a floating input on the path from a
  /// source); a rule may return std::nullopt for the others (TF's skip_input_indices).
  uint64_t needed = ~uint64_t{0};

  const Tensor& input(std::size_t i) const { return inputs[i]; }
  const Tensor& output(std::size_t i) const { return outputs[i]; }
  const Tensor& grad(std::size_t i = 0) const {
    Tensor& g = output_grads[i];
    if (!g.defined()) g = zeros_for(outputs[i]);
    return g;
  }
  bool has_grad(std::size_t i) const { return i >= 64 || ((received >> i) & 1u) != 0; }
  bool needs_grad(std::size_t i) const { return i >= 64 || ((needed >> i) & 1u) != 0; }
  template <typename A> const A& attr() const { return static_cast<const A&>(*attrs); }

 private:
  static Tensor zeros_for(const Tensor& output);
};

/// Returns d(target)/d(input i) for each input; std::nullopt where an input gets no gradient
/// (integer inputs, indices, ...). Inline storage for four: most ops allocate nothing here.
using InputGrads = util::SmallVector<std::optional<Tensor>, 4>;
using GradFn = InputGrads (*)(const GradContext& ctx);

/// The forward values a gradient rule reads, as bit masks over the op's inputs and outputs. The
/// tape keeps those; of the others it keeps only shape, dtype and device, so their buffers are
/// freed as soon as nothing else holds them (TF's OpGradientDoesntRequireInputIndices /
/// OutputIndices). A rule must not read the data of a value it leaves out, in any branch.
struct ReadsValues {
  uint64_t inputs = ~uint64_t{0};
  uint64_t outputs = ~uint64_t{0};
};
inline constexpr ReadsValues kReadsNothing{0, 0};
inline constexpr ReadsValues kReadsInputs{~uint64_t{0}, 0};
inline constexpr ReadsValues kReadsOutputs{0, ~uint64_t{0}};

/// Registers `fn` as the gradient of `op`; `reads` says which forward values it uses (all by default).
/// `where` records the rule's source file (docs/ops.md).
void register_gradient(OpDef& op, GradFn fn, ReadsValues reads = {}, const char* where = __builtin_FILE());
/// Marks `op` as having no gradient (TF's NotDifferentiable): it yields no gradient instead of
/// raising LookupError.
void register_not_differentiable(OpDef& op, const char* where = __builtin_FILE());
/// Whether `op` was marked not differentiable.
bool is_not_differentiable(const OpDef& op);
/// The rule of `op`, nullptr for not-differentiable ops; throws LookupError when none is registered.
GradFn gradient_function(const OpDef& op);

// ---- forward mode (tf.autodiff.ForwardAccumulator) ----------------------------------------
/// What a JVP rule sees: the forward call and the tangents of its inputs.
struct JvpContext {
  const OpDef& op;
  std::span<const Tensor> inputs;
  std::span<const Tensor> outputs;
  const OpAttrs* attrs;
  /// d(input i) along the accumulator's direction; undefined where input i has none (zero).
  std::span<const Tensor> tangents;

  const Tensor& input(std::size_t i) const { return inputs[i]; }
  const Tensor& output(std::size_t i) const { return outputs[i]; }
  bool has_tangent(std::size_t i) const { return i < tangents.size() && tangents[i].defined(); }
  const Tensor& tangent(std::size_t i) const { return tangents[i]; }
  template <typename A> const A& attr() const { return static_cast<const A&>(*attrs); }
};
/// The tangent of each output (std::nullopt: none, e.g. integer outputs).
using OutputTangents = util::SmallVector<std::optional<Tensor>, 2>;
using JvpFn = OutputTangents (*)(const JvpContext& ctx);

/// Registers an explicit JVP rule for `op` (the hot elementwise ops, matmul). Ops without one
/// get their JVP from the gradient rule (TF's double-VJP construction, forward_accumulator.cpp).
/// Note [JVP rules read what the gradient rule reads]: tape.jacobian's forward mode replays a
/// tape, which keeps only the values named by the gradient rule's ReadsValues; a JVP rule must
/// read no other input or output value.
void register_jvp(OpDef& op, JvpFn fn, const char* where = __builtin_FILE());
/// The explicit JVP rule of `op`, or nullptr (then it is derived from the gradient rule).
JvpFn jvp_function(const OpDef& op);
/// The source file of `op`'s explicit JVP rule, or nullptr.
const char* jvp_defined_in(const OpDef& op);

/// The JVP of an op that is linear in its inputs, all floating (Sum, Mean, BiasAdd): the op
/// itself applied to the tangents (zeros for an input without one), with the same attributes.
OutputTangents linear_jvp(const JvpContext& c);

/// The JVP of an elementwise op of one input whose gradient rule is `Grad`: its Jacobian is
/// diagonal, so J t is the gradient rule applied to t.
template <GradFn Grad> OutputTangents elementwise_jvp(const JvpContext& c) {
  Tensor t = c.tangent(0);
  GradContext g{c.op, c.inputs, c.outputs, c.attrs, std::span<Tensor>(&t, 1), ~uint64_t{0}, 1u};
  InputGrads r = Grad(g);
  return {r.empty() ? std::nullopt : r[0]};
}

/// d(loss)/d(x) where x was broadcast to `grad`'s shape: sums over the broadcast axes and
/// reshapes back to `shape`.
Tensor unbroadcast(const Tensor& grad, const Shape& shape);

}  // namespace tapeflow::autograd
