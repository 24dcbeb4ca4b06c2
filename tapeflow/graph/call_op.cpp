#include "tapeflow/graph/call_op.h"

#include <optional>
#include <unordered_map>

#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/tape.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/graph/control_flow.h"
#include "tapeflow/graph/function.h"
#include "tapeflow/graph/graph_replay.h"
#include "tapeflow/graph/tracer.h"

namespace tapeflow {
namespace ops {
OpDef PartitionedCall{.name = "PartitionedCall",
                      .placement = Placement::kHostOnly,
                      .kernel_allocates_outputs = true,
                      .inputs_any_device = true};
}

namespace {

// The call number the next call_graph on this thread runs as (the backward of call k replays
// call k's random streams, Note [Random ops in graphs]); unset: a fresh call.
thread_local std::optional<uint64_t> t_next_call;

uint64_t take_call_number(const CallableGraph& fn) {
  if (t_next_call) return *std::exchange(t_next_call, std::nullopt);
  return fn.plan->reserve_call();
}

void call_kernel(KernelContext& ctx) {
  const auto& a = ctx.attr<ops::CallAttrs>();
  std::vector<Tensor> results =
      a.fn->plan->run(ctx.inputs.first(static_cast<std::size_t>(a.num_args + a.num_captures)), a.call);
  for (Tensor& t : results) ctx.outputs.push_back(std::move(t));
}

/// The backward of `fn`: a Function of (the call's inputs, the outputs' gradients) that replays
/// the forward graph under a tape, with the variables' reads replaced by the values the call
/// saw, and returns the inputs' gradients. Traced once per signature; a tape around its call
/// records it as another call op, which gives higher-order gradients.
}  // namespace

Function backward_of(const std::shared_ptr<CallableGraph>& fn, int num_plain) {
  std::lock_guard lock(fn->backward_mu);
  if (fn->backward) return *fn->backward;
  std::weak_ptr<CallableGraph> weak = fn;
  Function::Body body = [weak, num_plain](const std::vector<Value>& v) -> Value {
    auto f = weak.lock();
    TF_CHECK_TYPED(f != nullptr, FailedPreconditionError, "PartitionedCall", "the forward function is gone");
    std::vector<Tensor> ins = v[0], dys = v[1];
    GradientTape tape;
    for (const Tensor& t : ins)
      if (is_floating(t.dtype())) tape.watch(t);
    std::unordered_map<const VariableImpl*, Tensor> var_values;
    for (std::size_t j = 0; j + static_cast<std::size_t>(num_plain) < ins.size() && j < f->variables.size(); ++j)
      var_values[f->variables[j].get()] = ins[static_cast<std::size_t>(num_plain) + j];
    std::vector<Tensor> outs =
        interpret_graph(*f->graph, std::span<const Tensor>(ins.data(), static_cast<std::size_t>(num_plain)), var_values,
                        /*side_effects=*/false);
    std::vector<Tensor> targets, grads;
    for (std::size_t i = 0; i < outs.size(); ++i) {
      if (!is_floating(outs[i].dtype())) continue;
      targets.push_back(outs[i]);
      grads.push_back(dys[i]);
    }
    std::vector<Source> sources;
    std::vector<std::size_t> where;
    for (std::size_t i = 0; i < ins.size(); ++i)
      if (is_floating(ins[i].dtype())) {
        sources.emplace_back(ins[i]);
        where.push_back(i);
      }
    Value::List result(ins.size());
    if (targets.empty() || sources.empty()) return Value(std::move(result));
    auto g = tape.gradient(targets, sources, {.output_gradients = grads});
    for (std::size_t k = 0; k < g.size(); ++k)
      if (g[k]) result[where[k]] = Value(*g[k]);
    return Value(std::move(result));
  };
  fn->backward = std::make_shared<Function>(std::move(body), 2, FunctionOptions{.name = "__backward_" + fn->name});
  return *fn->backward;
}

namespace {

autograd::InputGrads call_grad(const autograd::GradContext& c) {
  const auto& a = c.attr<ops::CallAttrs>();
  Function bwd = backward_of(a.fn, a.num_args + a.num_captures);
  Value::List ins(c.inputs.begin(), c.inputs.end());
  Value::List dys;
  for (std::size_t i = 0; i < c.outputs.size(); ++i) dys.push_back(Value(c.grad(i)));
  t_next_call = a.call;  // the backward graph's random ops replay this call's streams
  Value r = bwd(Value(std::move(ins)), Value(std::move(dys)));
  t_next_call.reset();
  autograd::InputGrads out;
  for (const Value& g : r.list()) out.push_back(g.is_none() ? std::nullopt : std::optional<Tensor>(g.tensor()));
  return out;
}

std::string symbolic_name(const TensorImpl& t) { return static_cast<const SymbolicValue*>(t.symbolic.get())->name; }

}  // namespace

std::vector<Tensor> call_graph(const std::shared_ptr<CallableGraph>& fn, const std::vector<Tensor>& args) {
  std::vector<Tensor> inputs = args;
  inputs.insert(inputs.end(), fn->captures.begin(), fn->captures.end());
  const bool taped = tape_hook_depth() > 0;
  if (!taped && current_op_interceptor() == nullptr) {
    const uint64_t call = take_call_number(*fn);
    if (auto replayed = graph_replay::try_run(fn, inputs, call)) return std::move(*replayed);  // GPU:0 only
    return fn->plan->run(inputs, call);
  }
  ops::CallAttrs attrs;
  attrs.fn = fn;
  attrs.num_args = static_cast<int>(args.size());
  attrs.num_captures = static_cast<int>(fn->captures.size());
  attrs.call = take_call_number(*fn);
  if (taped) {
    // The values of the variables it reads are inputs of the call, so a tape sees reads of them.
    for (const auto& v : fn->variables) inputs.push_back(Variable(v).read_value());
    attrs.num_variables = static_cast<int>(fn->variables.size());
  }
  // Output shapes: unknown dimensions of the arguments resolved from this call's arguments.
  std::unordered_map<int64_t, int64_t> dims;
  for (const Node& n : fn->graph->nodes()) {
    if (n.kind != NodeKind::kArg) continue;
    const Shape& want = n.outputs[0].shape;
    const Shape& have = args[static_cast<std::size_t>(n.slot)].shape();
    for (int d = 0; d < want.rank() && d < have.rank(); ++d)
      if (want[d] < -1) dims[want[d]] = have[d];
  }
  std::vector<OutputSpec> specs;
  for (Endpoint e : fn->graph->outputs) {
    OutputSpec s = fn->graph->spec(e);
    for (int d = 0; d < s.shape.rank(); ++d) {
      if (s.shape[d] >= 0) continue;
      auto it = dims.find(s.shape[d]);
      s.shape[d] = it != dims.end() ? it->second : -1;
    }
    specs.push_back(std::move(s));
  }
  TensorList out = dispatch(ops::PartitionedCall, inputs, &attrs, specs);
  return std::vector<Tensor>(out.begin(), out.end());
}

namespace graph {
void register_graph() {
  register_op(ops::PartitionedCall);
  for (int d = 0; d < kNumDeviceTypes; ++d)
    register_kernel(ops::PartitionedCall, static_cast<DeviceType>(d), call_kernel);
  autograd::register_gradient(ops::PartitionedCall, call_grad);
  register_control_flow();
  detail::set_symbolic_access_hook(detail::throw_symbolic_tensor_use);
  detail::set_symbolic_name_hook(symbolic_name);
}
}  // namespace graph

}  // namespace tapeflow
