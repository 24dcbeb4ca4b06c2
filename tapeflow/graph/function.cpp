// tf::function: the signature cache (TF's FunctionType / JAX's CallSignature), tracing a
// concrete function, calling it (directly, or as one call op through the door when a tape or a
// tracer must see it) and the TF texts of its signatures.
#include "tapeflow/graph/function.h"

#include <atomic>
#include <iostream>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "tapeflow/core/config.h"
#include "tapeflow/graph/call_op.h"
#include "tapeflow/graph/graph_replay.h"
#include "tapeflow/graph/tracer.h"

namespace tapeflow {

namespace config {
namespace {
std::atomic<bool> g_run_functions_eagerly{false};
}
void run_functions_eagerly(bool enabled) { g_run_functions_eagerly.store(enabled); }
bool functions_run_eagerly() { return g_run_functions_eagerly.load(); }
}  // namespace config

// ---- TensorSpec ----------------------------------------------------------------------------
bool TensorSpec::is_compatible_with(const Tensor& t) const {
  if (t.dtype() != dtype || t.ndim() != shape.rank()) return false;
  for (int d = 0; d < shape.rank(); ++d)
    if (shape[d] >= 0 && t.shape()[d] >= 0 && shape[d] != t.shape()[d]) return false;
  return true;
}
std::string TensorSpec::to_string() const {
  return detail::str_cat("TensorSpec(shape=", shape.to_string(), ", dtype=tf.", dtype_name(dtype),
                         ", name=", name.empty() ? std::string("None") : "'" + name + "'", ")");
}
std::ostream& operator<<(std::ostream& os, const TensorSpec& s) { return os << s.to_string(); }

// ---- The signature of a call ----------------------------------------------------------------
namespace {
std::atomic<detail::FunctionCallObserver> function_call_observer{nullptr};

/// Appends the key of `v` (its structure, Tensor dtypes and shapes, other leaves by value) and
/// collects its Tensor leaves in order.
void flatten(const Value& v, std::string& key, std::vector<Tensor>& tensors) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Tensor>) {
          key += 'T';
          key += static_cast<char>('a' + static_cast<int>(x.dtype()));
          for (int64_t d : x.shape()) {
            key += std::to_string(d);
            key += ',';
          }
          key += ';';
          tensors.push_back(x);
        } else if constexpr (std::is_same_v<T, Value::List>) {
          key += '[';
          for (const Value& e : x) flatten(e, key, tensors);
          key += ']';
        } else if constexpr (std::is_same_v<T, Value::Dict>) {
          key += '{';
          for (const auto& [k, e] : x) {
            key += k;
            key += ':';
            flatten(e, key, tensors);
          }
          key += '}';
        } else if constexpr (std::is_same_v<T, Variable>) {
          key += "V" + std::to_string(x.id()) + ';';  // captured by reference: one trace per variable
        } else {
          key += 'P';
          key += v.repr();
          key += ';';
        }
      },
      v.storage());
}

std::mutex g_contexts_mu;
std::vector<std::string (*)()>& trace_contexts() {
  static std::vector<std::string (*)()> contexts;
  return contexts;
}

/// The ambient state a trace depends on: the device scope and soft placement (where ops are
/// placed, and whether a missing device raises), TF32 (matmul precision on GPUs) and what upper
/// layers registered (Keras's training flag).
void append_ambient_context(std::string& key) {
  if (auto scoped = current_scope_device()) key += "@" + scoped->str();
  key += config::get_soft_device_placement() ? "|s" : "|h";
  key += config::tensor_float_32_execution_enabled() ? "t" : "f";
  std::lock_guard lock(g_contexts_mu);
  for (auto* context : trace_contexts()) key += "|" + context();
}

/// `v` with its Tensor leaves replaced, in order, by `leaves`.
Value rebuild(const Value& v, const std::vector<Tensor>& leaves, std::size_t& next) {
  if (v.is_tensor()) return Value(leaves[next++]);
  if (v.is_list()) {
    Value::List out;
    for (const Value& e : v.list()) out.push_back(rebuild(e, leaves, next));
    return Value(std::move(out));
  }
  if (v.is_dict()) {
    Value::Dict out;
    for (const auto& [k, e] : v.dict()) out.emplace(k, rebuild(e, leaves, next));
    return Value(std::move(out));
  }
  return v;
}

bool contains_tensor(const Value& v) {
  if (v.is_tensor()) return true;
  if (v.is_list())
    for (const Value& e : v.list())
      if (contains_tensor(e)) return true;
  if (v.is_dict())
    for (const auto& [k, e] : v.dict())
      if (contains_tensor(e)) return true;
  return false;
}

std::string spec_text(DType dt, const Shape& s) {
  Shape shown = s;
  for (int d = 0; d < shown.rank(); ++d)
    if (shown[d] < 0) shown[d] = -1;
  return detail::str_cat(dtype_name(dt), " Tensor, shape=", shown.to_string());
}

// Python's pprint of a structure with its tensors replaced by markers <1>, <2>, ...
std::string marker_structure(const Value& v, int& next) {
  if (v.is_tensor()) return "<" + std::to_string(++next) + ">";
  if (v.is_list()) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.list().size(); ++i) s += (i ? ", " : "") + marker_structure(v.list()[i], next);
    return s + "]";
  }
  if (v.is_dict()) {
    std::string s = "{";
    bool first = true;
    for (const auto& [k, e] : v.dict()) {
      s += (first ? "'" : ", '") + k + "': " + marker_structure(e, next);
      first = false;
    }
    return s + "}";
  }
  return v.repr();
}
void collect_tensors(const Value& v, std::vector<Tensor>& out) {
  std::string unused;
  flatten(v, unused, out);
}
/// TF's pretty_print_spec.
std::string pretty_spec(const Value& v) {
  if (v.is_none()) return "NoneTensorSpec()";
  if (v.is_tensor()) return spec_text(v.tensor().dtype(), v.tensor().shape());
  if (!contains_tensor(v)) return v.repr();
  int next = 0;
  std::string s = marker_structure(v, next);
  std::vector<Tensor> leaves;
  collect_tensors(v, leaves);
  for (std::size_t i = 0; i < leaves.size(); ++i)
    s += "\n      <" + std::to_string(i + 1) + ">: " + spec_text(leaves[i].dtype(), leaves[i].shape());
  return s;
}

/// Python's str() of a non-Tensor argument ("abc" without quotes at the top level).
std::string str_of(const Value& v) {
  if (auto* s = std::get_if<std::string>(&v.storage())) return *s;
  return v.repr();
}

}  // namespace

void register_trace_context(std::string (*context)()) {
  std::lock_guard lock(g_contexts_mu);
  trace_contexts().push_back(context);
}

// ---- Concrete functions ----------------------------------------------------------------------
struct ConcreteFunctionImpl : CallableGraph {
  std::vector<std::string> arg_names;
  std::vector<Value> args;                 // the traced call's arguments; Tensor leaves are the placeholders
  std::vector<TensorSpec> specs;           // of the Tensor leaves, in order (-1: None)
  Value outputs;                           // the structure returned; Tensor leaves are graph tensors
  std::shared_ptr<const Graph> optimized;  // what the plan runs (graph after the passes)
  std::string context;                     // the ambient state it was traced in (append_ambient_context)
  struct BoundDim {
    std::size_t leaf;
    int dim;
    int64_t size;
    std::string arg;  // the placeholder's name
  };
  std::vector<BoundDim> bound_dims;  // unknown dimensions of the signature an op bound to a size
};

namespace {
std::atomic<int> g_function_uid{1};

ConcreteFunction make_concrete(const std::string& name, const std::vector<std::string>& arg_names,
                               const Function::Body& body, const std::vector<Value>& args,
                               const std::vector<TensorSpec>& specs, const std::vector<Tensor>& arg_values,
                               bool allow_variable_creation, bool* created_variables,
                               const GraphOptimizerOptions& optimizer) {
  auto impl = std::make_shared<ConcreteFunctionImpl>();
  impl->name = name;
  impl->arg_names = arg_names;
  impl->specs = specs;
  impl->graph = std::make_shared<Graph>("__inference_" + name + "_" + std::to_string(g_function_uid.fetch_add(1)));
  Tracer tracer(impl->graph, name, allow_variable_creation);
  tracer.set_argument_values(arg_values);
  // Placeholders: a top-level Tensor argument is named after its parameter, a nested one
  // after its parameter and position ("x_1"), as TF names them.
  std::vector<Tensor> placeholders;
  std::size_t leaf = 0;
  for (std::size_t a = 0; a < args.size(); ++a) {
    std::vector<Tensor> leaves;
    collect_tensors(args[a], leaves);
    for (std::size_t k = 0; k < leaves.size(); ++k, ++leaf) {
      std::string pname = args[a].is_tensor() ? arg_names[a] : arg_names[a] + "_" + std::to_string(k);
      placeholders.push_back(tracer.add_argument(pname, specs[leaf].shape, specs[leaf].dtype));
    }
  }
  std::size_t next = 0;
  for (const Value& a : args) impl->args.push_back(rebuild(a, placeholders, next));
  Value result = body(impl->args);
  std::vector<Tensor> outs;
  collect_tensors(result, outs);
  std::vector<Tensor> returned;
  for (const Tensor& t : outs) {
    Endpoint e = tracer.endpoint_of(t);
    Node id;
    id.op = "Identity";
    id.kind = NodeKind::kIdentity;
    id.inputs = {e};
    id.outputs = {impl->graph->spec(e)};
    id.device = impl->graph->node(e.node).device;
    impl->graph->outputs.push_back({impl->graph->add(std::move(id)), 0});
    returned.push_back(t);
  }
  tracer.uninstall();
  if (created_variables) *created_variables = tracer.created_variables();
  int capture = 0;
  for (int i = 0; i < impl->graph->num_nodes(); ++i) {
    Node& n = impl->graph->node(i);
    // An unknown dimension an op bound to a known size (Note [Unifying unknown dimensions]): the
    // signature takes it, so a call with another size is rejected before it runs.
    if (n.kind == NodeKind::kArg)
      for (int d = 0; d < n.outputs[0].shape.rank(); ++d)
        if (Shape& want = impl->specs[static_cast<std::size_t>(n.slot)].shape;
            want[d] < 0 && n.outputs[0].shape[d] >= 0) {
          want[d] = n.outputs[0].shape[d];
          impl->bound_dims.push_back({static_cast<std::size_t>(n.slot), d, want[d], n.name});
        }
    if (n.kind == NodeKind::kCapture) n.slot = impl->graph->num_args + capture++;
    if (n.kind == NodeKind::kVarHandle) impl->variables.push_back(n.variable);
    impl->has_side_effects |= n.stateful;
  }
  impl->captures = tracer.capture_values();
  next = 0;
  impl->outputs = rebuild(result, returned, next);
  impl->optimized = passes::optimize(*impl->graph, optimizer);
  impl->plan = std::make_unique<ExecutionPlan>(impl->optimized, impl->optimized->outputs, impl->graph->name());
  return ConcreteFunction(impl);
}
}  // namespace

const Graph& graph_replay::planned_graph(const CallableGraph& fn) {
  return *static_cast<const ConcreteFunctionImpl&>(fn).optimized;
}

Value ConcreteFunction::call_flat(const std::vector<Tensor>& tensors) const {
  TF_CHECK_TYPED(impl_ != nullptr, FailedPreconditionError, "", "use of an empty ConcreteFunction");
  const auto& specs = impl_->specs;
  TF_CHECK_ARG(tensors.size() == specs.size(), "", "ConcreteFunction ",
               pretty_printed_signature().substr(0, pretty_printed_signature().find('\n')), " takes ", specs.size(),
               " Tensor arguments but was called with ", tensors.size());
  // A None dimension the trace bound to a known size gets TF's shape error, not "traced for".
  for (const auto& b : impl_->bound_dims) {
    const Tensor& t = tensors[b.leaf];
    if (t.ndim() == specs[b.leaf].shape.rank() && t.dtype() == specs[b.leaf].dtype && t.shape()[b.dim] != b.size)
      TF_THROW(InvalidArgumentError, "", "Incompatible shapes: dimension ", b.dim, " of argument '", b.arg,
               "' is ", t.shape()[b.dim], " (shape ", t.shape().to_string(), ") but must be ", b.size,
               ": tf.function '", impl_->name, "' was traced with it unknown (None), and its ops require it to be ",
               b.size);
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    TensorSpec want(specs[i].shape, specs[i].dtype);
    for (int d = 0; d < want.shape.rank(); ++d)
      if (want.shape[d] < 0) want.shape[d] = -1;
    TF_CHECK_ARG(want.is_compatible_with(tensors[i]), "", "ConcreteFunction ", impl_->name, " was traced for ",
                 want.to_string(), " at argument ", i, ", but was called with a ", dtype_name(tensors[i].dtype()),
                 " Tensor of shape ", tensors[i].shape().to_string(),
                 "; call the tf::Function instead to trace a new concrete function");
  }
  std::vector<Tensor> results = call_graph(impl_, tensors);
  std::size_t next = 0;
  return rebuild(impl_->outputs, results, next);
}

const Graph& ConcreteFunction::graph() const { return *impl_->graph; }
const Graph& ConcreteFunction::optimized_graph() const { return *impl_->optimized; }
const Value& ConcreteFunction::output_structure() const { return impl_->outputs; }
std::shared_ptr<CallableGraph> ConcreteFunction::callable() const { return impl_; }

ConcreteFunction detail::trace_graph(const std::string& name, const Function::Body& body,
                                     const std::vector<Value>& args, const std::vector<TensorSpec>& specs) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < args.size(); ++i) names.push_back("args_" + std::to_string(i));
  return make_concrete(name, names, body, args, specs, {}, false, nullptr,
                       config::optimizer::get_experimental_options());
}

std::vector<ArgSpec> ConcreteFunction::structured_input_signature() const {
  std::vector<ArgSpec> out;
  std::size_t leaf = 0;
  for (std::size_t a = 0; a < impl_->args.size(); ++a) {
    const Value& v = impl_->args[a];
    if (v.is_tensor()) {
      TensorSpec s = impl_->specs[leaf++];
      for (int d = 0; d < s.shape.rank(); ++d)
        if (s.shape[d] < 0) s.shape[d] = -1;
      if (s.name.empty()) s.name = impl_->arg_names[a];  // a TensorSpec's own name wins, as in TF
      out.push_back({s, Value()});
    } else {
      std::vector<Tensor> leaves;
      collect_tensors(v, leaves);
      leaf += leaves.size();
      out.push_back({std::nullopt, v});
    }
  }
  return out;
}

std::string ConcreteFunction::structured_input_signature_string() const {
  // TF's (args, kwargs) pair; a one-element tuple prints with its trailing comma.
  std::string s = "((";
  auto sig = structured_input_signature();
  for (std::size_t i = 0; i < sig.size(); ++i)
    s += (i ? ", " : "") + (sig[i].spec ? sig[i].spec->to_string() : sig[i].value.repr());
  return s + (sig.size() == 1 ? ",)" : ")") + ", {})";
}

std::vector<TensorSpec> ConcreteFunction::structured_outputs() const {
  std::vector<Tensor> leaves;
  collect_tensors(impl_->outputs, leaves);
  std::vector<TensorSpec> out;
  for (const Tensor& t : leaves) {
    Shape s = t.shape();
    for (int d = 0; d < s.rank(); ++d)
      if (s[d] < 0) s[d] = -1;
    out.emplace_back(s, t.dtype());
  }
  return out;
}

std::string ConcreteFunction::structured_outputs_string() const {
  std::ostringstream os;
  std::function<void(const Value&)> print = [&](const Value& v) {
    if (v.is_tensor()) {
      const Tensor& t = v.tensor();
      Shape s = t.shape();
      for (int d = 0; d < s.rank(); ++d)
        if (s[d] < 0) s[d] = -1;
      std::ostringstream name;
      name << t;  // Tensor("Maximum:0", ...)
      std::string n = name.str();
      n = n.substr(8, n.find('"', 8) - 8);
      os << "<tf.Tensor '" << n << "' shape=" << s << " dtype=" << dtype_name(t.dtype()) << ">";
    } else if (v.is_list()) {
      os << "[";
      for (std::size_t i = 0; i < v.list().size(); ++i) {
        if (i) os << ", ";
        print(v.list()[i]);
      }
      os << "]";
    } else if (v.is_dict()) {
      os << "{";
      bool first = true;
      for (const auto& [k, e] : v.dict()) {
        os << (first ? "'" : ", '") << k << "': ";
        print(e);
        first = false;
      }
      os << "}";
    } else {
      os << v.repr();
    }
  };
  print(impl_->outputs);
  return os.str();
}

std::string ConcreteFunction::pretty_printed_signature() const {
  std::string header = impl_->name + "(";
  std::string details;
  for (std::size_t a = 0; a < impl_->args.size(); ++a) {
    const Value& v = impl_->args[a];
    header += (a ? ", " : "") + impl_->arg_names[a];
    if (contains_tensor(v))
      details += "\n    " + impl_->arg_names[a] + ": " + pretty_spec(v);
    else
      header += "=" + str_of(v);
  }
  header += ")";
  if (!details.empty()) header += "\n  Args:" + details;
  return header + "\n  Returns:\n    " + pretty_spec(impl_->outputs);
}

// ---- Function ------------------------------------------------------------------------------
struct FunctionState {
  Function::Body body;
  int arity = 0;
  FunctionOptions options;
  GraphOptimizerOptions optimizer;
  std::vector<std::string> arg_names;
  std::recursive_mutex mu;                                  // a callable may call its own Function while being traced
  std::vector<ConcreteFunction> concrete;                   // in trace order
  std::unordered_map<std::string, ConcreteFunction> cache;  // call signature -> concrete function
  int tracing_count = 0;
  bool traced = false;
};

Function::Function(Body body, int arity, FunctionOptions options) : state_(std::make_shared<FunctionState>()) {
  state_->body = std::move(body);
  state_->arity = arity;
  state_->arg_names = options.arg_names;
  for (int i = static_cast<int>(state_->arg_names.size()); i < arity; ++i)
    state_->arg_names.push_back("args_" + std::to_string(i));
  state_->optimizer = options.optimizer.value_or(config::optimizer::get_experimental_options());
  state_->options = std::move(options);
}

const std::string& Function::name() const { return state_->options.name; }
const std::optional<std::vector<TensorSpec>>& Function::input_signature() const {
  return state_->options.input_signature;
}
int Function::experimental_get_tracing_count() const {
  std::lock_guard lock(state_->mu);
  return state_->tracing_count;
}
std::vector<ConcreteFunction> Function::concrete_functions() const {
  std::lock_guard lock(state_->mu);
  return state_->concrete;
}

namespace {

/// Traces a concrete function for `args` with `specs` for its Tensor leaves. TF's rule for
/// variables: the first trace may create them; if it did, a second trace (which must not create
/// any) builds the graph that runs, so a function that creates a variable on every call fails.
ConcreteFunction trace(FunctionState& s, const std::vector<Value>& args, const std::vector<TensorSpec>& specs,
                       const std::vector<Tensor>& arg_values) {
  TF_CHECK_ARG(static_cast<int>(args.size()) == s.arity, "", s.options.name, "() takes ", s.arity,
               " positional arguments but ", args.size(), " were given");
  bool created = false;
  ConcreteFunction cf =
      make_concrete(s.options.name, s.arg_names, s.body, args, specs, arg_values, !s.traced, &created, s.optimizer);
  s.traced = true;
  if (created)
    cf = make_concrete(s.options.name, s.arg_names, s.body, args, specs, arg_values, false, nullptr, s.optimizer);
  append_ambient_context(static_cast<ConcreteFunctionImpl&>(*cf.impl()).context);
  ++s.tracing_count;
  s.concrete.push_back(cf);
  return cf;
}

std::vector<TensorSpec> exact_specs(const std::vector<Tensor>& tensors) {
  std::vector<TensorSpec> specs;
  for (const Tensor& t : tensors) specs.emplace_back(t.shape(), t.dtype());
  return specs;
}

/// The key of a call with shapes left out (dtypes, ranks, structure and other leaves kept).
std::string relaxed_key(const std::vector<Value>& args) {
  std::string key;
  std::vector<Tensor> unused;
  for (const Value& a : args) flatten(a, key, unused);
  std::string out;
  bool in_dims = false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (key[i] == 'T' && i + 1 < key.size()) {
      out += key[i];
      out += key[++i];
      in_dims = true;
      continue;
    }
    if (in_dims) {
      if (key[i] == ',') out += ',';
      if (key[i] == ';') {
        out += ';';
        in_dims = false;
      }
      continue;
    }
    out += key[i];
  }
  return out;
}

std::string incompatible_signature(const std::vector<Value>& args, const std::vector<TensorSpec>& sig) {
  std::string s = "Python inputs incompatible with input_signature:\n  inputs: (\n    ";
  for (std::size_t i = 0; i < args.size(); ++i) s += (i ? ",\n    " : "") + args[i].repr();
  s += ")\n  input_signature: (\n    ";
  for (std::size_t i = 0; i < sig.size(); ++i) s += (i ? ",\n    " : "") + sig[i].to_string();
  return s + ").";
}

}  // namespace

Value Function::call(const std::vector<Value>& args) const {
  FunctionState& s = *state_;
  if (config::functions_run_eagerly()) return s.body(args);
  std::string key, context;
  std::vector<Tensor> tensors;
  for (const Value& a : args) flatten(a, key, tensors);
  append_ambient_context(context);
  key += context;
  ConcreteFunction cf;
  {
    std::lock_guard lock(s.mu);
    auto it = s.cache.find(key);
    if (it != s.cache.end()) {
      cf = it->second;
    } else if (s.options.input_signature) {
      const auto& sig = *s.options.input_signature;
      bool ok = args.size() == sig.size();
      for (std::size_t i = 0; ok && i < args.size(); ++i)
        ok = args[i].is_tensor() && sig[i].is_compatible_with(args[i].tensor());
      TF_CHECK_ARG(ok, "", incompatible_signature(args, sig));
      for (const ConcreteFunction& c : s.concrete)
        if (c.impl()->context == context) {
          cf = c;
          break;
        }
      if (!cf.impl()) cf = trace(s, args, sig, tensors);
      s.cache.emplace(key, cf);
    } else {
      std::vector<TensorSpec> specs = exact_specs(tensors);
      // A concrete function whose None dimensions fit is reused (TF's lookup by subtype); with
      // reduce_retracing, a dimension that differs from an earlier trace's is generalized to None.
      const std::string relaxed = relaxed_key(args);
      ConcreteFunction similar;
      for (const ConcreteFunction& c : s.concrete) {
        if (c.impl()->context != context || relaxed_key(c.impl()->args) != relaxed) continue;
        bool fits = true;
        for (std::size_t i = 0; fits && i < tensors.size(); ++i) {
          TensorSpec want = c.impl()->specs[i];
          for (int d = 0; d < want.shape.rank(); ++d)
            if (want.shape[d] < 0) want.shape[d] = -1;
          fits = want.is_compatible_with(tensors[i]);
        }
        if (fits) {
          cf = c;
          break;
        }
        similar = c;
      }
      bool generalized = false;
      if (!cf.impl() && similar.impl() && s.options.reduce_retracing) {
        for (std::size_t i = 0; i < specs.size(); ++i)
          for (int d = 0; d < specs[i].shape.rank(); ++d)
            if (similar.impl()->specs[i].shape[d] != specs[i].shape[d]) specs[i].shape[d] = -1, generalized = true;
      }
      if (!cf.impl() && generalized) {
        // Some layers need a dimension's size while tracing where TF's ops take it at run time
        // (a recurrent layer unrolls its time steps): a generalized trace that fails is traced
        // again with the call's exact shapes, which raises the error again if it is the caller's.
        try {
          cf = trace(s, args, specs, tensors);
        } catch (const errors::OpError&) {
          cf = trace(s, args, exact_specs(tensors), tensors);
        }
      }
      if (!cf.impl()) cf = trace(s, args, specs, tensors);
      s.cache.emplace(key, cf);
    }
  }
  if (detail::FunctionCallObserver observer = function_call_observer.load(std::memory_order_acquire)) observer(cf);
  return cf.call_flat(tensors);
}

void detail::set_function_call_observer(FunctionCallObserver observer) noexcept {
  function_call_observer.store(observer, std::memory_order_release);
}

ConcreteFunction Function::get_concrete_function_for(std::vector<Value> values,
                                                     std::vector<std::optional<TensorSpec>> specs) const {
  FunctionState& s = *state_;
  std::lock_guard lock(s.mu);
  if (values.empty() && s.options.input_signature) {
    for (const TensorSpec& spec : *s.options.input_signature) {
      values.push_back(Value());
      specs.push_back(spec);
    }
  }
  // Spec'd arguments are traced with a placeholder each; the key uses the spec's dims (-1 kept).
  std::vector<TensorSpec> flat;
  std::string key;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (specs[i]) {
      flat.push_back(*specs[i]);
      key += "S" + specs[i]->to_string();
      values[i] = Value(Tensor::empty(Shape{}, specs[i]->dtype, kCPU0));  // a stand-in leaf; never read
    } else {
      std::vector<Tensor> leaves;
      flatten(values[i], key, leaves);
      for (const Tensor& t : leaves) flat.emplace_back(t.shape(), t.dtype());
    }
  }
  std::string context;
  append_ambient_context(context);
  for (const ConcreteFunction& c : s.concrete) {
    if (c.impl()->context != context) continue;
    if (c.impl()->specs.size() != flat.size() || c.impl()->args.size() != values.size()) continue;
    bool same = true;
    for (std::size_t i = 0; same && i < flat.size(); ++i) {
      Shape a = c.impl()->specs[i].shape;
      for (int d = 0; d < a.rank(); ++d)
        if (a[d] < 0) a[d] = -1;
      same = a == flat[i].shape && c.impl()->specs[i].dtype == flat[i].dtype;
    }
    for (std::size_t i = 0; same && i < values.size(); ++i)
      if (!specs[i] && !contains_tensor(values[i])) same = c.impl()->args[i].repr() == values[i].repr();
    if (same) return c;
  }
  return trace(s, values, flat, {});
}

std::string Function::pretty_printed_concrete_signatures() const {
  std::string out;
  for (const ConcreteFunction& c : concrete_functions())
    out += (out.empty() ? "" : "\n\n") + c.pretty_printed_signature();
  return out;
}

// ---- tf::print -----------------------------------------------------------------------------
void print(const std::vector<PrintArg>& args) {
  std::vector<PrintPiece> pieces;
  std::vector<Tensor> tensors;
  for (const PrintArg& a : args) {
    pieces.push_back({a.tensor.defined(), a.tensor.defined() ? std::string() : a.text});
    if (a.tensor.defined()) tensors.push_back(a.tensor);
  }
  Tracer* tracer = Tracer::current();
  if (tracer && current_op_interceptor() == tracer) {
    tracer->add_print(std::move(pieces), tensors);
    return;
  }
  std::cout << format_print(pieces, tensors) << std::endl;
}

}  // namespace tapeflow
