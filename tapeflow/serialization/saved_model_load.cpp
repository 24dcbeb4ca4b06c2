// tf::saved_model::load (saved_model.h): validates saved_model.pb, restores the variables from
// variables/ by matching the checkpoint's object graph child name by child name, checks every
// function the object graph names (all ops known, no cycles, no missing function), and makes
// each concrete function a tf::Function whose body runs the FunctionDef through the TF op table:
// its first call traces that into one of our graphs, later calls run the graph.
#include <algorithm>
#include <deque>
#include <filesystem>
#include <set>
#include <sstream>

#include "graph.pb.h"
#include "saved_model.pb.h"
#include "tapeflow/core/errors.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/serialization/file_io.h"
#include "tapeflow/serialization/function_def.h"
#include "tapeflow/serialization/object_graph.h"
#include "tapeflow/serialization/saved_model.h"
#include "tapeflow/serialization/saved_model_entry.h"
#include "tapeflow/serialization/tensor_bundle.h"
#include "trackable_object_graph.pb.h"

namespace tapeflow::saved_model {

using serialization::TfValue;

// The parsed SavedModel, shared by the loaded functions' bodies (which outlive the model).
struct LoadedLibrary {
  tensorflow::SavedModel proto;  // owns the FunctionDefs `functions` points into
  serialization::FunctionLibrary functions;
};

struct LoadedState {
  std::shared_ptr<LoadedLibrary> lib = std::make_shared<LoadedLibrary>();
  std::map<int, Variable> variables;  // by node id
  std::vector<int> variable_order;    // variables() order
  std::map<std::string, LoadedFunction> functions;
  std::map<std::string, SignatureFunction> signatures;
  std::string dir;

  const tensorflow::SavedObjectGraph& graph() const { return lib->proto.meta_graphs(0).object_graph_def(); }
  void load_variables(const std::vector<std::string>& paths);
  void make_function(const std::string& path, const tensorflow::SavedFunction& f);
  void make_signature(const std::string& name, const tensorflow::SavedBareConcreteFunction& f);
  // The concrete function `name`: its checks, flat input specs (positional then keyword, sorted)
  // and its tf::Function.
  struct Flat {
    std::vector<std::string> positional, keywords;
    std::vector<TensorSpec> specs;
    Function function;
  };
  Flat make_concrete(const std::string& name);
};

namespace {

std::string where(const std::string& dir) { return "SavedModel '" + dir + "'"; }

Shape shape_of(const tensorflow::TensorShapeProto& p, bool allow_unknown, const std::string& context) {
  TF_CHECK_ARG(!p.unknown_rank(), "", context, ": a shape of unknown rank is not supported");
  TF_CHECK_ARG(p.dim_size() <= 32, "", context, ": a shape of rank ", p.dim_size());
  std::vector<int64_t> dims;
  for (const auto& d : p.dim()) {
    TF_CHECK_ARG(d.size() >= (allow_unknown ? -1 : 0) && d.size() < (int64_t{1} << 40), "", context,
                 ": invalid dimension ", d.size());
    dims.push_back(d.size());
  }
  return Shape(dims);
}

DType dtype_of(int datatype, const std::string& context) {
  auto dt = serialization::dtype_from_tf_datatype(datatype);
  TF_CHECK_TYPED(dt.has_value(), UnimplementedError, "", context, ": DataType ", datatype, " is not supported");
  return *dt;
}

TensorSpec spec_of(const tensorflow::StructuredValue& v, const std::string& context) {
  TF_CHECK_TYPED(v.has_tensor_spec_value(), UnimplementedError, "", context,
                 ": only Tensor arguments are supported by Tapeflow's loader");
  const auto& t = v.tensor_spec_value();
  return TensorSpec(shape_of(t.shape(), true, context), dtype_of(t.dtype(), context), t.name());
}

std::vector<std::string> sorted_keys(const tensorflow::DictValue& d) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : d.fields()) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  return keys;
}

// Rebuilds the returned structure from the flat outputs, in TF's flattening order.
Value structure(const tensorflow::StructuredValue& s, const std::vector<Tensor>& flat, std::size_t& next,
                const std::string& context) {
  auto take = [&]() {
    TF_CHECK_ARG(next < flat.size(), "", context, ": the output signature has more tensors than the function");
    return Value(flat[next++]);
  };
  switch (s.kind_case()) {
    case tensorflow::StructuredValue::kTensorSpecValue: return take();
    case tensorflow::StructuredValue::kNoneValue: return Value();
    case tensorflow::StructuredValue::kTupleValue:
    case tensorflow::StructuredValue::kListValue: {
      const auto& vals = s.has_tuple_value() ? s.tuple_value().values() : s.list_value().values();
      Value::List out;
      for (const auto& e : vals) out.push_back(structure(e, flat, next, context));
      return Value(std::move(out));
    }
    case tensorflow::StructuredValue::kDictValue: {
      Value::Dict out;
      for (const std::string& k : sorted_keys(s.dict_value()))
        out[k] = structure(s.dict_value().fields().at(k), flat, next, context);
      return Value(std::move(out));
    }
    default: TF_THROW(UnimplementedError, "", context, ": an output structure of kind ", s.kind_case());
  }
}

std::string spec_list(const std::vector<TensorSpec>& specs) {
  std::string s = "  Positional arguments (" + std::to_string(specs.size()) + " total):\n";
  for (const TensorSpec& t : specs) s += "    * " + t.to_string() + "\n";
  return s + "  Keyword arguments: {}\n";
}

}  // namespace

void LoadedState::load_variables(const std::vector<std::string>& paths) {
  const auto& g = graph();
  bool any = false;
  for (const auto& n : g.nodes()) any = any || n.has_variable();
  if (!any) return;
  const std::string prefix = (std::filesystem::path(dir) / "variables" / "variables").string();
  serialization::BundleReader reader(prefix);
  TF_CHECK_TYPED(reader.contains(serialization::kObjectGraphKey), DataLossError, "", where(dir),
                 ": variables/ has no object graph");
  Tensor og = reader.get_tensor(serialization::kObjectGraphKey);
  tensorflow::TrackableObjectGraph ckpt;
  TF_CHECK_TYPED(og.dtype() == DType::kString && og.shape().rank() == 0 &&
                     ckpt.ParseFromString(*static_cast<const std::string*>(og.raw_data())) && ckpt.nodes_size() > 0,
                 DataLossError, "", where(dir), ": variables/ holds a damaged object graph");
  // Match saved nodes to checkpoint nodes child name by child name from the roots (TF's matching).
  std::vector<int> ckpt_of(static_cast<std::size_t>(g.nodes_size()), -1);
  std::deque<int> queue{0};
  ckpt_of[0] = 0;
  while (!queue.empty()) {
    const int s = queue.front();
    queue.pop_front();
    const auto& c = ckpt.nodes(ckpt_of[static_cast<std::size_t>(s)]);
    for (const auto& child : g.nodes(s).children()) {
      if (ckpt_of[static_cast<std::size_t>(child.node_id())] >= 0) continue;
      for (const auto& cc : c.children()) {
        if (cc.local_name() != child.local_name()) continue;
        TF_CHECK_TYPED(cc.node_id() >= 0 && cc.node_id() < ckpt.nodes_size(), DataLossError, "", where(dir),
                       ": the checkpoint's object graph names node ", cc.node_id());
        ckpt_of[static_cast<std::size_t>(child.node_id())] = cc.node_id();
        queue.push_back(child.node_id());
        break;
      }
    }
  }
  for (int id = 0; id < g.nodes_size(); ++id) {
    const auto& n = g.nodes(id);
    if (!n.has_variable()) continue;
    const std::string context = where(dir) + ": variable '" + paths[static_cast<std::size_t>(id)] + "'";
    const auto& sv = n.variable();
    const DType dt = dtype_of(sv.dtype(), context);
    const Shape shape = shape_of(sv.shape(), false, context);
    const int c = ckpt_of[static_cast<std::size_t>(id)];
    TF_CHECK_TYPED(c >= 0, NotFoundError, "", context, " has no value in variables/");
    std::string key;
    for (const auto& a : ckpt.nodes(c).attributes())
      if (a.name() == "VARIABLE_VALUE") key = a.checkpoint_key();
    TF_CHECK_TYPED(!key.empty() && reader.contains(key), NotFoundError, "", context, " has no value in variables/");
    const auto& entry = reader.entries().at(key);
    TF_CHECK_TYPED(entry.datatype == serialization::tf_datatype(dt) && entry.shape == shape, DataLossError, "", context,
                   " is ", dtype_name(dt), shape, " but variables/ holds ",
                   serialization::tf_datatype_name(entry.datatype), entry.shape, " under ", key);
    Tensor value = reader.get_tensor(key);
    variables[id] = Variable(value, {.name = sv.name().empty() ? "Variable" : sv.name(), .trainable = sv.trainable()});
  }
}

LoadedState::Flat LoadedState::make_concrete(const std::string& name) {
  const std::string context = where(dir) + ": function '" + name + "'";
  auto it = graph().concrete_functions().find(name);
  TF_CHECK_TYPED(it != graph().concrete_functions().end(), NotFoundError, "", context,
                 " is not in the object graph's concrete functions");
  const tensorflow::SavedConcreteFunction& c = it->second;
  std::set<std::string> unimplemented;
  serialization::check_function_def(lib->functions, name, unimplemented);
  if (!unimplemented.empty()) {
    std::string ops;
    for (const std::string& o : unimplemented) ops += (ops.empty() ? "" : ", ") + o;
    TF_THROW(UnimplementedError, "", context, " uses ops Tapeflow does not implement: ", ops);
  }
  Flat flat;
  const auto& sig = c.canonicalized_input_signature();
  TF_CHECK_ARG(sig.has_tuple_value() && sig.tuple_value().values_size() == 2 &&
                   sig.tuple_value().values(0).has_tuple_value() && sig.tuple_value().values(1).has_dict_value(),
               "", context, ": its input signature is not (args, kwargs)");
  for (const auto& a : sig.tuple_value().values(0).tuple_value().values()) {
    flat.specs.push_back(spec_of(a, context));
    flat.positional.push_back(flat.specs.back().name);
  }
  const auto& kwargs = sig.tuple_value().values(1).dict_value();
  for (const std::string& k : sorted_keys(kwargs)) {
    flat.specs.push_back(spec_of(kwargs.fields().at(k), context));
    flat.keywords.push_back(k);
  }
  std::vector<Variable> bound;
  for (int id : c.bound_inputs()) {
    auto v = variables.find(id);
    TF_CHECK_ARG(v != variables.end(), "", context, ": bound input ", id, " is not a variable of the object graph");
    bound.push_back(v->second);
  }
  const tensorflow::FunctionDef& fdef = *lib->functions.at(name);
  TF_CHECK_ARG(static_cast<std::size_t>(fdef.signature().input_arg_size()) == flat.specs.size() + bound.size(), "",
               context, ": takes ", fdef.signature().input_arg_size(), " inputs, its signature and bound inputs give ",
               flat.specs.size() + bound.size());
  const tensorflow::StructuredValue output = c.output_signature();
  FunctionOptions options;
  // No input_signature: LoadedFunction and SignatureFunction check the specs themselves, and the
  // body is traced per concrete shape, because TF's graphs compute shapes at run time (Keras's
  // Flatten: Shape -> StridedSlice -> Pack -> Reshape), which our tracer needs to know.
  options.name = name;
  for (const TensorSpec& s : flat.specs) options.arg_names.push_back(s.name.empty() ? "args" : s.name);
  const int arity = static_cast<int>(flat.specs.size());
  Function::Body body = [lib = lib, name, bound, output, context](const std::vector<Value>& args) -> Value {
    std::vector<TfValue> in;
    for (const Value& a : args) in.push_back({a.tensor(), Variable(), std::nullopt});
    for (const Variable& v : bound) in.push_back({Tensor(), v, std::nullopt});
    std::vector<Tensor> flat_out;
    for (TfValue& o : serialization::run_function_def(lib->functions, name, in)) flat_out.push_back(o.tensor);
    std::size_t next = 0;
    Value result = structure(output, flat_out, next, context);
    TF_CHECK_ARG(next == flat_out.size(), "", context, ": returns ", flat_out.size(),
                 " tensors, its output signature holds ", next);
    return result;
  };
  flat.function = Function(std::move(body), arity, std::move(options));
  return flat;
}

void LoadedState::make_function(const std::string& path, const tensorflow::SavedFunction& f) {
  LoadedFunction lf;
  lf.name_ = path;
  for (const std::string& name : f.concrete_functions()) {
    Flat flat = make_concrete(name);
    lf.traces_.push_back({flat.specs, flat.function});
  }
  functions[path] = std::move(lf);
}

void LoadedState::make_signature(const std::string& sig_name, const tensorflow::SavedBareConcreteFunction& f) {
  Flat flat = make_concrete(f.concrete_function_name());
  TF_CHECK_ARG(flat.positional.empty(), "", where(dir), ": signature '", sig_name,
               "' takes positional arguments (a signature takes its inputs by name)");
  SignatureFunction s;
  s.name_ = sig_name;
  for (std::size_t k = 0; k < flat.keywords.size(); ++k) s.inputs_.insert_or_assign(flat.keywords[k], flat.specs[k]);
  const auto& c = graph().concrete_functions().at(f.concrete_function_name());
  TF_CHECK_ARG(c.output_signature().has_dict_value(), "", where(dir), ": signature '", sig_name,
               "' does not return a map of outputs");
  s.outputs_ = sorted_keys(c.output_signature().dict_value());
  s.function_ = flat.function;
  signatures[sig_name] = std::move(s);
}

// ---- the user-facing objects ------------------------------------------------------------------

Value LoadedFunction::call(const std::vector<Tensor>& args) const {
  for (const Trace& t : traces_) {
    if (t.specs.size() != args.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; i < args.size() && ok; ++i) ok = t.specs[i].is_compatible_with(args[i]);
    if (ok) return t.function.call(std::vector<Value>(args.begin(), args.end()));
  }
  // TF's message (a ValueError in Python).
  std::vector<TensorSpec> got;
  for (const Tensor& a : args) got.push_back(TensorSpec(a.shape(), a.dtype()));
  std::string msg = "Could not find matching concrete function to call loaded from the SavedModel. Got:\n" +
                    spec_list(got) + "\n Expected these arguments to match one of the following " +
                    std::to_string(traces_.size()) + " option(s):\n";
  for (std::size_t k = 0; k < traces_.size(); ++k)
    msg += "\nOption " + std::to_string(k + 1) + ":\n" + spec_list(traces_[k].specs);
  throw errors::InvalidArgumentError(msg);
}

std::vector<ConcreteFunction> LoadedFunction::concrete_functions() const {
  std::vector<ConcreteFunction> out;
  for (const Trace& t : traces_) {
    std::vector<std::optional<TensorSpec>> specs(t.specs.begin(), t.specs.end());
    out.push_back(t.function.get_concrete_function_for(std::vector<Value>(t.specs.size()), specs));
  }
  return out;
}

std::map<std::string, Tensor> SignatureFunction::operator()(const std::map<std::string, Tensor>& inputs) const {
  std::vector<Value> args;
  for (const auto& [k, spec] : inputs_) {
    auto it = inputs.find(k);
    TF_CHECK_ARG(it != inputs.end(), "", "signature '", name_, "': missing input '", k, "'");
    TF_CHECK_ARG(spec.is_compatible_with(it->second), "", "signature '", name_, "': input '", k, "' is ",
                 TensorSpec(it->second.shape(), it->second.dtype()).to_string(), ", expected ", spec.to_string());
    args.emplace_back(it->second);
  }
  for (const auto& [k, v] : inputs)
    TF_CHECK_ARG(inputs_.count(k), "", "signature '", name_, "' has no input '", k, "'");
  Value result = function_.call(args);
  std::map<std::string, Tensor> out;
  for (const auto& [k, v] : result.dict()) out[k] = v.tensor();
  return out;
}

const LoadedFunction& LoadedModel::function(const std::string& name) const {
  auto it = state_->functions.find(name);
  if (it == state_->functions.end()) {
    std::string known;
    for (const auto& [k, v] : state_->functions) known += (known.empty() ? "" : ", ") + k;
    TF_THROW(NotFoundError, "", "the loaded SavedModel has no function '", name, "' (it has: ", known, ")");
  }
  return it->second;
}

std::vector<std::string> LoadedModel::function_names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : state_->functions) out.push_back(k);
  return out;
}

const std::map<std::string, SignatureFunction>& LoadedModel::signatures() const { return state_->signatures; }

std::vector<Variable> LoadedModel::variables() const {
  std::vector<Variable> out;
  for (int id : state_->variable_order) out.push_back(state_->variables.at(id));
  return out;
}

std::vector<Variable> LoadedModel::trainable_variables() const {
  std::vector<Variable> out;
  for (const Variable& v : variables())
    if (v.trainable()) out.push_back(v);
  return out;
}

LoadedModel load(const std::string& export_dir) {
  namespace fs = std::filesystem;
  auto state = std::make_shared<LoadedState>();
  state->dir = export_dir;
  const std::string pb = (fs::path(export_dir) / "saved_model.pb").string();
  TF_CHECK_TYPED(serialization::file_exists(pb), NotFoundError, "", where(export_dir), ": no saved_model.pb");
  const std::string bytes = serialization::read_file(pb);
  TF_CHECK_TYPED(state->lib->proto.ParseFromString(bytes), DataLossError, "", where(export_dir),
                 ": saved_model.pb is damaged (not a SavedModel proto)");
  // Keep only the MetaGraphDef tagged "serve".
  auto& metas = *state->lib->proto.mutable_meta_graphs();
  auto serve = std::find_if(metas.begin(), metas.end(), [](const tensorflow::MetaGraphDef& m) {
    const auto& tags = m.meta_info_def().tags();
    return std::find(tags.begin(), tags.end(), "serve") != tags.end();
  });
  TF_CHECK_TYPED(serve != metas.end(), NotFoundError, "", where(export_dir), ": no MetaGraphDef tagged 'serve'");
  if (serve != metas.begin()) metas.begin()->Swap(&*serve);
  const tensorflow::SavedObjectGraph& g = state->graph();
  TF_CHECK_ARG(g.nodes_size() > 0, "", where(export_dir), ": the object graph is empty (a TF1 SavedModel?)");
  for (const auto& f : state->lib->proto.meta_graphs(0).graph_def().library().function())
    state->lib->functions[f.signature().name()] = &f;

  // Every node's path from the root (breadth first); children must name existing nodes.
  std::vector<std::string> paths(static_cast<std::size_t>(g.nodes_size()));
  std::vector<bool> reached(static_cast<std::size_t>(g.nodes_size()), false);
  std::deque<int> queue{0};
  reached[0] = true;
  std::vector<int> bfs;
  while (!queue.empty()) {
    const int id = queue.front();
    queue.pop_front();
    bfs.push_back(id);
    for (const auto& c : g.nodes(id).children()) {
      TF_CHECK_ARG(c.node_id() >= 0 && c.node_id() < g.nodes_size(), "", where(export_dir), ": node ", id,
                   " has child ", c.node_id(), " of ", g.nodes_size(), " nodes");
      if (reached[static_cast<std::size_t>(c.node_id())]) continue;
      reached[static_cast<std::size_t>(c.node_id())] = true;
      paths[static_cast<std::size_t>(c.node_id())] =
          (paths[static_cast<std::size_t>(id)].empty() ? "" : paths[static_cast<std::size_t>(id)] + "/") +
          c.local_name();
      queue.push_back(c.node_id());
    }
  }
  state->load_variables(paths);
  // variables(): bound ones first is not needed; the object graph's order, skipping Keras's
  // duplicate "_all_variables" list.
  for (int id : bfs)
    if (g.nodes(id).has_variable() && paths[static_cast<std::size_t>(id)].rfind("_all_variables", 0) != 0)
      state->variable_order.push_back(id);
  for (int id : bfs) {
    const auto& n = g.nodes(id);
    if (n.has_function()) state->make_function(paths[static_cast<std::size_t>(id)], n.function());
  }
  for (const auto& c : g.nodes(0).children()) {
    const auto& n = g.nodes(c.node_id());
    if (c.local_name() != "signatures" || !n.has_user_object()) continue;
    for (const auto& s : n.children()) {
      TF_CHECK_ARG(
          s.node_id() >= 0 && s.node_id() < g.nodes_size() && g.nodes(s.node_id()).has_bare_concrete_function(), "",
          where(export_dir), ": signature '", s.local_name(), "' is not a concrete function");
      state->make_signature(s.local_name(), g.nodes(s.node_id()).bare_concrete_function());
    }
  }
  LoadedModel m;
  m.state_ = state;
  return m;
}

}  // namespace tapeflow::saved_model

// ---- saved_model_entry.h -------------------------------------------------------------------------

namespace tapeflow::saved_model {

int load_and_call_signatures(const std::string& export_dir) {
  LoadedModel m = load(export_dir);
  for (const auto& [name, sig] : m.signatures()) {
    std::map<std::string, Tensor> inputs;
    bool small = true;
    for (const auto& [key, spec] : sig.inputs()) {
      std::vector<int64_t> dims;
      int64_t n = 1;
      for (int64_t d : spec.shape) {
        dims.push_back(d < 0 ? 1 : d);
        n *= dims.back();
        small = small && n <= (int64_t{1} << 16);
      }
      if (!small) break;
      inputs.emplace(key, zeros(Shape(dims), spec.dtype));
    }
    if (small) sig(inputs);
  }
  return static_cast<int>(m.function_names().size() + m.signatures().size());
}

}  // namespace tapeflow::saved_model
