// GraphDef to its binary proto (graph_def_proto.h).
#include "tapeflow/serialization/graph_def_proto.h"

#include <google/protobuf/text_format.h>

#include "graph.pb.h"
#include "tapeflow/core/errors.h"

namespace tapeflow::serialization {

void to_graph_def_proto(const GraphDef& graph, tensorflow::GraphDef& out) {
  out.Clear();
  for (const NodeDef& n : graph.node) {
    tensorflow::NodeDef& d = *out.add_node();
    d.set_name(n.name);
    d.set_op(n.op);
    for (const std::string& in : n.input) d.add_input(in);
    d.set_device(n.device);
    auto& attrs = *d.mutable_attr();
    for (const auto& [key, body] : n.attr) {
      // The graph layer keeps attributes as their text format (what GraphDef printing shows),
      // so the proto is that text parsed: one source of truth for both.
      TF_CHECK_TYPED(google::protobuf::TextFormat::ParseFromString(body, &attrs[key]), InternalError, "", "node '",
                     n.name, "' (", n.op, "): attribute '", key, "' is not a valid AttrValue: ", body);
    }
  }
}

std::string serialize_graph_def(const GraphDef& graph) {
  tensorflow::GraphDef proto;
  to_graph_def_proto(graph, proto);
  return proto.SerializeAsString();
}

}  // namespace tapeflow::serialization
