// Note [Tracing at the door]: while a Tracer is installed on a thread, the door hands it every
// op after its checks (the op's own shape/dtype checks are the shape inference) and device
// choice. Symbolic tensors have no storage; TensorImpl::symbolic names their node, and their
// trace, so that one used after its trace ended raises an error naming the Function.
#include "tapeflow/graph/tracer.h"

#include <utility>

#include "tapeflow/core/errors.h"
#include "tapeflow/graph/call_op.h"
#include "tapeflow/graph/control_flow.h"
#include "tapeflow/graph/executor.h"

namespace tapeflow {
namespace {

thread_local Tracer* t_tracer = nullptr;

std::string describe(const TensorImpl& t, const SymbolicValue& s) {
  return detail::str_cat("<tf.Tensor '", s.name, "' shape=", t.shape.to_string(), " dtype=", dtype_name(t.dtype), ">");
}

/// Ops whose every run must happen, in program order (TF's stateful ops).
bool is_stateful(const OpDef& op) {
  std::string_view name = op.name;
  return name.starts_with("Random") || name.starts_with("Truncated") || name == "Multinomial" ||
         name.starts_with("Resource") || name.starts_with("Assert");
}

}  // namespace

namespace detail {
/// Installed as core's symbolic-access hook by register_graph().
[[noreturn]] void throw_symbolic_tensor_use(const TensorImpl& t) {
  const auto* s = static_cast<const SymbolicValue*>(t.symbolic.get());
  if (s->trace->active.load())
    TF_THROW(FailedPreconditionError, "", describe(t, *s), " is a symbolic tensor of tf.function '",
             s->trace->function_name,
             "' while it is being traced: it has no value yet. Return it from the "
             "function to get its value, or use tf::print to print it when the function runs");
  TF_THROW(InvalidArgumentError, "", describe(t, *s),
           " is out of scope and cannot be used here: it was defined "
           "while tracing tf.function '",
           s->trace->function_name,
           "', whose trace has ended. Use return values to "
           "take tensors out of a Function");
}
}  // namespace detail

Tracer* Tracer::current() { return t_tracer; }

Tracer::Tracer(std::shared_ptr<Graph> graph, std::string function_name, bool allow_variable_creation)
    : graph_(std::move(graph)),
      state_(std::make_shared<TraceState>()),
      allow_variable_creation_(allow_variable_creation),
      first_id_(detail::next_tensor_id()) {
  state_->function_name = std::move(function_name);
  previous_ = set_op_interceptor(this);
  previous_unifier_ = set_dim_unifier(&dims_);
  saved_tape_depth_ = std::exchange(tape_hook_depth(), 0);
  installed_ = true;
  prev_tracer_ = std::exchange(t_tracer, this);
}

Tracer::~Tracer() { uninstall(); }

void Tracer::uninstall() {
  if (!installed_) return;
  installed_ = false;
  canonicalize_dims();
  set_op_interceptor(previous_);
  set_dim_unifier(previous_unifier_);
  tape_hook_depth() = saved_tape_depth_;
  t_tracer = prev_tracer_;
  state_->active.store(false);
}

int64_t Tracer::DimClasses::find(int64_t d) {
  auto it = parent.find(d);
  if (it == parent.end() || it->second == d) return d;
  const int64_t root = find(it->second);
  parent[d] = root;
  return root;
}

int64_t Tracer::DimClasses::unify(int64_t a, int64_t b) {
  a = find(a);
  b = find(b);
  if (a == b) return a;
  // Placeholders count down from -2: the larger one is the earlier, the class's representative.
  if (a < b) std::swap(a, b);
  auto sa = size.find(a), sb = size.find(b);
  if (sa != size.end() && sb != size.end() && sa->second != sb->second) return -1;
  if (sb != size.end()) {
    size[a] = sb->second;
    size.erase(b);
  }
  parent[b] = a;
  return a;
}

bool Tracer::DimClasses::bind(int64_t d, int64_t known) {
  auto [it, fresh] = size.emplace(find(d), known);
  return fresh || it->second == known;
}

void Tracer::canonicalize_dims() {
  if (dims_.parent.empty() && dims_.size.empty()) return;
  for (int i = 0; i < graph_->num_nodes(); ++i)
    for (OutputSpec& spec : graph_->node(i).outputs)
      for (int d = 0; d < spec.shape.rank(); ++d) {
        if (spec.shape[d] >= -1) continue;
        const int64_t rep = dims_.find(spec.shape[d]);
        auto known = dims_.size.find(rep);
        spec.shape[d] = known != dims_.size.end() ? known->second : rep;
      }
}

Tensor Tracer::make_symbolic(int node, int index) {
  const Node& n = graph_->node(node);
  const OutputSpec& spec = n.outputs[static_cast<std::size_t>(index)];
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = spec.shape;
  impl->strides = contiguous_strides(spec.shape);
  impl->dtype = spec.dtype;
  impl->device = n.device;
  impl->id = detail::next_tensor_id();
  auto sym = std::make_shared<SymbolicValue>();
  sym->trace = state_;
  sym->endpoint = {node, index};
  sym->name = n.name + ":" + std::to_string(index);
  impl->symbolic = std::move(sym);
  return Tensor(std::move(impl));
}

Tensor Tracer::add_argument(const std::string& name, const Shape& shape, DType dtype) {
  // Each unknown dimension gets its own negative placeholder (Note [Graph execution]).
  Shape traced = shape;
  for (int d = 0; d < traced.rank(); ++d)
    if (traced[d] < 0) traced[d] = -2 - next_unknown_dim_++;
  Node n;
  n.name = name;
  n.op = "Placeholder";
  n.kind = NodeKind::kArg;
  n.outputs = {OutputSpec{traced, dtype}};
  n.device = kCPU0;
  n.slot = graph_->num_args++;
  return make_symbolic(graph_->add(std::move(n)), 0);
}

Endpoint Tracer::endpoint_of(const Tensor& t) {
  const TensorImpl* impl = t.unsafe_impl();
  TF_CHECK_TYPED(impl != nullptr, FailedPreconditionError, "", "use of an undefined Tensor inside tf.function '",
                 state_->function_name, "'");
  if (impl->symbolic) {
    const auto* s = static_cast<const SymbolicValue*>(impl->symbolic.get());
    if (s->trace == state_) return s->endpoint;
    if (!s->trace->active.load()) detail::throw_symbolic_tensor_use(*impl);
    // A tensor of an enclosing trace (a Function traced inside another's trace): TF's FuncGraph
    // captures it; the outer graph passes it to the call.
  }
  auto it = eager_.find(impl);
  if (it != eager_.end()) return it->second;
  Node n;
  n.outputs = {OutputSpec{t.shape(), t.dtype()}};
  n.device = t.device();
  if (!impl->symbolic && impl->id >= first_id_) {
    // Made inside the trace (tf::constant): part of the graph, as TF's Const.
    n.op = "Const";
    n.kind = NodeKind::kConst;
    n.value = t;
  } else {
    // From outside: a captured input bound at call time, not a copy frozen into the graph.
    n.op = "Placeholder";
    n.name = "Capture";
    n.kind = NodeKind::kCapture;
    n.slot = -1;  // numbered when the trace ends (after the arguments)
    capture_values_.push_back(t);
    ++graph_->num_captures;
  }
  Endpoint e{graph_->add(std::move(n)), 0};
  eager_[impl] = e;
  kept_alive_.push_back(t);
  return e;
}

void Tracer::chain_side_effect(Node& n) {
  if (last_side_effect_ >= 0) n.control_inputs.push_back(last_side_effect_);
  n.stateful = true;
}

TensorList Tracer::intercept(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs,
                             std::span<const OutputSpec> specs, Device device) {
  TF_CHECK_TYPED(!(op.kernel_allocates_outputs && specs.empty() && &op != &ops::PartitionedCall && &op != &ops::If &&
                   &op != &ops::While),
                 UnimplementedError, op.name, "Op ", op.name,
                 " has a data-dependent output shape and cannot be traced into tf.function '", state_->function_name,
                 "' yet; call it outside the function");
  Node n;
  n.op = op.name;
  n.def = &op;
  n.kind = NodeKind::kOp;
  for (const Tensor& t : inputs) n.inputs.push_back(endpoint_of(t));
  if (attrs) n.attrs = std::shared_ptr<const OpAttrs>(attrs->clone());
  n.outputs.assign(specs.begin(), specs.end());
  // A dimension inference could not relate to the arguments' (Reshape's -1 of a None input)
  // gets a placeholder of its own too; the executor binds it from the kernel's output.
  if (op.kernel_allocates_outputs)
    for (OutputSpec& spec : n.outputs)
      for (int d = 0; d < spec.shape.rank(); ++d)
        if (spec.shape[d] == -1) spec.shape[d] = -2 - next_unknown_dim_++;
  n.device = device;
  n.device_requested = current_scope_device().has_value();
  // An op with no outputs exists for its side effect (the fused optimizer updates write their
  // variable inputs in place): it always runs, in program order.
  const bool stateful = is_stateful(op) || specs.empty() || (attrs && runs_stateful_graph(op, attrs));
  if (stateful) chain_side_effect(n);
  int id = graph_->add(std::move(n));
  if (stateful) last_side_effect_ = id;
  TensorList out;
  for (std::size_t i = 0; i < specs.size(); ++i) out.push_back(make_symbolic(id, static_cast<int>(i)));
  return out;
}

int Tracer::handle_of(const std::shared_ptr<VariableImpl>& var) {
  auto it = handles_.find(var.get());
  if (it != handles_.end()) return it->second;
  Node n;
  Variable v(var);
  std::string name = v.name();
  n.name = name.substr(0, name.rfind(':'));
  n.op = "Placeholder";
  n.kind = NodeKind::kVarHandle;
  n.variable = var;
  n.device = v.device();
  n.outputs = {OutputSpec{Shape{}, v.dtype()}};
  int id = graph_->add(std::move(n));
  handles_[var.get()] = id;
  return id;
}

Tensor Tracer::read_variable(const Variable& v) {
  int handle = handle_of(v.impl());
  VarState& state = vars_[v.impl().get()];
  Node n;
  n.op = "ReadVariableOp";
  n.kind = NodeKind::kRead;
  n.inputs = {Endpoint{handle, 0}};
  if (state.last_write >= 0) n.control_inputs.push_back(state.last_write);
  n.outputs = {OutputSpec{v.shape(), v.dtype()}};
  n.device = v.device();
  int id = graph_->add(std::move(n));
  state.reads_since_write.push_back(id);
  Tensor t = make_symbolic(id, 0);
  t.unsafe_impl()->variable = v.impl();  // a tape inside the Function sees a read of `v`
  return t;
}

void Tracer::write_variable(const Variable& v, const char* op, const Tensor& value) {
  int handle = handle_of(v.impl());
  VarState& state = vars_[v.impl().get()];
  Node n;
  n.op = op;
  n.kind = NodeKind::kAssign;
  n.inputs = {Endpoint{handle, 0}, endpoint_of(value)};
  // After the variable's earlier reads and writes and every earlier side effect.
  if (state.last_write >= 0) n.control_inputs.push_back(state.last_write);
  for (int r : state.reads_since_write) n.control_inputs.push_back(r);
  chain_side_effect(n);
  n.device = v.device();
  int id = graph_->add(std::move(n));
  state.last_write = id;
  state.reads_since_write.clear();
  last_side_effect_ = id;
}

void Tracer::add_print(std::vector<PrintPiece> pieces, const std::vector<Tensor>& tensors) {
  Node n;
  n.op = "PrintV2";
  n.kind = NodeKind::kPrint;
  for (const Tensor& t : tensors) n.inputs.push_back(endpoint_of(t));
  n.print = std::move(pieces);
  n.device = kCPU0;
  chain_side_effect(n);
  last_side_effect_ = graph_->add(std::move(n));
}

Tensor Tracer::lift_variable_initializer(const Tensor& initial_value) {
  // TF's rule: a Function may create variables on its first trace only (they are then created
  // once, eagerly); any later trace that creates one is an error.
  TF_CHECK_ARG(allow_variable_creation_, "VarHandleOp",
               "tf.function only supports singleton tf.Variables created on the first call. Make sure the "
               "tf.Variable is only created once or created outside tf.function. See "
               "https://www.tensorflow.org/guide/function#creating_tfvariables for more information.");
  created_variables_ = true;
  if (!initial_value.is_symbolic()) return initial_value;
  // The initializer was traced: evaluate the part of the graph it needs, now.
  Endpoint e = endpoint_of(initial_value);
  auto snapshot = std::make_shared<Graph>(*graph_);
  std::vector<Tensor> inputs = argument_values_;
  const bool needs_args = [&] {
    ExecutionPlan probe(snapshot, {e}, state_->function_name, false);
    for (int i = 0; i < snapshot->num_nodes(); ++i)
      if (probe.runs(i) && snapshot->node(i).kind == NodeKind::kArg) return true;
    return false;
  }();
  TF_CHECK_ARG(!needs_args || static_cast<int>(inputs.size()) == graph_->num_args, "VarHandleOp",
               "the initial value of a tf.Variable created inside tf.function '", state_->function_name,
               "' depends on the function's arguments, which have no values in get_concrete_function");
  inputs.resize(static_cast<std::size_t>(graph_->num_args));
  int capture = 0;
  for (int i = 0; i < snapshot->num_nodes(); ++i)
    if (snapshot->node(i).kind == NodeKind::kCapture) snapshot->node(i).slot = graph_->num_args + capture++;
  inputs.insert(inputs.end(), capture_values_.begin(), capture_values_.end());
  ExecutionPlan plan(snapshot, {e}, state_->function_name, false);
  return plan.run(inputs)[0];
}

}  // namespace tapeflow
