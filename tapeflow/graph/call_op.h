// The call op (TF's PartitionedCall): a Function called where a tape or a tracer must see it is
// one op through the door, whose kernel runs the concrete function's plan and whose gradient is
// the traced backward of its graph (TF's forward/backward function pair).
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tapeflow/graph/executor.h"
#include "tapeflow/graph/graph.h"

namespace tapeflow {

class Function;

/// What a call needs of a concrete function.
struct CallableGraph {
  std::string name;  // the Function's name
  std::shared_ptr<Graph> graph;
  std::unique_ptr<ExecutionPlan> plan;
  std::vector<Tensor> captures;                          // bound to the capture placeholders, after the arguments
  std::vector<std::shared_ptr<VariableImpl>> variables;  // the variables the graph reads or writes
  bool has_side_effects = false;                         // a node of the graph is stateful (assign, print, ...)
  std::mutex backward_mu;
  std::shared_ptr<Function> backward;  // traced on the first gradient through a call
};

namespace ops {
extern OpDef PartitionedCall;
struct CallAttrs : OpAttrsBase<CallAttrs> {
  std::shared_ptr<CallableGraph> fn;
  int num_args = 0, num_captures = 0, num_variables = 0;
  uint64_t call = 0;  // the plan's call number: the backward replays that call's random streams
  std::string to_string() const override { return "f=" + fn->graph->name(); }
};
}  // namespace ops

/// Runs `fn` on `args` (its flat Tensor arguments): directly, or as one PartitionedCall through
/// the door while a tape records (the variables it reads become inputs, so their gradients
/// flow) or a tracer traces (a call node in the outer graph).
std::vector<Tensor> call_graph(const std::shared_ptr<CallableGraph>& fn, const std::vector<Tensor>& args);

/// The backward of `fn` as a Function of (its inputs: `num_plain` arguments and captures, then
/// the values of its variables; the outputs' gradients) returning one gradient (or None) per
/// input. It replays the graph under a tape; traced once per signature, cached in `fn`.
Function backward_of(const std::shared_ptr<CallableGraph>& fn, int num_plain);

}  // namespace tapeflow
