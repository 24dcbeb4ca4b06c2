// Saving and restoring a graph of trackable objects in TF's object-based checkpoint format:
// the walk that numbers objects breadth first and names each variable by its first path
// ("model/dense_1/w/.ATTRIBUTES/VARIABLE_VALUE"), the TrackableObjectGraph stored under
// _CHECKPOINTABLE_OBJECT_GRAPH, and the restore that matches the saved graph against live
// objects child name by child name (TF's matching), deferring what is not built yet.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tapeflow/trackable/trackable.h"

namespace tapeflow::serialization {

inline constexpr const char* kObjectGraphKey = "_CHECKPOINTABLE_OBJECT_GRAPH";

/// TF's escaping of a local name inside a checkpoint key: "." -> "..", "/" -> "./".
std::string escape_local_name(const std::string& name);

/// What an object-based checkpoint of `root` holds: the serialized TrackableObjectGraph (stored
/// under kObjectGraphKey) and every variable by its checkpoint key, in key order.
struct ObjectGraphCheckpoint {
  std::string object_graph;
  std::map<std::string, Variable> variables;
};
ObjectGraphCheckpoint object_graph_checkpoint(const std::shared_ptr<Trackable>& root);

/// Writes every variable reachable from `root` and the object graph to `prefix` (atomically).
void write_object_graph_checkpoint(const std::shared_ptr<Trackable>& root, const std::string& prefix);

/// What a restore matched: the state behind tf::train::CheckpointLoadStatus.
struct RestoreResult {
  std::string save_path;
  std::vector<std::string> restored_keys;
  /// Keys of values in the checkpoint that matched no live object (nor wait for one).
  std::vector<std::string> unmatched_keys;
  /// Live variables (by path from the root) that the checkpoint gave no value.
  std::vector<std::string> unrestored_live;
  /// Keys whose variable did not exist yet (deferred restoration), and whether each was applied
  /// since (when the variable was created).
  struct Deferred {
    std::vector<std::string> keys;
    std::vector<bool> applied;
  };
  std::shared_ptr<Deferred> deferred = std::make_shared<Deferred>();
};

/// Restores `save_path` into the objects reachable from `root`. Shape or dtype mismatches raise
/// InvalidArgumentError naming the key; damaged files DataLossError.
RestoreResult restore_object_graph_checkpoint(const std::shared_ptr<Trackable>& root, const std::string& save_path);

}  // namespace tapeflow::serialization
