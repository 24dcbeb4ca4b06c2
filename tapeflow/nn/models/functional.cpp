#include "tapeflow/nn/models/functional.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/cast.h"

namespace tapeflow::keras::internal {

namespace {
// The index of `layer` in `list` (layers are compared by identity of their shared state).
int find_layer(const std::vector<std::shared_ptr<layers::Layer>>& list, const layers::Layer& layer) {
  for (std::size_t i = 0; i < list.size(); ++i)
    if (*list[i] == layer) return static_cast<int>(i);
  return -1;
}
}  // namespace

FunctionalGraph::FunctionalGraph(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs,
                                 std::string model_name)
    : model_name_(std::move(model_name)), inputs_(std::move(inputs)), outputs_(std::move(outputs)) {
  TF_CHECK_ARG(!outputs_.empty(), "", "Model \"", model_name_, "\" needs at least one output");
  std::set<const Node*> input_nodes;
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    TF_CHECK_ARG(inputs_[i].defined() && inputs_[i].node()->is_input(), "", "Model \"", model_name_, "\": input ", i,
                 " must be a K::Input(...) tensor");
    input_nodes.insert(inputs_[i].node().get());
  }

  // Keras's _build_map: depth-first from each output; a layer's traversal index is where it is
  // first seen, and nodes are appended once all their inputs are.
  std::vector<std::shared_ptr<layers::Layer>> traversal;  // layers by first traversal
  std::set<const Node*> finished, in_progress;
  auto visit = [&](auto&& self, const KerasTensor& t) -> void {
    TF_CHECK_ARG(t.defined(), "", "Model \"", model_name_, "\": an output or node input is an undefined KerasTensor");
    const std::shared_ptr<Node>& node = t.node();
    if (finished.count(node.get())) return;
    TF_CHECK_ARG(!in_progress.count(node.get()), "", "Model \"", model_name_, "\": the graph has a cycle at layer \"",
                 node->layer->name(), "\"");
    if (find_layer(traversal, *node->layer) < 0) traversal.push_back(node->layer);
    in_progress.insert(node.get());
    for (const KerasTensor& in : node->all_inputs()) self(self, in);
    in_progress.erase(node.get());
    finished.insert(node.get());
    nodes_.push_back(node);
  };
  for (const KerasTensor& out : outputs_) visit(visit, out);
  for (const auto& node : nodes_)
    if (node->is_input() && !input_nodes.count(node.get()))
      TF_THROW(InvalidArgumentError, "", "Graph disconnected: model \"", model_name_, "\" needs the input \"",
               node->layer->name(), "\", which is not among its inputs");

  // Keras's map_graph: a node's depth is the longest path to an output, a layer's depth the
  // largest depth of its nodes; layers are listed by decreasing depth, then traversal order.
  std::unordered_map<const Node*, int> node_depth;
  std::vector<int> layer_depth(traversal.size(), 0);
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
    const Node* node = it->get();
    const int li = find_layer(traversal, *node->layer);
    const int depth = std::max(node_depth[node], layer_depth[std::size_t(li)]);
    layer_depth[std::size_t(li)] = depth;
    node_depth[node] = depth;
    for (const KerasTensor& in : node->all_inputs())
      node_depth[in.node().get()] = std::max(node_depth[in.node().get()], depth + 1);
  }
  // Inputs no output needs are still the model's (Keras keeps them, at depth 0).
  for (const KerasTensor& in : inputs_)
    if (!finished.count(in.node().get())) {
      traversal.insert(traversal.begin(), in.node()->layer);
      layer_depth.insert(layer_depth.begin(), 0);
      node_depth[in.node().get()] = 0;
    }
  std::vector<std::size_t> order(traversal.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return layer_depth[a] > layer_depth[b]; });
  for (std::size_t i : order) layers_.push_back(traversal[i]);

  // summary()'s chain test.
  std::map<int, std::vector<const Node*>> by_depth;
  for (const auto& [node, depth] : node_depth) by_depth[depth].push_back(node);
  for (const auto& [depth, nodes] : by_depth)
    if (nodes.size() > 1 || nodes[0]->all_inputs().size() > 1) sequential_like_ = false;
  for (const auto& layer : layers_) {
    int in_graph = 0;
    for (const auto& n : layer->inbound_nodes()) in_graph += n && finished.count(n.get());
    if (in_graph > 1) sequential_like_ = false;
  }
}

std::string FunctionalGraph::connections(const layers::Layer& layer) const {
  std::string out;
  for (const auto& node : layer.inbound_nodes()) {
    if (!node || std::find(nodes_.begin(), nodes_.end(), node) == nodes_.end()) continue;
    for (const KerasTensor& in : node->all_inputs()) {
      if (!out.empty()) out += ", ";
      out += in.node()->layer->name() + "[" + std::to_string(in.node()->index) + "][" +
             std::to_string(in.tensor_index()) + "]";
    }
  }
  return out.empty() ? "-" : out;
}

namespace {
// Keras's _adjust_input_rank: a trailing axis of 1 may be added or dropped; other rank or
// dimension mismatches are the InputSpec error naming the model.
Tensor standardize_input(const Tensor& x, const KerasTensor& spec, std::size_t i, const std::string& model) {
  const Shape& want = spec.shape();
  Tensor t = x;
  if (t.ndim() == want.rank() + 1 && t.shape().dim(-1) == 1)
    t = squeeze(t, {-1});
  else if (t.ndim() + 1 == want.rank() && want.dim(-1) == 1)
    t = expand_dims(t, -1);
  bool ok = t.ndim() == want.rank();
  for (int k = 0; ok && k < want.rank(); ++k) ok = want[k] < 0 || want[k] == t.shape()[k];
  if (!ok)
    TF_THROW(InvalidArgumentError, "", "Input ", i, " with name '", spec.node()->layer->name(), "' of layer '", model,
             "' is incompatible with the layer: expected shape=", want.to_string(),
             ", found shape=", x.shape().to_string());
  return t.dtype() == spec.dtype() ? t : cast(t, spec.dtype());
}
}  // namespace

std::vector<Tensor> FunctionalGraph::run(const std::vector<Tensor>& inputs, bool training,
                                         const std::vector<std::optional<Tensor>>& input_masks) const {
  if (inputs.size() != inputs_.size())
    TF_THROW(InvalidArgumentError, "", "Layer \"", model_name_, "\" expects ", inputs_.size(),
             " input(s), but it received ", inputs.size(), " input tensors.");
  // Each node's outputs and their masks (Note [Masks] in layer.cpp), by tensor_index.
  std::unordered_map<const Node*, std::vector<Tensor>> values;
  std::unordered_map<const Node*, std::vector<std::optional<Tensor>>> masks;
  const auto value = [&](const KerasTensor& t) -> const Tensor& {
    return values.at(t.node().get()).at(std::size_t(t.tensor_index()));
  };
  const auto mask_of = [&](const KerasTensor& t) -> std::optional<Tensor> {
    auto it = masks.find(t.node().get());
    return it == masks.end() ? std::nullopt : it->second.at(std::size_t(t.tensor_index()));
  };
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    values[inputs_[i].node().get()] = {standardize_input(inputs[i], inputs_[i], i, model_name_)};
    masks[inputs_[i].node().get()] = {i < input_masks.size() ? input_masks[i] : std::nullopt};
  }
  for (const auto& node : nodes_) {
    if (node->is_input()) continue;
    std::vector<Tensor> args;
    for (const KerasTensor& in : node->inputs) args.push_back(value(in));
    if (node->list_call) {  // merging layers: their compute_list_mask combines the inputs' masks
      std::vector<std::optional<Tensor>> in_masks;
      for (const KerasTensor& in : node->inputs) in_masks.push_back(mask_of(in));
      auto [output, mask] = node->layer->call_list_with_masks(args, in_masks, training);
      values[node.get()] = {std::move(output)};
      masks[node.get()] = {std::move(mask)};
      continue;
    }
    std::map<std::string, std::vector<Tensor>> kwargs;
    for (const NodeKwarg& k : node->kwargs)
      for (const KerasTensor& t : k.tensors) kwargs[k.name].push_back(value(t));
    std::vector<Tensor>& outs = values[node.get()];
    std::vector<std::optional<Tensor>>& out_masks = masks[node.get()];
    for (auto& [output, mask] : node->layer->call_node(args[0], mask_of(node->inputs[0]), kwargs, training)) {
      outs.push_back(std::move(output));
      out_masks.push_back(std::move(mask));
    }
  }
  std::vector<Tensor> out;
  std::vector<std::pair<Tensor, std::optional<Tensor>>> out_masks;
  for (const KerasTensor& t : outputs_) {
    out.push_back(value(t));
    out_masks.emplace_back(out.back(), mask_of(t));
  }
  output_masks_->set(out_masks);
  return out;
}

}  // namespace tapeflow::keras::internal
