#include "tapeflow/serialization/object_graph.h"

#include <deque>
#include <map>
#include <unordered_map>

#include "tapeflow/core/errors.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/serialization/tensor_bundle.h"
#include "trackable_object_graph.pb.h"

namespace tapeflow::serialization {

std::string escape_local_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '.')
      out += "..";
    else if (c == '/')
      out += "./";
    else
      out += c;
  }
  return out;
}

namespace {
constexpr const char* kVariableValue = "VARIABLE_VALUE";

std::string attribute_key(const std::string& path) {
  return (path.empty() ? std::string() : path + "/") + ".ATTRIBUTES/" + kVariableValue;
}

std::string variable_full_name(const Variable& v) {
  std::string n = v.name();
  if (n.size() > 2 && n.compare(n.size() - 2, 2, ":0") == 0) n.resize(n.size() - 2);
  return n;
}

// One node of the live graph, numbered breadth first from the root as TF numbers them.
struct LiveNode {
  std::shared_ptr<Trackable> object;  // or
  Variable variable;
  std::string path;  // the escaped path of its first (breadth-first) discovery
  std::vector<std::pair<int, std::string>> children;
};

const void* identity(const TrackableReference& ref) {
  return ref.variable.defined() ? static_cast<const void*>(ref.variable.impl().get()) : ref.object->trackable_id();
}

std::vector<LiveNode> walk_live(const std::shared_ptr<Trackable>& root) {
  std::vector<LiveNode> nodes;
  std::unordered_map<const void*, int> seen;
  nodes.push_back({root, Variable(), "", {}});
  if (root->trackable_id()) seen[root->trackable_id()] = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!nodes[i].object) continue;
    for (auto& ref : nodes[i].object->trackable_children()) {
      if (!ref.variable.defined() && !ref.object) continue;
      const void* id = identity(ref);
      int child;
      auto it = id ? seen.find(id) : seen.end();
      if (it != seen.end()) {
        child = it->second;
      } else {
        child = static_cast<int>(nodes.size());
        const std::string path = (nodes[i].path.empty() ? "" : nodes[i].path + "/") + escape_local_name(ref.name);
        nodes.push_back({ref.object, ref.variable, path, {}});
        if (id) seen[id] = child;
      }
      nodes[i].children.emplace_back(child, ref.name);
    }
  }
  return nodes;
}
}  // namespace

ObjectGraphCheckpoint object_graph_checkpoint(const std::shared_ptr<Trackable>& root) {
  std::vector<LiveNode> nodes = walk_live(root);
  tensorflow::TrackableObjectGraph graph;
  std::vector<bool> has_values(nodes.size(), false);
  for (std::size_t i = 0; i < nodes.size(); ++i) has_values[i] = nodes[i].variable.defined();
  for (bool changed = true; changed;) {  // a node has values when anything below it does
    changed = false;
    for (std::size_t i = 0; i < nodes.size(); ++i)
      for (const auto& [c, name] : nodes[i].children)
        if (has_values[c] && !has_values[i]) has_values[i] = changed = true;
  }
  std::map<std::string, Variable> values;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto* proto = graph.add_nodes();
    for (const auto& [c, name] : nodes[i].children) {
      auto* ref = proto->add_children();
      ref->set_node_id(c);
      ref->set_local_name(name);
    }
    if (nodes[i].variable.defined()) {
      auto* attr = proto->add_attributes();
      attr->set_name(kVariableValue);
      attr->set_full_name(variable_full_name(nodes[i].variable));
      attr->set_checkpoint_key(attribute_key(nodes[i].path));
      values.emplace(attr->checkpoint_key(), nodes[i].variable);
    }
    proto->mutable_has_checkpoint_values()->set_value(has_values[i]);
  }
  return {graph.SerializeAsString(), std::move(values)};
}

void write_object_graph_checkpoint(const std::shared_ptr<Trackable>& root, const std::string& prefix) {
  const ObjectGraphCheckpoint checkpoint = object_graph_checkpoint(root);
  BundleWriter writer(prefix);
  Tensor graph_tensor = Tensor::empty({}, DType::kString);
  *static_cast<std::string*>(graph_tensor.raw_data()) = checkpoint.object_graph;
  writer.add(kObjectGraphKey, graph_tensor);
  for (const auto& [key, v] : checkpoint.variables) writer.add(key, v.read_value());
  writer.finish();
}

namespace {
void check_compatible(DType dtype, const Shape& shape, const Variable& v, const std::string& key) {
  if (dtype != v.dtype())
    TF_THROW(InvalidArgumentError, "", "Received tensor of dtype ", dtype_name(dtype),
             " when attempting to restore variable with dtype ", dtype_name(v.dtype()), " and name ", key, ".");
  if (shape != v.shape())
    TF_THROW(InvalidArgumentError, "", "Received incompatible tensor with shape ", shape.to_string(),
             " when attempting to restore variable with shape ", v.shape().to_string(), " and name ", key, ".");
}

// Restores `v` from `key`. A CPU variable whose buffer nothing else shares is filled in place,
// straight from the file (the rule of Note [Fused training ops write in place]: no read sees
// the write), so a restore costs one read and no staging copy or extra memory; otherwise
// the value is read into a fresh tensor and assigned. Dtype and shape are checked first.
void restore_variable(Variable& v, const BundleReader& reader, const std::string& key) {
  const BundleEntry& e = reader.entries().at(key);  // callers checked contains(key)
  const std::optional<DType> dtype = dtype_from_tf_datatype(e.datatype);
  if (dtype) check_compatible(*dtype, e.shape, v, key);
  if (dtype && *dtype != DType::kString && v.device().is_cpu()) {
    Tensor current = v.read_value();
    // Two holders when exclusive: the variable and `current`.
    if (current.storage().use_count() <= 2 && current.is_contiguous() && current.size() > 0) {
      reader.read_into(key, current.raw_data());
      return;
    }
  }
  Tensor value = reader.get_tensor(key);
  check_compatible(value.dtype(), value.shape(), v, key);
  v.assign(value.device() == v.device() ? value : value.to(v.device()));
}

const std::string* variable_value_key(const tensorflow::TrackableObjectGraph::TrackableObject& node) {
  for (const auto& a : node.attributes())
    if (a.name() == kVariableValue) return &a.checkpoint_key();
  return nullptr;
}
}  // namespace

RestoreResult restore_object_graph_checkpoint(const std::shared_ptr<Trackable>& root, const std::string& save_path) {
  auto reader = std::make_shared<BundleReader>(save_path);
  RestoreResult result;
  result.save_path = save_path;
  if (!reader->contains(kObjectGraphKey))
    throw errors::NotFoundError("The checkpoint " + save_path + " has no " + kObjectGraphKey +
                                ": it is not an object-based (TF2) checkpoint");
  Tensor graph_tensor = reader->get_tensor(kObjectGraphKey);
  tensorflow::TrackableObjectGraph graph;
  if (graph_tensor.dtype() != DType::kString || graph_tensor.size() != 1 ||
      !graph.ParseFromString(*static_cast<const std::string*>(graph_tensor.raw_data())) || graph.nodes_size() == 0)
    throw errors::DataLossError("Corrupted checkpoint " + save_path + " (key '" + kObjectGraphKey +
                                "'): the object graph does not parse");
  const int n = graph.nodes_size();
  for (const auto& node : graph.nodes()) {
    for (const auto& c : node.children())
      if (c.node_id() < 0 || c.node_id() >= n)
        throw errors::DataLossError("Corrupted checkpoint " + save_path + " (key '" + kObjectGraphKey +
                                    "'): a child refers to node " + std::to_string(c.node_id()) + " of " +
                                    std::to_string(n));
    if (const std::string* key = variable_value_key(node); key && !reader->contains(*key))
      throw errors::DataLossError("Corrupted checkpoint " + save_path + ": the object graph names key '" + *key +
                                  "', which the index lacks");
  }

  // Match breadth first: a checkpoint node is bound to the first live object found under the
  // same child names (TF's restore matching).
  struct Bound {
    std::shared_ptr<Trackable> object;
    Variable variable;
  };
  std::vector<std::optional<Bound>> bound(static_cast<std::size_t>(n));
  std::vector<bool> consumed(static_cast<std::size_t>(n), false);
  std::unordered_map<const void*, bool> restored_live;
  std::deque<int> queue{0};
  bound[0] = Bound{root, Variable()};
  std::vector<std::shared_ptr<Trackable>> restored_objects;
  while (!queue.empty()) {
    const int id = queue.front();
    queue.pop_front();
    const auto& node = graph.nodes(id);
    Bound b = *bound[static_cast<std::size_t>(id)];
    if (b.variable.defined()) {
      if (const std::string* key = variable_value_key(node)) {
        restore_variable(b.variable, *reader, *key);
        restored_live[b.variable.impl().get()] = true;
        result.restored_keys.push_back(*key);
      }
      consumed[static_cast<std::size_t>(id)] = true;
      continue;
    }
    consumed[static_cast<std::size_t>(id)] = true;
    restored_objects.push_back(b.object);
    std::vector<TrackableReference> live = b.object->trackable_children();
    for (const auto& c : node.children()) {
      const auto cid = static_cast<std::size_t>(c.node_id());
      if (bound[cid]) continue;
      const TrackableReference* match = nullptr;
      for (const auto& ref : live)
        if (ref.name == c.local_name() && (ref.variable.defined() || ref.object)) match = &ref;
      if (match) {
        bound[cid] = Bound{match->object, match->variable};
        queue.push_back(c.node_id());
        continue;
      }
      const auto& child = graph.nodes(c.node_id());
      const std::string* key = variable_value_key(child);
      if (!key || child.children_size() != 0) continue;
      const std::string k = *key;
      auto deferred = result.deferred;
      const std::size_t slot = deferred->keys.size();
      deferred->keys.push_back(k);
      deferred->applied.push_back(false);
      if (b.object->defer_variable_restore(c.local_name(), [reader, k, deferred, slot](Variable& v) {
            restore_variable(v, *reader, k);
            deferred->applied[slot] = true;
          })) {
        consumed[cid] = true;
      } else {
        deferred->keys.pop_back();
        deferred->applied.pop_back();
      }
    }
  }
  for (auto it = restored_objects.rbegin(); it != restored_objects.rend(); ++it) (*it)->restored();
  for (int i = 0; i < n; ++i)
    if (!consumed[static_cast<std::size_t>(i)])
      if (const std::string* key = variable_value_key(graph.nodes(i))) result.unmatched_keys.push_back(*key);
  for (const LiveNode& ln : walk_live(root))
    if (ln.variable.defined() && !restored_live.count(ln.variable.impl().get()))
      result.unrestored_live.push_back(ln.path);
  return result;
}

}  // namespace tapeflow::serialization
