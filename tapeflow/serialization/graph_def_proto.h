// A traced graph's GraphDef (graph/graph.h) as TF's binary GraphDef proto: what TensorBoard's
// graph dashboard reads (tf::summary::graph, trace_export) and SavedModel embeds.
#pragma once
#include <string>

#include "tapeflow/graph/graph.h"

namespace tensorflow {
class GraphDef;
}

namespace tapeflow::serialization {

/// Fills `out` with `graph`'s nodes; each attribute's text-format body becomes its AttrValue.
/// InternalError naming the node and attribute if a body is not a valid AttrValue.
void to_graph_def_proto(const GraphDef& graph, tensorflow::GraphDef& out);
/// The serialized binary GraphDef of `graph`.
std::string serialize_graph_def(const GraphDef& graph);

}  // namespace tapeflow::serialization
