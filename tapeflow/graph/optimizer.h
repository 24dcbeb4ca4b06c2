// The graph optimizer (TF's Grappler): passes that rewrite a traced Graph before it is planned.
// Each pass is Graph -> Graph, can be switched off (to bisect a wrong result) and leaves the
// function's values unchanged. The traced graph users see (cf.graph()) stays as traced, as TF's.
#pragma once
#include <memory>

#include "tapeflow/graph/graph.h"

namespace tapeflow {

/// The passes a Function's graph goes through, in this order; TF's option names
/// (tf.config.optimizer.set_experimental_options).
struct GraphOptimizerOptions {
  /// Ops whose inputs are all constants are evaluated once and become constants.
  bool constant_folding = true;
  /// Ops with the same type, inputs, attributes and device are computed once (TF's dedup).
  bool common_subexpression_elimination = true;
  /// x * 1, 1 * x, x + 0, 0 + x, x - 0, x / 1 -> x; -(-x) -> x (when the shape is unchanged);
  /// a chain of integer MatMuls multiplying by the same matrix (x·(x·(…·x)), the seed's
  /// `power(x, n)`) -> x^n by repeated squaring, exact in integer arithmetic (it wraps, and
  /// wrapping multiplication is associative), never applied to floating-point chains.
  bool arithmetic_optimization = true;
  /// MatMul + BiasAdd/AddV2 (+ Relu) -> _FusedMatMul; Conv2D + BiasAdd (+ Relu) -> _FusedConv2D
  /// (float32/float64, where the fused op has a kernel for the node's device).
  bool remapping = true;
  /// Chains and DAGs of elementwise ops (the unary/binary table rows that keep the dtype; float32
  /// and float64) whose intermediate values nothing else reads -> one _FusedElementwise node
  /// (Note [Elementwise fusion]). Not one of TF's names: TF leaves this to XLA's fusion; the
  /// name follows Grappler's (`remapping`, `arithmetic_optimization`).
  bool elementwise_fusion = true;
  friend bool operator==(const GraphOptimizerOptions&, const GraphOptimizerOptions&) = default;
};

namespace config::optimizer {
/// The options Functions created from now on use (default: every pass on).
void set_experimental_options(const GraphOptimizerOptions& options);
GraphOptimizerOptions get_experimental_options();
}  // namespace config::optimizer

namespace passes {
// Each pass rewrites `g` in place and returns how many nodes it rewrote; the nodes it bypasses
// stay in `g` until prune() removes them. Node order stays a topological order.
int fold_constants(Graph& g);
int eliminate_common_subexpressions(Graph& g);
int simplify_arithmetic(Graph& g);
/// The matrix-power part of arithmetic_optimization; returns how many chains it rewrote.
int square_matrix_powers(Graph& g);
int remap_fused_ops(Graph& g);
/// Elementwise fusion; returns how many _FusedElementwise nodes it made.
int fuse_elementwise(Graph& g);
/// The nodes the outputs or a side effect need, renumbered in order (arguments always kept).
std::shared_ptr<Graph> prune(const Graph& g);
/// `g` through every pass `options` enables, then pruned.
std::shared_ptr<Graph> optimize(const Graph& g, const GraphOptimizerOptions& options);
}  // namespace passes

}  // namespace tapeflow
