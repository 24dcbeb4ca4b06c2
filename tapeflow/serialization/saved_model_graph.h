// The outer graph of a SavedModel's MetaGraphDef, as TF 2.21's tf.saved_model.save writes it
// (save.py's _fill_meta_graph_def): per signature a Placeholder per input and a
// StatefulPartitionedCall of the signature's function on them and on the variables' VarHandleOps;
// the init op; and the saver (saver_def: traced save and restore functions over SaveV2/RestoreV2
// called on the `saver_filename` Placeholder). TF1's loader, TF Serving and `saved_model_cli run`
// run this graph; TF2's tf.saved_model.load reads the object graph instead.
#pragma once
#include <string>
#include <vector>

#include "tapeflow/graph/function.h"
#include "tapeflow/serialization/object_graph.h"

namespace tensorflow {
class MetaGraphDef;
}  // namespace tensorflow

namespace tapeflow::serialization {

/// One signature of the SavedModel: its key, the FunctionDef it calls (already in the library),
/// its inputs (keys and specs) and outputs (keys and specs) in the function's argument and
/// output order, and the variables the function reads (its resource arguments, in order).
struct OuterSignature {
  std::string key;
  std::string function;
  std::vector<std::pair<std::string, TensorSpec>> inputs;
  std::vector<std::pair<std::string, TensorSpec>> outputs;
  std::vector<Variable> captures;
};

/// Adds the outer graph's nodes to `meta.graph_def` and the save/restore FunctionDefs (numbered
/// from ++function_count) to its library, and fills the signature_defs' tensor names,
/// `__saved_model_init_op`, the main-op collection and saver_def. `variables`: every variable
/// of the object graph, in its order (one VarHandleOp each); `checkpoint`: what the
/// SavedModel's variables/ holds (the saver writes and reads the same keys). InternalError for
/// a captured variable outside `variables`.
void write_outer_graph(const std::vector<OuterSignature>& signatures, const std::vector<Variable>& variables,
                       const ObjectGraphCheckpoint& checkpoint, int& function_count, tensorflow::MetaGraphDef& meta);

}  // namespace tapeflow::serialization
