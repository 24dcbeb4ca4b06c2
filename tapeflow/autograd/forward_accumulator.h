// tf::autodiff::ForwardAccumulator (tf.autodiff.ForwardAccumulator): forward-mode autodiff.
// While alive (or until stop()), every op run on this thread whose inputs carry tangents gets
// the tangents of its outputs (J t, a Jacobian-vector product) from the op's JVP rule, or from
// its gradient rule where it has none (TF's double-VJP construction). Nested with GradientTape in
// either order it gives Hessian-vector products (Note [Nesting tapes and accumulators]).
#pragma once
#include <optional>
#include <span>
#include <vector>

#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/id_map.h"
#include "tapeflow/autograd/tape.h"

namespace tapeflow {
namespace autodiff {

/// Accumulates JVPs along the direction `tangents` from `primals` (tensors or variables; one
/// tangent per primal, of its shape; converted to its dtype as TF does):
///
///   tf::Variable x(tf::constant({1.0f, 2.0f}));
///   tf::autodiff::ForwardAccumulator acc({x}, {tf::constant({1.0f, 0.0f})});
///   tf::Tensor y = tf::reduce_sum(tf::sin(x) * x);
///   acc.stop();
///   std::optional<tf::Tensor> dy = acc.jvp(y);   // sum(cos(x) * x + sin(x)) * v
class ForwardAccumulator {
 public:
  /// Starts recording (Python's `with ForwardAccumulator(primals, tangents) as acc:`).
  /// InvalidArgumentError when the lists differ in length, a tangent's shape differs from its
  /// primal's, its dtype does not convert, or a primal is given twice.
  ForwardAccumulator(const std::vector<Source>& primals, const std::vector<Tensor>& tangents);
  ~ForwardAccumulator();
  ForwardAccumulator(const ForwardAccumulator&) = delete;
  ForwardAccumulator& operator=(const ForwardAccumulator&) = delete;

  /// Ends recording (the end of the `with` block). Idempotent.
  void stop();
  /// Records again after stop(); InvalidArgumentError ("already recording") when recording, as TF.
  void resume();
  bool recording() const { return recording_; }

  /// The JVP of `t`: std::nullopt when it does not depend on the primals (or zeros with
  /// UnconnectedGradients::Zero). A primal's JVP is its tangent.
  std::optional<Tensor> jvp(const Tensor& t, UnconnectedGradients unconnected = UnconnectedGradients::None) const;
  std::optional<Tensor> jvp(const Variable& v, UnconnectedGradients unconnected = UnconnectedGradients::None) const;
  std::vector<std::optional<Tensor>> jvp(const std::vector<Tensor>& ts,
                                         UnconnectedGradients unconnected = UnconnectedGradients::None) const;

  /// Called through the tape hook for every executed op while recording (internal).
  void record(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs, std::span<const Tensor> outputs);
  /// When it was created, on the tensor-id clock GradientTape::nesting_id() uses (internal).
  uint64_t nesting_id() const { return nesting_id_; }

 private:
  const Tensor* tangent_of(const Tensor& t) const;

  uint64_t nesting_id_ = 0;
  bool recording_ = false;
  autograd::IdMap<Tensor> tangents_;      // tensor id -> tangent
  autograd::IdMap<Tensor> var_tangents_;  // variable id -> tangent of its reads
};

}  // namespace autodiff

namespace autograd::detail {
/// The tangents of `outputs` given those of `inputs` (undefined: none): the op's JVP rule, else
/// the double VJP of its gradient rule. Runs with the tapes and accumulators created at or after
/// `nesting_id` paused, so only the outer ones record the computation (higher orders).
OutputTangents compute_jvp(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs,
                           std::span<const Tensor> outputs, std::span<const Tensor> tangents, uint64_t nesting_id);
/// How many accumulators record on this thread (for the op door's hook depth).
int recording_accumulators() noexcept;
/// Hands an executed op to every recording accumulator, outermost first.
void record_on_accumulators(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs,
                            std::span<const Tensor> outputs);
}  // namespace autograd::detail

}  // namespace tapeflow
