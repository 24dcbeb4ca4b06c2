// Traced graphs to FunctionDefs, and FunctionDefs run through the TF op table (function_def.h).
#include "tapeflow/serialization/function_def.h"

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "graph.pb.h"
#include "tapeflow/core/errors.h"
#include "tapeflow/graph/call_op.h"
#include "tapeflow/serialization/graph_def_proto.h"
#include "tapeflow/serialization/summary_protos.h"
#include "tapeflow/serialization/tensor_bundle.h"

namespace tapeflow::serialization {
namespace {

// TF requires function argument names to match [a-z][a-z0-9_]* (it lowercases its own).
std::string arg_name(const std::string& raw, std::set<std::string>& used) {
  std::string s;
  for (char c : raw) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    s += (std::isalnum(static_cast<unsigned char>(l)) ? l : '_');
  }
  if (s.empty() || !std::islower(static_cast<unsigned char>(s[0]))) s = "arg_" + s;
  std::string unique = s;
  for (int k = 1; used.count(unique); ++k) unique = s + "_" + std::to_string(k);
  used.insert(unique);
  return unique;
}

void set_shape(const Shape& shape, tensorflow::TensorShapeProto& out) {
  for (int64_t d : shape) out.add_dim()->set_size(d < 0 ? -1 : d);
}

// The op a graph node is saved as (captures become Consts).
std::string saved_op(const Node& n) { return n.kind == NodeKind::kCapture ? "Const" : n.op; }

const TfOp& op_for_export(const Node& n) {
  const TfOp* op = find_tf_op(saved_op(n));
  TF_CHECK_TYPED(op != nullptr, UnimplementedError, "", "tf::saved_model::save: node '", n.name, "' runs op ", n.op,
                 ", which Tapeflow cannot yet write as a TensorFlow op");
  return *op;
}

// Where Tapeflow's op attributes differ from TF's: NHWC windows as [1, h, w, 1], the batch-norm
// factor as a float and its U type, Reshape's shape as a Const input rather than an attribute.
void to_tf_attributes(const Node& n, const Graph& g, tensorflow::NodeDef& d, tensorflow::FunctionDef& out) {
  auto& attrs = *d.mutable_attr();
  if (n.op == "Conv2D" || n.op == "MaxPool" || n.op == "AvgPool") {
    for (const char* key : {"strides", "ksize", "dilations"}) {
      auto it = attrs.find(key);
      if (it == attrs.end()) continue;
      std::vector<int64_t> hw(it->second.list().i().begin(), it->second.list().i().end());
      if (hw.size() == 1) hw.push_back(hw[0]);
      if (hw.size() != 2) continue;
      auto* l = it->second.mutable_list();
      l->clear_i();
      for (int64_t v : {int64_t{1}, hw[0], hw[1], int64_t{1}}) l->add_i(v);
    }
  }
  if (n.op == "FusedBatchNormV3") {
    auto it = attrs.find("exponential_avg_factor");
    if (it != attrs.end() && it->second.value_case() == tensorflow::AttrValue::kI)
      it->second.set_f(static_cast<float>(it->second.i()));
    attrs["U"].set_type(static_cast<tensorflow::DataType>(tf_datatype(g.spec(n.inputs[1]).dtype)));
  }
  if (n.op == "Reshape" && n.inputs.size() == 1) {
    const Shape& shape = n.outputs[0].shape;
    int unknown = 0;
    tensorflow::NodeDef& c = *out.add_node_def();
    c.set_name(n.name + "/shape");
    c.set_op("Const");
    (*c.mutable_attr())["dtype"].set_type(tensorflow::DT_INT32);
    auto& t = *(*c.mutable_attr())["value"].mutable_tensor();
    t.set_dtype(tensorflow::DT_INT32);
    t.mutable_tensor_shape()->add_dim()->set_size(shape.rank());
    for (int64_t v : shape) {
      unknown += v < 0;
      t.add_int_val(static_cast<int32_t>(v < 0 ? -1 : v));
    }
    TF_CHECK_TYPED(unknown <= 1, UnimplementedError, "", "tf::saved_model::save: node '", n.name,
                   "' reshapes to a shape with several unknown dimensions");
    d.add_input(n.name + "/shape:output:0");
    attrs.erase("shape");
    attrs["Tshape"].set_type(tensorflow::DT_INT32);
  }
}

}  // namespace

std::vector<Variable> to_function_def(const ConcreteFunction& function, const FunctionDefNames& names,
                                      tensorflow::FunctionDef& out) {
  const Graph& g = function.graph();
  const auto callable = function.callable();
  tensorflow::GraphDef proto;
  to_graph_def_proto(g.as_graph_def(), proto);
  std::unordered_map<std::string, const tensorflow::NodeDef*> by_name;
  for (const auto& d : proto.node()) by_name[d.name()] = &d;

  out.Clear();
  tensorflow::OpDef& sig = *out.mutable_signature();
  sig.set_name(names.name);
  std::set<std::string> used;
  std::vector<std::string> ref(static_cast<std::size_t>(g.num_nodes()));  // what an input naming node i writes
  std::vector<int> args;
  for (int i = 0; i < g.num_nodes(); ++i)
    if (g.node(i).kind == NodeKind::kArg) args.push_back(i);
  std::sort(args.begin(), args.end(), [&](int a, int b) { return g.node(a).slot < g.node(b).slot; });
  TF_CHECK_ARG(names.input_names.empty() || names.input_names.size() == args.size(), "",
               "tf::saved_model::save: ", names.input_names.size(), " input names for ", args.size(), " arguments");
  for (std::size_t k = 0; k < args.size(); ++k) {
    const Node& n = g.node(args[k]);
    auto& a = *sig.add_input_arg();
    a.set_name(arg_name(names.input_names.empty() ? n.name : names.input_names[k], used));
    a.set_type(static_cast<tensorflow::DataType>(tf_datatype(n.outputs[0].dtype)));
    ref[static_cast<std::size_t>(args[k])] = a.name();
  }
  std::vector<Variable> bound;
  for (int i = 0; i < g.num_nodes(); ++i) {
    const Node& n = g.node(i);
    if (n.kind != NodeKind::kVarHandle) continue;
    Variable v(n.variable);
    auto& a = *sig.add_input_arg();
    a.set_name(arg_name(n.name + "_resource", used));
    a.set_type(tensorflow::DT_RESOURCE);
    auto& hd = *a.add_handle_data();
    hd.set_dtype(static_cast<tensorflow::DataType>(tf_datatype(v.dtype())));
    set_shape(v.shape(), *hd.mutable_shape());
    ref[static_cast<std::size_t>(i)] = a.name();
    bound.push_back(v);
  }

  auto input_ref = [&](Endpoint e) {
    const Node& p = g.node(e.node);
    if (p.kind == NodeKind::kArg || p.kind == NodeKind::kVarHandle) return ref[static_cast<std::size_t>(e.node)];
    const TfOp& op = op_for_export(p);
    if (op.outputs.size() == 1) return p.name + ":" + op.outputs[0] + ":" + std::to_string(e.index);
    TF_CHECK_TYPED(static_cast<std::size_t>(e.index) < op.outputs.size(), InternalError, "", "node '", p.name,
                   "' has no output ", e.index);
    return p.name + ":" + op.outputs[static_cast<std::size_t>(e.index)] + ":0";
  };

  bool stateful = false;
  for (int i = 0; i < g.num_nodes(); ++i) {
    const Node& n = g.node(i);
    if (n.kind == NodeKind::kArg || n.kind == NodeKind::kVarHandle) continue;
    TF_CHECK_TYPED(n.kind != NodeKind::kPrint, UnimplementedError, "", "tf::saved_model::save: function '", g.name(),
                   "' holds a tf::print, which Tapeflow cannot yet save");
    const TfOp& op = op_for_export(n);
    tensorflow::NodeDef& d = *out.add_node_def();
    if (n.kind == NodeKind::kCapture) {
      // An eager tensor the function captured: saved as its value (TF saves it as a constant too).
      const std::size_t slot = static_cast<std::size_t>(n.slot - g.num_args);
      TF_CHECK_TYPED(slot < callable->captures.size(), InternalError, "", "capture '", n.name, "' has no value");
      d.set_name(n.name);
      d.set_op("Const");
      (*d.mutable_attr())["dtype"].set_type(static_cast<tensorflow::DataType>(tf_datatype(n.outputs[0].dtype)));
      tensor_to_proto(callable->captures[slot], *(*d.mutable_attr())["value"].mutable_tensor());
      continue;
    }
    d = *by_name.at(n.name);
    d.clear_input();
    d.clear_device();
    for (Endpoint e : n.inputs) d.add_input(input_ref(e));
    for (int c : n.control_inputs) d.add_input("^" + g.node(c).name);
    to_tf_attributes(n, g, d, out);
    // The traced shapes, as TF records them (its shape inference and Grappler read them).
    if (op.outputs.size() == 1 && n.outputs.size() == 1) {
      auto& shapes = *(*d.mutable_attr())["_output_shapes"].mutable_list();
      set_shape(n.outputs[0].shape, *shapes.add_shape());
    }
    // Keep the attributes TF's op declares; Tapeflow's own (Softmax's axis) must be TF's default.
    std::vector<std::string> drop;
    for (const auto& [key, value] : d.attr()) {
      if (key.starts_with('_') || std::find(op.attrs.begin(), op.attrs.end(), key) != op.attrs.end())
        continue;  // "_..." attributes are TF's own annotations, valid on any node
      const bool last_axis = (n.op == "Softmax" || n.op == "LogSoftmax") && key == "axis" &&
                             (value.i() == -1 || value.i() == g.spec(n.inputs[0]).shape.rank() - 1);
      TF_CHECK_TYPED(last_axis, UnimplementedError, "", "tf::saved_model::save: node '", n.name, "' (", n.op,
                     ") has attribute ", key, ", which TensorFlow's op lacks");
      drop.push_back(key);
    }
    for (const std::string& k : drop) d.mutable_attr()->erase(k);
    if (n.kind == NodeKind::kRead || n.kind == NodeKind::kAssign) {
      stateful = true;
      sig.add_control_output(n.name);
      (*out.mutable_control_ret())[n.name] = n.name;
    }
  }
  sig.set_is_stateful(stateful);
  TF_CHECK_ARG(names.output_names.empty() || names.output_names.size() == g.outputs.size(), "",
               "tf::saved_model::save: ", names.output_names.size(), " output names for ", g.outputs.size(),
               " outputs");
  std::set<std::string> used_out;
  for (std::size_t k = 0; k < g.outputs.size(); ++k) {
    auto& a = *sig.add_output_arg();
    const std::string base =
        names.output_names.empty() ? (k == 0 ? "identity" : "identity_" + std::to_string(k)) : names.output_names[k];
    a.set_name(arg_name(base, used_out));
    a.set_type(static_cast<tensorflow::DataType>(tf_datatype(g.spec(g.outputs[k]).dtype)));
    (*out.mutable_ret())[a.name()] = input_ref(g.outputs[k]);
  }
  return bound;
}

namespace {

// An input reference "node:arg:index", "arg" or "^node" split into its parts.
struct InputRef {
  std::string node;  // a node name, or an input argument's name when `arg` is true
  bool arg = false, control = false;
  std::string output;
  int index = 0;
};

InputRef parse_ref(const std::string& s, const std::string& fn) {
  InputRef r;
  std::string body = s;
  if (!body.empty() && body[0] == '^') {
    r.control = true;
    body = body.substr(1);
  }
  const std::size_t a = body.find(':');
  if (a == std::string::npos) {
    r.node = body;
    r.arg = !r.control;
    return r;
  }
  const std::size_t b = body.find(':', a + 1);
  TF_CHECK_ARG(b != std::string::npos, "", "function '", fn, "': input '", s, "' is not node:output:index");
  r.node = body.substr(0, a);
  r.output = body.substr(a + 1, b - a - 1);
  const std::string idx = body.substr(b + 1);
  TF_CHECK_ARG(!idx.empty() && idx.size() < 7 && std::all_of(idx.begin(), idx.end(), ::isdigit), "", "function '", fn,
               "': input '", s, "' has a bad index");
  r.index = std::stoi(idx);
  return r;
}

// The nodes of `f` in an order where every node follows its inputs (Kahn's algorithm);
// InvalidArgumentError naming the function for a missing input or a cycle.
std::vector<int> topological_order(const tensorflow::FunctionDef& f) {
  const std::string& fn = f.signature().name();
  std::unordered_map<std::string, int> index;
  for (int i = 0; i < f.node_def_size(); ++i)
    TF_CHECK_ARG(index.emplace(f.node_def(i).name(), i).second, "", "function '", fn, "': two nodes are named '",
                 f.node_def(i).name(), "'");
  std::set<std::string> args;
  for (const auto& a : f.signature().input_arg()) args.insert(a.name());
  std::vector<int> pending(static_cast<std::size_t>(f.node_def_size()), 0);
  std::vector<std::vector<int>> users(static_cast<std::size_t>(f.node_def_size()));
  for (int i = 0; i < f.node_def_size(); ++i) {
    for (const std::string& in : f.node_def(i).input()) {
      InputRef r = parse_ref(in, fn);
      if (r.arg && args.count(r.node)) continue;
      auto it = index.find(r.node);
      TF_CHECK_ARG(it != index.end(), "", "function '", fn, "': node '", f.node_def(i).name(), "' reads '", in,
                   "', which names no node or argument");
      users[static_cast<std::size_t>(it->second)].push_back(i);
      ++pending[static_cast<std::size_t>(i)];
    }
  }
  std::deque<int> ready;
  for (int i = 0; i < f.node_def_size(); ++i)
    if (pending[static_cast<std::size_t>(i)] == 0) ready.push_back(i);
  std::vector<int> order;
  while (!ready.empty()) {
    int i = ready.front();
    ready.pop_front();
    order.push_back(i);
    for (int u : users[static_cast<std::size_t>(i)])
      if (--pending[static_cast<std::size_t>(u)] == 0) ready.push_back(u);
  }
  TF_CHECK_ARG(order.size() == static_cast<std::size_t>(f.node_def_size()), "", "function '", fn,
               "': its nodes form a cycle");
  return order;
}

const tensorflow::FunctionDef& lookup(const FunctionLibrary& library, const std::string& name) {
  auto it = library.find(name);
  TF_CHECK_TYPED(it != library.end(), NotFoundError, "", "the SavedModel's library has no function '", name, "'");
  return *it->second;
}

std::string called_function(const tensorflow::NodeDef& n) {
  auto it = n.attr().find("f");
  TF_CHECK_ARG(it != n.attr().end() && it->second.has_func(), "", "node '", n.name(), "' (", n.op(),
               ") names no function");
  return it->second.func().name();
}

void check(const FunctionLibrary& library, const std::string& name, std::set<std::string>& unimplemented,
           std::set<std::string>& active, std::set<std::string>& done) {
  if (done.count(name)) return;
  TF_CHECK_ARG(active.insert(name).second, "", "function '", name, "' calls itself (a cycle of calls)");
  TF_CHECK_ARG(active.size() <= 64, "", "function '", name, "': calls nest more than 64 deep");
  const tensorflow::FunctionDef& f = lookup(library, name);
  topological_order(f);
  for (const auto& n : f.node_def()) {
    if (is_call_op(n.op()))
      check(library, called_function(n), unimplemented, active, done);
    else if (!find_tf_op(n.op()))
      unimplemented.insert(n.op());
  }
  for (const auto& o : f.signature().output_arg())
    TF_CHECK_ARG(f.ret().count(o.name()), "", "function '", name, "': output '", o.name(), "' has no value");
  active.erase(name);
  done.insert(name);
}

}  // namespace

void check_function_def(const FunctionLibrary& library, const std::string& name, std::set<std::string>& unimplemented) {
  std::set<std::string> active, done;
  check(library, name, unimplemented, active, done);
}

std::vector<TfValue> run_function_def(const FunctionLibrary& library, const std::string& name,
                                      const std::vector<TfValue>& inputs) {
  const tensorflow::FunctionDef& f = lookup(library, name);
  const auto& sig = f.signature();
  TF_CHECK_ARG(static_cast<std::size_t>(sig.input_arg_size()) == inputs.size(), "", "function '", name, "' takes ",
               sig.input_arg_size(), " inputs, got ", inputs.size());
  std::unordered_map<std::string, TfValue> args;
  for (int i = 0; i < sig.input_arg_size(); ++i) args[sig.input_arg(i).name()] = inputs[static_cast<std::size_t>(i)];
  std::unordered_map<std::string, std::vector<TfValue>> results;
  std::unordered_map<std::string, const tensorflow::NodeDef*> nodes;
  for (const auto& n : f.node_def()) nodes[n.name()] = &n;

  auto resolve = [&](const std::string& s) -> TfValue {
    InputRef r = parse_ref(s, name);
    if (r.arg) {
      auto it = args.find(r.node);
      TF_CHECK_ARG(it != args.end(), "", "function '", name, "': '", s, "' names no argument");
      return it->second;
    }
    auto node = nodes.find(r.node);
    auto done = results.find(r.node);
    TF_CHECK_ARG(node != nodes.end() && done != results.end(), "", "function '", name, "': '", s,
                 "' names no node computed before it");
    const tensorflow::NodeDef& p = *node->second;
    std::size_t pos = static_cast<std::size_t>(r.index);
    if (!is_call_op(p.op())) {
      const TfOp* found = find_tf_op(p.op());
      TF_CHECK_TYPED(found != nullptr, UnimplementedError, "", "function '", name, "': op ", p.op(),
                     " is not implemented by Tapeflow");
      const TfOp& op = *found;
      auto o = std::find(op.outputs.begin(), op.outputs.end(), r.output);
      TF_CHECK_ARG(o != op.outputs.end(), "", "function '", name, "': '", s, "': ", p.op(), " has no output ",
                   r.output);
      pos += static_cast<std::size_t>(o - op.outputs.begin());
    }
    const auto& outs = done->second;
    TF_CHECK_ARG(pos < outs.size(), "", "function '", name, "': '", s, "': node has ", outs.size(), " outputs");
    return outs[pos];
  };

  for (int i : topological_order(f)) {
    const tensorflow::NodeDef& n = f.node_def(i);
    std::vector<TfValue> in;
    for (const std::string& s : n.input())
      if (s.empty() || s[0] != '^') in.push_back(resolve(s));
    if (is_call_op(n.op())) {
      results[n.name()] = run_function_def(library, called_function(n), in);
      continue;
    }
    const TfOp* op = find_tf_op(n.op());
    TF_CHECK_TYPED(op && op->run, UnimplementedError, "", "function '", name, "': op ", n.op(),
                   " is not implemented by Tapeflow");
    results[n.name()] = op->run(in, n);
  }
  std::vector<TfValue> out;
  for (const auto& o : sig.output_arg()) {
    auto it = f.ret().find(o.name());
    TF_CHECK_ARG(it != f.ret().end(), "", "function '", name, "': output '", o.name(), "' has no value");
    out.push_back(resolve(it->second));
  }
  return out;
}

}  // namespace tapeflow::serialization
