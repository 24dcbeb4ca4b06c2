// The graph optimizer's generic passes (constant folding, CSE, arithmetic simplification),
// the remapper (fused contractions), pruning, and the pass pipeline.
#include "tapeflow/graph/optimizer.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>

#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/fused_contraction.h"
#include "tapeflow/core/ops/fused_elementwise.h"
#include "tapeflow/core/ops/linalg.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/graph/executor.h"

namespace tapeflow {

namespace config::optimizer {
namespace {
std::mutex g_mu;
GraphOptimizerOptions g_options;
}  // namespace
void set_experimental_options(const GraphOptimizerOptions& options) {
  std::lock_guard lock(g_mu);
  g_options = options;
}
GraphOptimizerOptions get_experimental_options() {
  std::lock_guard lock(g_mu);
  return g_options;
}
}  // namespace config::optimizer

namespace passes {
namespace {

// Passes evaluate ops eagerly (folding, constant checks) while a trace may be active on this
// thread (a Function traced inside another): neither that tracer nor a tape may see them.
struct EagerScope {
  InterceptorPause no_trace;
  int saved_tape = std::exchange(tape_hook_depth(), 0);
  ~EagerScope() { tape_hook_depth() = saved_tape; }
};

// Ops that are never folded or deduplicated: their value is not a function of their inputs and
// attributes alone (calls and control flow may print or assign inside; custom gradients carry
// a closure).
bool is_opaque(const Node& n) {
  static const std::unordered_set<std::string> kOpaque = {"PartitionedCall", "StatefulPartitionedCall", "If",
                                                          "While",           "CustomGradient",          "IdentityN"};
  return n.kind != NodeKind::kOp || n.stateful || kOpaque.count(n.op) > 0 || random_attrs_for_call(n, 1) != nullptr;
}

/// Nodes named as a control input: kept as they are (their identity orders side effects).
std::vector<bool> control_targets(const Graph& g) {
  std::vector<bool> out(static_cast<std::size_t>(g.num_nodes()), false);
  for (const Node& n : g.nodes())
    for (int c : n.control_inputs) out[static_cast<std::size_t>(c)] = true;
  return out;
}

/// Every use of `from` (node inputs and the function's outputs) reads `to` instead.
void replace_uses(Graph& g, Endpoint from, Endpoint to) {
  for (int i = 0; i < g.num_nodes(); ++i)
    for (Endpoint& e : g.node(i).inputs)
      if (e == from) e = to;
  for (Endpoint& e : g.outputs)
    if (e == from) e = to;
}

bool same_spec(const OutputSpec& a, const OutputSpec& b) { return a.dtype == b.dtype && a.shape == b.shape; }

/// Whether node `i` is a constant whose every element equals `v` (0 or 1).
bool is_constant_filled_with(const Graph& g, int i, double v) {
  const Node& n = g.node(i);
  if (n.kind != NodeKind::kConst || !n.value.defined() || n.value.dtype() == DType::kString) return false;
  if (n.value.size() == 0 || n.value.size() > 4096) return false;
  EagerScope eager;
  const Tensor host = cast(n.value.cpu(), DType::kFloat64);
  for (double x : host.to_vector<double>())
    if (x != v) return false;
  return true;
}

}  // namespace

int fold_constants(Graph& g) {
  constexpr int64_t kMaxFoldedElements = int64_t{1} << 18;  // TF caps folded constants too (10 MiB)
  const std::vector<bool> controls = control_targets(g);
  int rewritten = 0;
  EagerScope eager;
  for (int i = 0; i < g.num_nodes(); ++i) {
    Node& n = g.node(i);
    if (is_opaque(n) || controls[static_cast<std::size_t>(i)] || n.outputs.size() != 1 || !n.control_inputs.empty())
      continue;
    const Shape& shape = n.outputs[0].shape;
    if (!shape.is_fully_defined() || shape.num_elements() > kMaxFoldedElements) continue;
    bool all_const = true;
    for (Endpoint e : n.inputs) all_const &= g.node(e.node).kind == NodeKind::kConst;
    if (!all_const || n.inputs.empty()) continue;  // no inputs: a creation op, cheap and often huge
    std::vector<Tensor> ins;
    for (Endpoint e : n.inputs) ins.push_back(g.node(e.node).value);
    Tensor value;
    try {
      value = dispatch(*n.def, ins, n.attrs.get(), n.outputs, n.device)[0];
    } catch (const std::exception&) {
      continue;  // the error is raised when (and if) the node runs, as without folding
    }
    n.kind = NodeKind::kConst;
    n.op = "Const";
    n.def = nullptr;
    n.attrs = nullptr;
    n.inputs.clear();
    n.value = value;
    ++rewritten;
  }
  return rewritten;
}

int eliminate_common_subexpressions(Graph& g) {
  const std::vector<bool> controls = control_targets(g);
  std::unordered_map<std::string, int> seen;
  int rewritten = 0;
  for (int i = 0; i < g.num_nodes(); ++i) {
    const Node& n = g.node(i);
    if (is_opaque(n) || controls[static_cast<std::size_t>(i)] || !n.control_inputs.empty()) continue;
    // Attributes are compared by their printed form; an attribute struct that prints nothing
    // cannot be compared, so its nodes are left alone.
    std::string attrs;
    if (n.attrs) {
      attrs = n.attrs->to_string();
      if (attrs.empty()) continue;
      attrs = std::string(typeid(*n.attrs).name()) + "{" + attrs + "}";
    }
    std::string key = n.op + "|" + n.device.str() + "|" + attrs + "|";
    for (Endpoint e : n.inputs) key += std::to_string(e.node) + ":" + std::to_string(e.index) + ",";
    key += "|";
    for (const OutputSpec& s : n.outputs) key += std::to_string(static_cast<int>(s.dtype)) + s.shape.to_string();
    auto [it, inserted] = seen.emplace(std::move(key), i);
    if (inserted) continue;
    for (int k = 0; k < static_cast<int>(n.outputs.size()); ++k) replace_uses(g, {i, k}, {it->second, k});
    ++rewritten;
  }
  return rewritten;
}

int simplify_arithmetic(Graph& g) {
  const std::vector<bool> controls = control_targets(g);
  int rewritten = 0;
  for (int i = 0; i < g.num_nodes(); ++i) {
    const Node& n = g.node(i);
    if (is_opaque(n) || controls[static_cast<std::size_t>(i)] || n.outputs.size() != 1) continue;
    // The value node `i` equals, if any: an input whose spec is the output's (no broadcast).
    std::optional<Endpoint> same;
    auto keep_if = [&](std::size_t x, std::size_t c, double v) {
      if (same || n.inputs.size() != 2) return;
      if (!same_spec(g.spec(n.inputs[x]), n.outputs[0])) return;
      if (is_constant_filled_with(g, n.inputs[c].node, v)) same = n.inputs[x];
    };
    if (n.op == "Mul") {
      keep_if(0, 1, 1.0);
      keep_if(1, 0, 1.0);
    } else if (n.op == "AddV2" || n.op == "Add") {
      keep_if(0, 1, 0.0);
      keep_if(1, 0, 0.0);
    } else if (n.op == "Sub")
      keep_if(0, 1, 0.0);
    else if (n.op == "RealDiv" || n.op == "Div")
      keep_if(0, 1, 1.0);
    else if (n.op == "Neg") {
      const Node& inner = g.node(n.inputs[0].node);
      if (inner.op == "Neg" && inner.kind == NodeKind::kOp && same_spec(g.spec(inner.inputs[0]), n.outputs[0]))
        same = inner.inputs[0];
    }
    if (!same) continue;
    replace_uses(g, {i, 0}, *same);
    ++rewritten;
  }
  return rewritten;
}

// Note [Matrix powers by squaring]: `result = matmul(x, result)` repeated m times (TF's seed
// `power(x, y)`) is a chain of m MatMul nodes, each multiplying the one below by the same x, down
// to a start value r0 (an identity, or x itself): x^m · r0. x^m needs only floor(log2 m)
// squarings and popcount(m)-1 products. Integer matmuls are exact in the ring of wrapping
// integers, where the product is associative and the powers of x commute, so the regrouped chain
// gives the same bits; floating-point chains round differently and are left alone. When r0 is
// not x, every node must multiply from the same side (x^m · r0 or r0 · x^m). The plan's steps are
// written into the chain's own lowest nodes and its top node (the one consumers read), so the node
// order stays topological; the other chain nodes lose their uses and prune() drops them. Only
// chains whose inner nodes nothing else reads are rewritten.
int square_matrix_powers(Graph& g) {
  const std::vector<bool> controls = control_targets(g);
  std::vector<int> uses(static_cast<std::size_t>(g.num_nodes()), 0);
  for (const Node& n : g.nodes())
    for (Endpoint e : n.inputs) ++uses[static_cast<std::size_t>(e.node)];
  for (Endpoint e : g.outputs) ++uses[static_cast<std::size_t>(e.node)];
  auto plain_matmul = [&](int i, const Device& device, DType dtype) {
    const Node& n = g.node(i);
    if (n.op != "MatMul" || is_opaque(n) || controls[static_cast<std::size_t>(i)] || !n.control_inputs.empty() ||
        n.inputs.size() != 2 || n.outputs.size() != 1 || n.device != device || n.outputs[0].dtype != dtype || !n.attrs)
      return false;
    const auto& a = static_cast<const ops::MatMulAttrs&>(*n.attrs);
    return !a.transpose_a && !a.transpose_b;
  };
  std::vector<bool> in_chain(static_cast<std::size_t>(g.num_nodes()), false);
  int rewritten = 0;
  for (int top = g.num_nodes() - 1; top >= 0; --top) {
    const Node& t = g.node(top);
    if (in_chain[static_cast<std::size_t>(top)] || t.outputs.size() != 1) continue;
    const DType dt = t.outputs[0].dtype;
    if ((dt != DType::kInt32 && dt != DType::kInt64) || !plain_matmul(top, t.device, dt)) continue;
    // A node the chain may go down into: a plain MatMul read only by the node above, with x as
    // one of its operands.
    auto link = [&](Endpoint e, Endpoint x) {
      if (e.index != 0 || uses[static_cast<std::size_t>(e.node)] != 1 || !plain_matmul(e.node, t.device, dt))
        return false;
      const Node& n = g.node(e.node);
      return n.inputs[0] == x || n.inputs[1] == x;
    };
    // x: the operand of `top` beside a link (left side first: TF's seed multiplies from the left).
    Endpoint x{-1, 0};
    if (link(t.inputs[1], t.inputs[0]))
      x = t.inputs[0];
    else if (link(t.inputs[0], t.inputs[1]))
      x = t.inputs[1];
    else
      continue;
    std::vector<int> chain;  // top first
    bool left = false, right = false;
    Endpoint r0{-1, 0};
    for (int cur = top;;) {
      chain.push_back(cur);
      const Node& c = g.node(cur);
      const bool x_left = c.inputs[0] == x;  // x · other
      const Endpoint other = x_left ? c.inputs[1] : c.inputs[0];
      (x_left ? left : right) = true;
      if (!link(other, x)) {
        r0 = other;
        break;
      }
      cur = other.node;
    }
    for (int c : chain) in_chain[static_cast<std::size_t>(c)] = true;
    const bool r0_is_x = r0 == x;
    if (!r0_is_x && left && right) continue;  // x · r0 · x is not a power of x times r0
    const uint64_t power = chain.size() + (r0_is_x ? 1 : 0);
    // The plan, as pairs of operands: kX (x), kR0 (r0), or j >= 0 (step j's result).
    constexpr int kX = -1, kR0 = -2, kNone = -3;
    std::vector<std::pair<int, int>> steps;
    int square = kX, product = kNone;
    for (uint64_t e = power; e > 0; e >>= 1) {
      if (e & 1) {
        if (product == kNone) {
          product = square;
        } else {
          steps.push_back({product, square});
          product = static_cast<int>(steps.size()) - 1;
        }
      }
      if (e > 1) {
        steps.push_back({square, square});
        square = static_cast<int>(steps.size()) - 1;
      }
    }
    if (!r0_is_x) steps.push_back(left ? std::pair{product, kR0} : std::pair{kR0, product});
    if (steps.size() >= chain.size()) continue;  // nothing to gain
    // Step j runs in the chain's j-th node from the bottom; the last step in the top node.
    std::vector<int> host(steps.size());
    for (std::size_t j = 0; j + 1 < steps.size(); ++j) host[j] = chain[chain.size() - 1 - j];
    host.back() = top;
    auto operand = [&](int s) { return s == kX ? x : s == kR0 ? r0 : Endpoint{host[static_cast<std::size_t>(s)], 0}; };
    for (std::size_t j = 0; j < steps.size(); ++j)
      g.node(host[j]).inputs = {operand(steps[j].first), operand(steps[j].second)};
    ++rewritten;
  }
  return rewritten;
}

int remap_fused_ops(Graph& g) {
  const std::vector<bool> controls = control_targets(g);
  std::vector<int> uses(static_cast<std::size_t>(g.num_nodes()), 0);
  for (const Node& n : g.nodes())
    for (Endpoint e : n.inputs) ++uses[static_cast<std::size_t>(e.node)];
  // A node that may be folded into a consumer: a plain op used by that consumer only.
  auto fusable = [&](int i, const char* op, const Device& device) {
    const Node& n = g.node(i);
    return n.op == op && !is_opaque(n) && !controls[static_cast<std::size_t>(i)] && n.control_inputs.empty() &&
           uses[static_cast<std::size_t>(i)] == 1 && n.device == device && n.outputs.size() == 1;
  };
  // From the last node back, so that a Relu takes its BiasAdd before the BiasAdd alone is fused.
  std::vector<bool> absorbed(static_cast<std::size_t>(g.num_nodes()), false);
  int rewritten = 0;
  for (int i = g.num_nodes() - 1; i >= 0; --i) {
    Node& last = g.node(i);
    if (absorbed[static_cast<std::size_t>(i)] || is_opaque(last) || controls[static_cast<std::size_t>(i)] ||
        last.outputs.size() != 1)
      continue;
    const DType dt = last.outputs[0].dtype;
    if (dt != DType::kFloat32 && dt != DType::kFloat64) continue;
    // last = Relu(add) or add; add = BiasAdd(c, bias) or AddV2(c, bias) / AddV2(bias, c).
    const bool relu = last.op == "Relu";
    int add = i;
    if (relu) {
      if (!fusable(last.inputs[0].node, "BiasAdd", last.device) && !fusable(last.inputs[0].node, "AddV2", last.device))
        continue;
      add = last.inputs[0].node;
    }
    const Node& a = g.node(add);
    if ((a.op != "BiasAdd" && a.op != "AddV2") || a.inputs.size() != 2) continue;
    for (int side = 0; side < (a.op == "AddV2" ? 2 : 1); ++side) {
      const Endpoint c = a.inputs[static_cast<std::size_t>(side)], bias = a.inputs[static_cast<std::size_t>(1 - side)];
      const bool matmul = fusable(c.node, "MatMul", last.device);
      if (!matmul && !fusable(c.node, "Conv2D", last.device)) continue;
      const OpDef& fused = matmul ? ops::FusedMatMul : ops::FusedConv2D;
      const OutputSpec& cs = g.spec(c);
      const OutputSpec& bs = g.spec(bias);
      if (fused.kernels[static_cast<int>(last.device.type())] == nullptr || cs.shape != a.outputs[0].shape ||
          bs.dtype != dt || bs.shape.rank() != 1 || cs.shape.rank() < 1 || bs.shape[0] != cs.shape.dim(-1) ||
          bs.shape[0] < 0)
        continue;
      const Node& contraction = g.node(c.node);
      std::shared_ptr<OpAttrs> attrs;
      if (matmul) {
        auto f = std::make_shared<ops::FusedMatMulAttrs>();
        f->matmul = static_cast<const ops::MatMulAttrs&>(*contraction.attrs);
        f->relu = relu;
        attrs = f;
      } else {
        auto f = std::make_shared<ops::FusedConv2DAttrs>();
        f->conv = static_cast<const ops::Conv2DAttrs&>(*contraction.attrs);
        f->relu = relu;
        attrs = f;
      }
      // `last` becomes the fused node: its consumers read it as before; the contraction and the
      // add are left without uses, for prune().
      absorbed[static_cast<std::size_t>(add)] = absorbed[static_cast<std::size_t>(c.node)] = true;
      std::vector<Endpoint> inputs = {contraction.inputs[0], contraction.inputs[1], bias};
      last.op = fused.name;
      last.def = &fused;
      last.inputs = std::move(inputs);
      last.attrs = std::move(attrs);
      ++rewritten;
      break;
    }
  }
  return rewritten;
}

// Note [Elementwise fusion]: a group is a root (an elementwise node) and the elementwise nodes
// below it whose every consumer is in the group and which are not outputs: their values live only
// inside the group, so one _FusedElementwise node computes the root from the group's external
// inputs without materializing them (tinygrad's and XLA's loop fusion; Grappler has none). Members
// are the unary/binary table rows that keep the dtype (float32, float64), with one output shape,
// fully defined, on the root's device; each input has that shape or one element (broadcast
// scalars). Roots are taken from the last node back, so each group is maximal; nodes are added in
// descending order, where all of a node's consumers have already been decided, so DAGs (x*x,
// a shared subexpression) fuse too, and a value also read outside stays a node of its own (the
// group above it reads it as an input). The root becomes the fused node (consumers and the node
// order are unchanged); the other members lose their uses, for prune(). The kernels run each
// row's functor with one rounding per step, as unfused, so the values are bit for bit the same.
// Gradients: a Function's backward replays its traced graph (call_op.cpp), never the optimized
// one, so the fused op needs no gradient rule; the fusion runs on forward and backward graphs
// alike, after differentiation.
int fuse_elementwise(Graph& g) {
  const std::vector<bool> controls = control_targets(g);
  const int n = g.num_nodes();
  std::vector<std::vector<int>> consumers(static_cast<std::size_t>(n));
  std::vector<bool> is_output(static_cast<std::size_t>(n), false);
  for (int i = 0; i < n; ++i)
    for (Endpoint e : g.node(i).inputs) consumers[static_cast<std::size_t>(e.node)].push_back(i);
  for (Endpoint e : g.outputs) is_output[static_cast<std::size_t>(e.node)] = true;
  // The op each node computes, when it may be a member.
  std::vector<std::optional<ops::ElementwiseOp>> op(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const Node& node = g.node(i);
    if (node.kind != NodeKind::kOp || is_opaque(node) || controls[static_cast<std::size_t>(i)] ||
        !node.control_inputs.empty() || node.outputs.size() != 1 ||
        ops::FusedElementwise.kernels[static_cast<int>(node.device.type())] == nullptr)
      continue;
    const OutputSpec& out = node.outputs[0];
    if ((out.dtype != DType::kFloat32 && out.dtype != DType::kFloat64) || !out.shape.is_fully_defined()) continue;
    bool inputs_ok = true;
    for (Endpoint e : node.inputs) {
      const OutputSpec& in = g.spec(e);
      inputs_ok &= in.dtype == out.dtype &&
                   (in.shape == out.shape || (in.shape.is_fully_defined() && in.shape.num_elements() == 1 &&
                                              in.shape.rank() <= out.shape.rank()));
    }
    if (inputs_ok) op[static_cast<std::size_t>(i)] = ops::fusable_elementwise_op(*node.def);
  }
  std::vector<int> group(static_cast<std::size_t>(n), -1), wanted(static_cast<std::size_t>(n), -1);
  std::vector<bool> absorbed(static_cast<std::size_t>(n), false);
  int rewritten = 0;
  for (int root = n - 1; root >= 0; --root) {
    if (!op[static_cast<std::size_t>(root)] || absorbed[static_cast<std::size_t>(root)]) continue;
    const Node& r = g.node(root);
    std::vector<int> members = {root};
    group[static_cast<std::size_t>(root)] = root;
    int pending = 0;
    auto want_inputs = [&](int i) {
      for (Endpoint e : g.node(i).inputs)
        if (wanted[static_cast<std::size_t>(e.node)] != root) {
          wanted[static_cast<std::size_t>(e.node)] = root;
          ++pending;
        }
    };
    want_inputs(root);
    for (int i = root - 1; i >= 0 && pending > 0; --i) {
      if (wanted[static_cast<std::size_t>(i)] != root) continue;
      --pending;
      const Node& m = g.node(i);
      if (!op[static_cast<std::size_t>(i)] || absorbed[static_cast<std::size_t>(i)] ||
          is_output[static_cast<std::size_t>(i)] || m.device != r.device || m.outputs[0].dtype != r.outputs[0].dtype ||
          m.outputs[0].shape != r.outputs[0].shape ||
          static_cast<int>(members.size()) >= ops::kMaxFusedElementwiseSteps)
        continue;
      bool private_value = true;
      for (int c : consumers[static_cast<std::size_t>(i)]) private_value &= group[static_cast<std::size_t>(c)] == root;
      if (!private_value) continue;
      group[static_cast<std::size_t>(i)] = root;
      members.push_back(i);
      want_inputs(i);
    }
    if (members.size() < 2) continue;
    std::sort(members.begin(), members.end());
    // The group's inputs: the endpoints its members read from outside, in order of first use.
    std::vector<Endpoint> inputs;
    for (int m : members)
      for (Endpoint e : g.node(m).inputs)
        if (group[static_cast<std::size_t>(e.node)] != root &&
            std::find(inputs.begin(), inputs.end(), e) == inputs.end())
          inputs.push_back(e);
    if (static_cast<int>(inputs.size()) > ops::kMaxFusedElementwiseInputs) continue;
    std::unordered_map<int, int> step_of;
    auto attrs = std::make_shared<ops::FusedElementwiseAttrs>();
    const int num_inputs = static_cast<int>(inputs.size());
    for (int m : members) {
      const Node& node = g.node(m);
      auto operand = [&](Endpoint e) {
        if (group[static_cast<std::size_t>(e.node)] == root) return num_inputs + step_of.at(e.node);
        return static_cast<int>(std::find(inputs.begin(), inputs.end(), e) - inputs.begin());
      };
      ops::ElementwiseStep step{*op[static_cast<std::size_t>(m)], operand(node.inputs[0]), -1};
      if (node.inputs.size() == 2) step.b = operand(node.inputs[1]);
      step_of[m] = static_cast<int>(attrs->program.size());
      attrs->program.push_back(step);
    }
    for (int m : members) absorbed[static_cast<std::size_t>(m)] = true;
    Node& fused = g.node(root);
    fused.op = ops::FusedElementwise.name;
    fused.def = &ops::FusedElementwise;
    fused.inputs = std::move(inputs);
    fused.attrs = std::move(attrs);
    ++rewritten;
  }
  return rewritten;
}

std::shared_ptr<Graph> prune(const Graph& g) {
  const int n = g.num_nodes();
  std::vector<bool> keep(static_cast<std::size_t>(n), false);
  std::vector<int> stack;
  for (Endpoint e : g.outputs) stack.push_back(e.node);
  for (int i = 0; i < n; ++i) {
    const NodeKind k = g.node(i).kind;
    if (g.node(i).stateful || k == NodeKind::kArg || k == NodeKind::kCapture) stack.push_back(i);
  }
  while (!stack.empty()) {
    const int i = stack.back();
    stack.pop_back();
    if (keep[static_cast<std::size_t>(i)]) continue;
    keep[static_cast<std::size_t>(i)] = true;
    for (Endpoint e : g.node(i).inputs) stack.push_back(e.node);
    for (int c : g.node(i).control_inputs) stack.push_back(c);
  }
  auto out = std::make_shared<Graph>(g.name());
  std::vector<int> index(static_cast<std::size_t>(n), -1);
  for (int i = 0; i < n; ++i) {
    if (!keep[static_cast<std::size_t>(i)]) continue;
    Node copy = g.node(i);
    for (Endpoint& e : copy.inputs) e.node = index[static_cast<std::size_t>(e.node)];
    for (int& c : copy.control_inputs) c = index[static_cast<std::size_t>(c)];
    index[static_cast<std::size_t>(i)] = out->add(std::move(copy));
  }
  for (Endpoint e : g.outputs) out->outputs.push_back({index[static_cast<std::size_t>(e.node)], e.index});
  out->num_args = g.num_args;
  out->num_captures = g.num_captures;
  return out;
}

std::shared_ptr<Graph> optimize(const Graph& g, const GraphOptimizerOptions& options) {
  auto out = std::make_shared<Graph>(g);
  if (options.constant_folding) fold_constants(*out);
  if (options.common_subexpression_elimination) eliminate_common_subexpressions(*out);
  if (options.arithmetic_optimization) {
    simplify_arithmetic(*out);
    square_matrix_powers(*out);
  }
  if (options.remapping) remap_fused_ops(*out);
  if (options.elementwise_fusion) fuse_elementwise(*out);
  return prune(*out);
}

}  // namespace passes
}  // namespace tapeflow
