#include "tapeflow/nn/models/keras_weights_h5.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "tapeflow/core/errors.h"
#include "tapeflow/nn/layers/input_layer.h"
#include "tapeflow/nn/models/model.h"
#include "tapeflow/nn/models/sequential.h"

namespace tapeflow::keras::internal {

namespace {

std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "/" + b; }

// A layer's own variables (not its sublayers'), trainable ones first: Keras's
// `_trainable_variables + _non_trainable_variables`, the order of a `vars` group.
std::vector<Variable> own_variables(const layers::Layer& layer) {
  std::vector<Variable> trainable, frozen;
  for (const TrackableReference& ref : layer.trackable_children())
    if (ref.variable.defined()) (ref.variable.trainable() ? trainable : frozen).push_back(ref.variable);
  trainable.insert(trainable.end(), frozen.begin(), frozen.end());
  return trainable;
}

struct LayerGroup {
  serialization::H5VarsGroup group;
  bool built;
};

using Visited = std::set<const void*>;
void collect(const layers::Layer& layer, const std::string& path, Visited& visited, std::vector<LayerGroup>& out);

// Keras's _save_container_state: a list of layers named by class, "dense", "dense_1", ... (a
// layer already saved elsewhere still takes its name, as in Keras).
void collect_container(const std::vector<std::shared_ptr<layers::Layer>>& list, const std::string& path,
                       bool skip_input_layers, Visited& visited, std::vector<LayerGroup>& out) {
  std::map<std::string, int> used;
  for (const auto& l : list) {
    if (skip_input_layers && dynamic_cast<const layers::InputLayer*>(l.get())) continue;
    std::string name = to_snake_case(l->class_name());
    if (auto it = used.find(name); it != used.end())
      name += "_" + std::to_string(++it->second);
    else
      used[name] = 0;
    collect(*l, join(path, name), visited, out);
  }
}

// Keras's _save_state: the object's own `vars`, then its children, each object once. Sequential
// and functional models list their layers first ("layers"; Sequential without its InputLayer).
// Other layers have their sublayers under their attribute names in Python's dir() order, a
// subclassed model's `layers` list among them (Tapeflow tracks a sublayer under its layer name:
// the attribute name Keras sees when the two agree).
void collect(const layers::Layer& layer, const std::string& path, Visited& visited, std::vector<LayerGroup>& out) {
  if (!visited.insert(layer.trackable_id()).second) return;
  out.push_back({{join(path, "vars"), layer.name(), own_variables(layer)}, layer.built()});
  const auto* model = dynamic_cast<const Model*>(&layer);
  if (const auto* seq = dynamic_cast<const Sequential*>(&layer)) {
    collect_container(seq->layers(), join(path, "layers"), true, visited, out);
    return;
  }
  if (model && !model->inputs().empty()) {
    collect_container(model->layers(), join(path, "layers"), false, visited, out);
    return;
  }
  std::vector<std::pair<std::string, const layers::Layer*>> subs;
  for (const TrackableReference& ref : layer.trackable_children())
    if (const auto* sub = dynamic_cast<const layers::Layer*>(ref.object.get()))
      subs.emplace_back(layer.weights_file_name(ref.name), sub);
  if (model) subs.emplace_back("layers", nullptr);  // Model.layers, a container
  std::sort(subs.begin(), subs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [name, sub] : subs) {
    if (sub)
      collect(*sub, join(path, name), visited, out);
    else
      collect_container(model->layers(), join(path, "layers"), false, visited, out);
  }
}

std::vector<LayerGroup> layer_groups(const Model& model) {
  std::vector<LayerGroup> out;
  Visited visited;
  collect(model, "", visited, out);
  return out;
}

const char* kOptimizerGroup = "optimizer/vars";

// The optimizer's variables in Keras 3's order (iterations, learning rate, slots) and the node
// that defers slots not created yet: its `_variables` child.
std::shared_ptr<Trackable> optimizer_variables_node(optimizers::Optimizer& opt) {
  for (const TrackableReference& ref : opt.trackable_children())
    if (ref.name == "_variables") return ref.object;
  TF_THROW(InternalError, "", "optimizer \"", opt.name(), "\" has no _variables node");
}

std::vector<Variable> variables_of(const Trackable& node) {
  std::vector<Variable> out;
  for (const TrackableReference& ref : node.trackable_children()) out.push_back(ref.variable);
  return out;
}

}  // namespace

bool is_keras_weights_h5(const std::string& filepath) {
  const std::string suffix = ".weights.h5";
  return filepath.size() >= suffix.size() &&
         filepath.compare(filepath.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<serialization::H5VarsGroup> keras_weight_groups(const Model& model) {
  std::vector<serialization::H5VarsGroup> out;
  for (auto& g : layer_groups(model)) out.push_back(std::move(g.group));
  return out;
}

void save_weights_h5(const Model& model, const std::string& filepath) {
  std::vector<serialization::H5VarsGroup> groups = keras_weight_groups(model);
  if (model.compiled()) {
    optimizers::Optimizer& opt = model.optimizer();
    groups.push_back({kOptimizerGroup, opt.name(), variables_of(*optimizer_variables_node(opt))});
  }
  serialization::write_h5_weights(filepath, groups);
}

void load_weights_h5(const Model& model, const std::string& filepath) {
  serialization::H5WeightsReader reader(filepath);
  std::vector<LayerGroup> groups = layer_groups(model);
  // Check everything first, so a mismatch leaves the model untouched.
  for (const LayerGroup& lg : groups) {
    const serialization::H5VarsGroup& g = lg.group;
    const int64_t n = reader.num_datasets(g.path);
    if (n > 0 && g.variables.empty() && !lg.built)
      TF_THROW(InvalidArgumentError, "", "Keras weights file ", filepath, ": layer \"", g.name,
               "\" was never built and thus it doesn't have any variables. However the weights file lists ", n,
               " variables for this layer (group ", g.path, "). Build the model (call it once) before load_weights");
    if (n != static_cast<int64_t>(g.variables.size()))
      TF_THROW(InvalidArgumentError, "", "Keras weights file ", filepath, ": layer \"", g.name, "\" expected ",
               g.variables.size(), " variables, but received ", n, " variables during loading (group ", g.path, ")");
    for (int64_t i = 0; i < n; ++i) reader.check(g.path, i, g.variables[static_cast<std::size_t>(i)]);
  }
  for (LayerGroup& lg : groups)
    for (std::size_t i = 0; i < lg.group.variables.size(); ++i)
      reader.read_into(lg.group.path, static_cast<int64_t>(i), lg.group.variables[i]);

  if (!model.compiled() || !reader.has_group(kOptimizerGroup)) return;
  optimizers::Optimizer& opt = model.optimizer();
  std::shared_ptr<Trackable> node = optimizer_variables_node(opt);
  std::vector<Variable> vars = variables_of(*node);
  const int64_t n = reader.num_datasets(kOptimizerGroup), have = static_cast<int64_t>(vars.size());
  if (n < have) {  // Keras warns and skips in this case too
    std::cerr << "WARNING: Skipping variable loading for optimizer '" << opt.name() << "', because it has " << have
              << " variables whereas the saved optimizer has " << n << " variables (" << filepath << ").\n";
    return;
  }
  for (int64_t i = 0; i < have; ++i) reader.check(kOptimizerGroup, i, vars[static_cast<std::size_t>(i)]);
  for (int64_t i = 0; i < have; ++i) reader.read_into(kOptimizerGroup, i, vars[static_cast<std::size_t>(i)]);
  // Slots the optimizer has not created yet (it builds them at its first step) are applied
  // when created, as TF's deferred restoration does, so a resumed run continues bit for bit.
  for (int64_t i = have; i < n; ++i) {
    Tensor value = reader.read(kOptimizerGroup, i);
    const std::string ds = std::string(kOptimizerGroup) + "/" + std::to_string(i);
    node->defer_variable_restore(std::to_string(i), [value, ds, filepath](Variable& v) {
      TF_CHECK_ARG(v.dtype() == value.dtype() && v.shape() == value.shape(), "", "Keras weights file ", filepath,
                   ": dataset ", ds, " holds ", dtype_name(value.dtype()), " ", value.shape().to_string(),
                   " but the optimizer variable \"", v.name(), "\" it restores is ", dtype_name(v.dtype()), " ",
                   v.shape().to_string());
      v.assign(v.device().is_cpu() ? value : value.to(v.device()));
    });
  }
  opt.restored();
}

}  // namespace tapeflow::keras::internal
