// Graph: what tracing a tf::function records (TF's FuncGraph). Nodes carry TF's op names and
// attributes, inputs as `node:index` and devices, so that a graph maps one-to-one onto TF's
// GraphDef; as_graph_def() gives that GraphDef and prints TF's text format.
#pragma once
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/variable.h"

namespace tapeflow {

/// Output `index` of node `node` (TF's "name:index").
struct Endpoint {
  int node = -1;
  int index = 0;
  friend bool operator==(const Endpoint& a, const Endpoint& b) { return a.node == b.node && a.index == b.index; }
};

enum class NodeKind : uint8_t {
  kArg,        // Placeholder bound to a Tensor argument of the call
  kCapture,    // Placeholder bound to a captured eager tensor (TF's captures)
  kVarHandle,  // Placeholder of dtype resource: a captured variable, read by reference
  kConst,      // a tensor created inside the trace (tf::constant)
  kOp,         // an op of the door, run by its registered kernel
  kRead,       // ReadVariableOp
  kAssign,     // AssignVariableOp / AssignAddVariableOp / AssignSubVariableOp
  kPrint,      // PrintV2 (tf::print)
  kIdentity,   // the Identity nodes that return the outputs
};

/// One piece of a tf::print: literal text, or the next tensor input (printed as NumPy's str()).
struct PrintPiece {
  bool is_tensor = false;
  std::string text;
};

struct Node {
  std::string name;  // unique in the graph: "MatMul", "MatMul_1"
  std::string op;    // TF's op type: "MatMul", "Placeholder", "ReadVariableOp"
  NodeKind kind = NodeKind::kOp;
  const OpDef* def = nullptr;  // kOp: the door's op definition
  std::vector<Endpoint> inputs;
  std::vector<int> control_inputs;  // TF's "^name": stateful ops in program order
  std::shared_ptr<const OpAttrs> attrs;
  std::vector<OutputSpec> outputs;
  Device device;                           // where it runs
  bool device_requested = false;           // a DeviceScope was active: printed as the node's device
  bool stateful = false;                   // kept by pruning even when no output needs it
  Tensor value;                            // kConst
  std::shared_ptr<VariableImpl> variable;  // kVarHandle
  int slot = -1;                           // kArg / kCapture: index among the call's inputs
  std::vector<PrintPiece> print;           // kPrint
};

/// TF's NodeDef: attribute values are kept as their text-format bodies ("type: DT_FLOAT").
struct NodeDef {
  std::string name, op, device;
  std::vector<std::string> input;
  std::map<std::string, std::string> attr;
};
/// TF's GraphDef; operator<< prints the protobuf text format (`node { name: ... }`).
struct GraphDef {
  std::vector<NodeDef> node;
  std::string to_string() const;
};
std::ostream& operator<<(std::ostream& os, const GraphDef& g);

class Graph {
 public:
  explicit Graph(std::string name = "graph") : name_(std::move(name)) {}
  const std::string& name() const { return name_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const Node& node(int i) const { return nodes_[static_cast<std::size_t>(i)]; }
  Node& node(int i) { return nodes_[static_cast<std::size_t>(i)]; }
  int num_nodes() const { return static_cast<int>(nodes_.size()); }
  /// Appends `n` (its name made unique as TF does: "AddV2", "AddV2_1") and returns its index.
  int add(Node n);
  /// "AddV2:1", or "AddV2" for output 0 (TF's input naming).
  std::string endpoint_name(Endpoint e) const;
  const OutputSpec& spec(Endpoint e) const { return node(e.node).outputs[static_cast<std::size_t>(e.index)]; }

  /// The function's results (the Identity nodes' inputs are the traced values).
  std::vector<Endpoint> outputs;
  int num_args = 0;      // kArg nodes, slots [0, num_args)
  int num_captures = 0;  // kCapture nodes, slots [num_args, num_args + num_captures)

  GraphDef as_graph_def() const;

 private:
  std::string name_;
  std::vector<Node> nodes_;
  std::map<std::string, int> name_uses_;
};

}  // namespace tapeflow
