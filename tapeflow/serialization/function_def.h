// A traced graph as TF's FunctionDef (what a SavedModel's graph_def.library holds), and a
// FunctionDef run with Tapeflow's ops through tf_op_table.h: tracing that run inside a
// tf::function gives the loaded function's graph, executed by our executor.
#pragma once
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tapeflow/graph/function.h"
#include "tapeflow/serialization/tf_op_table.h"

namespace tensorflow {
class FunctionDef;
}  // namespace tensorflow

namespace tapeflow::serialization {

/// What to_function_def names and binds.
struct FunctionDefNames {
  std::string name;                       // the FunctionDef's name ("__inference___call___12")
  std::vector<std::string> input_names;   // one per Tensor argument; empty: the placeholders' names
  std::vector<std::string> output_names;  // one per output; empty: "identity", "identity_1", ...
};

/// `function`'s graph as a FunctionDef: Tensor arguments first, then one DT_RESOURCE input per
/// variable the graph reads (returned in that order: the SavedConcreteFunction's bound inputs);
/// captured eager tensors become Const nodes. UnimplementedError naming the node for an op with
/// no TF counterpart in tf_op_table.
std::vector<Variable> to_function_def(const ConcreteFunction& function, const FunctionDefNames& names,
                                      tensorflow::FunctionDef& out);

/// The functions of a SavedModel's library by name (the protos live in the SavedModel).
using FunctionLibrary = std::map<std::string, const tensorflow::FunctionDef*>;

/// Checks `name` and every function it calls: each exists, calls form no cycle, node inputs
/// name existing nodes. Adds to `unimplemented` every op tf_op_table cannot run.
void check_function_def(const FunctionLibrary& library, const std::string& name, std::set<std::string>& unimplemented);

/// Runs function `name` on `inputs` (its input args in order: tensors, then variables for its
/// resource args) with Tapeflow's public ops; returns its outputs in output_arg order.
std::vector<TfValue> run_function_def(const FunctionLibrary& library, const std::string& name,
                                      const std::vector<TfValue>& inputs);

}  // namespace tapeflow::serialization
