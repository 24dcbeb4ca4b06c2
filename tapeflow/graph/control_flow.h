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

namespace ops {
extern OpDef If;
}

namespace graph {
void register_control_flow();
}

}  // namespace tapeflow
