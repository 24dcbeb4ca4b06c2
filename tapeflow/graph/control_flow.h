// tf::cond: value-dependent control flow. Eagerly the chosen branch runs directly (a tape records
// its ops); inside a Function both branches are traced into graphs and the If op (through the
// door, so tapes and tracers see it) runs one of them. Its gradient is an If of the branches'
// traced backwards.
#pragma once
#include <functional>

#include "tapeflow/graph/function.h"

namespace tapeflow {

/// tf.cond(pred, true_fn, false_fn): `pred` is a scalar bool tensor; both branches return the
/// same structure of Tensors (dtypes equal; a dimension that differs becomes None).
Value cond(const Tensor& pred, const std::function<Value()>& true_fn, const std::function<Value()>& false_fn);

/// tf.while_loop(cond, body, loop_vars): eagerly a C++ loop; inside a Function a While op whose
/// cond and body are traced graphs. Each loop variable keeps its dtype and shape across
/// iterations (TF's rule without shape_invariants).
std::vector<Tensor> while_loop(const std::function<Tensor(const std::vector<Tensor>&)>& cond,
                               const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& body,
                               const std::vector<Tensor>& loop_vars);

namespace ops {
extern OpDef If, While;
}
/// Whether a call, If or While node runs a graph with side effects (so pruning keeps it).
bool runs_stateful_graph(const OpDef& op, const OpAttrs* attrs);

namespace graph {
void register_control_flow();
}

}  // namespace tapeflow
