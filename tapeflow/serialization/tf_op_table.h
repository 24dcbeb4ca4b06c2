// TensorFlow's ops as SavedModel functions hold them: for each op Tapeflow can load, its output
// argument names and attribute names (as TF's op registry declares them: what a FunctionDef's
// "node:output:index" inputs and attributes must use), and how to run it with Tapeflow's public
// ops, so that a loaded function traced through this table becomes one of our graphs.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tapeflow/core/tensor.h"
#include "tapeflow/core/variable.h"

namespace tensorflow {
class NodeDef;
class TensorProto;
}  // namespace tensorflow

namespace tapeflow::serialization {

/// A value flowing between a loaded function's nodes: a tensor, or a variable's handle (a
/// DT_RESOURCE input). `constant` is the host value of a Const (shapes and axes read it).
struct TfValue {
  Tensor tensor;
  Variable variable;
  std::optional<Tensor> constant;
};

struct TfOp {
  std::vector<std::string> outputs;  // output argument names, in order (each one tensor)
  std::vector<std::string> attrs;    // attribute names TF's op registry declares
  /// Runs the node on its inputs; null for the call ops, which the loader runs itself.
  std::function<std::vector<TfValue>(const std::vector<TfValue>&, const tensorflow::NodeDef&)> run;
};

/// The op named `op` ("MatMul"), or nullptr when Tapeflow cannot run it.
const TfOp* find_tf_op(const std::string& op);
/// Whether `op` calls a function of the library (StatefulPartitionedCall, PartitionedCall).
bool is_call_op(const std::string& op);

/// A TensorProto (a Const's value) as a host Tensor, validated: DataLossError for a shape or
/// size that does not match its values, UnimplementedError for a dtype Tapeflow lacks.
Tensor tensor_from_tensor_proto(const tensorflow::TensorProto& proto);

}  // namespace tapeflow::serialization
