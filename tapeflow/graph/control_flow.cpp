#include "tapeflow/graph/control_flow.h"

#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/graph/call_op.h"
#include "tapeflow/graph/tracer.h"

namespace tapeflow {
namespace ops {
OpDef If{.name = "If", .placement = Placement::kHostOnly, .kernel_allocates_outputs = true, .inputs_any_device = true};
OpDef While{
    .name = "While", .placement = Placement::kHostOnly, .kernel_allocates_outputs = true, .inputs_any_device = true};

/// Inputs: the loop variables, then cond's captures, then body's captures.
struct WhileAttrs : OpAttrsBase<WhileAttrs> {
  std::shared_ptr<CallableGraph> cond, body;
  int num_vars = 0, num_cond_captures = 0, num_body_captures = 0;
  std::string to_string() const override { return "cond=" + cond->graph->name() + ", body=" + body->graph->name(); }
};

/// The branches of an If node. Inputs: pred, then each branch's captures and variable values.
struct IfAttrs : OpAttrsBase<IfAttrs> {
  std::shared_ptr<CallableGraph> branch[2];  // then, else
  int num_captures[2] = {0, 0};
  int num_variables[2] = {0, 0};
  std::string to_string() const override {
    return "then_branch=" + branch[0]->graph->name() + ", else_branch=" + branch[1]->graph->name();
  }
  int first_input(int b) const { return 1 + (b == 0 ? 0 : num_captures[0] + num_variables[0]); }
};
}  // namespace ops

namespace {

void check_pred(const Tensor& pred) {
  TF_CHECK_ARG(pred.dtype() == DType::kBool && pred.ndim() == 0, "If",
               "tf.cond: pred must be a scalar bool tensor, got a ", dtype_name(pred.dtype()), " tensor of shape ",
               pred.shape().to_string());
}

void if_kernel(KernelContext& ctx) {
  const auto& a = ctx.attr<ops::IfAttrs>();
  const int b = ctx.input(0).item<bool>() ? 0 : 1;
  auto first = ctx.inputs.begin() + a.first_input(b);
  std::vector<Tensor> caps(first, first + a.num_captures[b]);
  for (Tensor& t : a.branch[b]->plan->run(caps)) ctx.outputs.push_back(std::move(t));
}

void while_kernel(KernelContext& ctx) {
  const auto& a = ctx.attr<ops::WhileAttrs>();
  std::vector<Tensor> vars(ctx.inputs.begin(), ctx.inputs.begin() + a.num_vars);
  auto cond_caps =
      ctx.inputs.subspan(static_cast<std::size_t>(a.num_vars), static_cast<std::size_t>(a.num_cond_captures));
  auto body_caps = ctx.inputs.subspan(static_cast<std::size_t>(a.num_vars + a.num_cond_captures));
  for (;;) {
    std::vector<Tensor> in = vars;
    in.insert(in.end(), cond_caps.begin(), cond_caps.end());
    if (!a.cond->plan->run(in)[0].item<bool>()) break;
    in.resize(vars.size());
    in.insert(in.end(), body_caps.begin(), body_caps.end());
    vars = a.body->plan->run(in);
  }
  for (Tensor& t : vars) ctx.outputs.push_back(std::move(t));
}

std::vector<Tensor> flat_tensors(const Value& v) {
  std::vector<Tensor> out;
  if (v.is_tensor()) out.push_back(v.tensor());
  if (v.is_list())
    for (const Value& e : v.list()) {
      auto t = flat_tensors(e);
      out.insert(out.end(), t.begin(), t.end());
    }
  if (v.is_dict())
    for (const auto& [k, e] : v.dict()) {
      auto t = flat_tensors(e);
      out.insert(out.end(), t.begin(), t.end());
    }
  return out;
}

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

// d(If)/d(inputs) = If(pred, then's backward, else's backward), each branch giving zeros for
// the other branch's inputs.
autograd::InputGrads if_grad(const autograd::GradContext& c) {
  const auto& a = c.attr<ops::IfAttrs>();
  Value::List dys;
  for (std::size_t i = 0; i < c.outputs.size(); ++i) dys.push_back(Value(c.grad(i)));
  const std::size_t n = c.inputs.size();
  auto branch_grads = [&](int b) -> Value {
    Function bwd = backward_of(a.branch[b], a.num_captures[b]);
    auto first = c.inputs.begin() + a.first_input(b);
    Value::List ins(first, first + a.num_captures[b] + a.num_variables[b]);
    Value g = bwd(Value(std::move(ins)), Value(dys));
    Value::List all;
    for (std::size_t i = 0; i < n; ++i) {
      const Tensor& x = c.inputs[i];
      const std::size_t k = i - static_cast<std::size_t>(a.first_input(b));
      const bool mine = i >= static_cast<std::size_t>(a.first_input(b)) && k < g.list().size();
      if (i == 0 || !is_floating(x.dtype())) continue;
      all.push_back(mine && !g.list()[k].is_none() ? g.list()[k] : Value(zeros_like(x)));
    }
    return Value(std::move(all));
  };
  Value r = cond(
      c.input(0), [&] { return branch_grads(0); }, [&] { return branch_grads(1); });
  autograd::InputGrads out;
  out.push_back(std::nullopt);  // pred
  std::size_t k = 0;
  for (std::size_t i = 1; i < n; ++i)
    out.push_back(is_floating(c.inputs[i].dtype()) ? std::optional<Tensor>(r.list()[k++].tensor()) : std::nullopt);
  return out;
}

}  // namespace

Value cond(const Tensor& pred, const std::function<Value()>& true_fn, const std::function<Value()>& false_fn) {
  check_pred(pred);
  Tracer* tracer = Tracer::current();
  if (!(tracer && current_op_interceptor() == tracer)) return pred.item<bool>() ? true_fn() : false_fn();
  // Traced: both branches become graphs; their captures (tensors of this trace) are If's inputs.
  Function::Body bodies[2] = {[&](const std::vector<Value>&) { return true_fn(); },
                              [&](const std::vector<Value>&) { return false_fn(); }};
  ConcreteFunction cf[2];
  for (int b = 0; b < 2; ++b) cf[b] = detail::trace_graph(b == 0 ? "cond_true" : "cond_false", bodies[b], {}, {});
  std::vector<Tensor> outs[2] = {flat_tensors(cf[0].output_structure()), flat_tensors(cf[1].output_structure())};
  TF_CHECK_ARG(outs[0].size() == outs[1].size(), "If",
               "true_fn and false_fn arguments to tf.cond must have the same number, type, and overall structure of "
               "return values. true_fn returns ",
               outs[0].size(), " tensors, false_fn returns ", outs[1].size());
  std::vector<OutputSpec> specs;
  for (std::size_t i = 0; i < outs[0].size(); ++i) {
    const Tensor &t = outs[0][i], &f = outs[1][i];
    TF_CHECK_ARG(t.dtype() == f.dtype() && t.ndim() == f.ndim(), "If",
                 "true_fn and false_fn arguments to tf.cond must have the same number, type, and overall structure "
                 "of return values. Output ",
                 i, ": ", dtype_name(t.dtype()), " ", t.shape().to_string(), " vs. ", dtype_name(f.dtype()), " ",
                 f.shape().to_string());
    Shape s = t.shape();
    for (int d = 0; d < s.rank(); ++d)
      if (s[d] != f.shape()[d] || s[d] < 0) s[d] = -1;
    specs.push_back({s, t.dtype()});
  }
  ops::IfAttrs attrs;
  std::vector<Tensor> inputs{pred};
  for (int b = 0; b < 2; ++b) {
    attrs.branch[b] = cf[b].callable();
    const auto& fn = *attrs.branch[b];
    inputs.insert(inputs.end(), fn.captures.begin(), fn.captures.end());
    for (const auto& v : fn.variables) inputs.push_back(Variable(v).read_value());
    attrs.num_captures[b] = static_cast<int>(fn.captures.size());
    attrs.num_variables[b] = static_cast<int>(fn.variables.size());
  }
  TensorList r = dispatch(ops::If, inputs, &attrs, specs);
  std::size_t next = 0;
  return rebuild(cf[0].output_structure(), std::vector<Tensor>(r.begin(), r.end()), next);
}

std::vector<Tensor> while_loop(const std::function<Tensor(const std::vector<Tensor>&)>& cond_fn,
                               const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& body_fn,
                               const std::vector<Tensor>& loop_vars) {
  Tracer* tracer = Tracer::current();
  if (!(tracer && current_op_interceptor() == tracer)) {
    std::vector<Tensor> vars = loop_vars;
    for (;;) {
      Tensor c = cond_fn(vars);
      check_pred(c);
      if (!c.item<bool>()) return vars;
      vars = body_fn(vars);
      TF_CHECK_ARG(vars.size() == loop_vars.size(), "While", "body must return ", loop_vars.size(),
                   " loop variables, got ", vars.size());
    }
  }
  std::vector<TensorSpec> specs;
  for (const Tensor& t : loop_vars) specs.emplace_back(t.shape(), t.dtype());
  std::vector<Value> args{Value(Value::List(loop_vars.begin(), loop_vars.end()))};
  ConcreteFunction c = detail::trace_graph(
      "while_cond",
      [&](const std::vector<Value>& v) {
        Tensor r = cond_fn(v[0]);
        check_pred(r);
        return Value(r);
      },
      args, specs);
  ConcreteFunction b = detail::trace_graph(
      "while_body",
      [&](const std::vector<Value>& v) {
        std::vector<Tensor> out = body_fn(v[0]);
        TF_CHECK_ARG(out.size() == loop_vars.size(), "While", "body must return ", loop_vars.size(),
                     " loop variables, got ", out.size());
        for (std::size_t i = 0; i < out.size(); ++i) {
          // The placeholders hold -2, -3, ... for unknown dimensions; compare what TF would.
          TF_CHECK_ARG(out[i].dtype() == loop_vars[i].dtype() && out[i].shape().rank() == loop_vars[i].ndim(), "While",
                       "Input tensor 'args_0_", i, ":0' enters the loop with shape ", loop_vars[i].shape().to_string(),
                       ", but has shape ", out[i].shape().to_string(),
                       " after one iteration. To allow the shape to "
                       "vary across iterations, use the `shape_invariants` argument of tf.while_loop to specify a "
                       "less-specific shape.");
          for (int d = 0; d < out[i].ndim(); ++d)
            TF_CHECK_ARG(out[i].shape()[d] == loop_vars[i].shape()[d] || loop_vars[i].shape()[d] < 0, "While",
                         "Input tensor 'args_0_", i, ":0' enters the loop with shape ",
                         loop_vars[i].shape().to_string(), ", but has shape ", out[i].shape().to_string(),
                         " after one iteration. To allow the shape to "
                         "vary across iterations, use the `shape_invariants` argument of tf.while_loop to specify a "
                         "less-specific shape.");
        }
        return Value(Value::List(out.begin(), out.end()));
      },
      args, specs);
  ops::WhileAttrs attrs;
  attrs.cond = c.callable();
  attrs.body = b.callable();
  attrs.num_vars = static_cast<int>(loop_vars.size());
  attrs.num_cond_captures = static_cast<int>(attrs.cond->captures.size());
  attrs.num_body_captures = static_cast<int>(attrs.body->captures.size());
  std::vector<Tensor> inputs = loop_vars;
  inputs.insert(inputs.end(), attrs.cond->captures.begin(), attrs.cond->captures.end());
  inputs.insert(inputs.end(), attrs.body->captures.begin(), attrs.body->captures.end());
  std::vector<OutputSpec> out_specs;
  for (const Tensor& t : loop_vars) out_specs.push_back({t.shape(), t.dtype()});
  TensorList r = dispatch(ops::While, inputs, &attrs, out_specs);
  return std::vector<Tensor>(r.begin(), r.end());
}

bool runs_stateful_graph(const OpDef& op, const OpAttrs* attrs) {
  if (&op == &ops::PartitionedCall) return static_cast<const ops::CallAttrs*>(attrs)->fn->has_side_effects;
  if (&op == &ops::If) {
    const auto* a = static_cast<const ops::IfAttrs*>(attrs);
    return a->branch[0]->has_side_effects || a->branch[1]->has_side_effects;
  }
  if (&op == &ops::While) {
    const auto* a = static_cast<const ops::WhileAttrs*>(attrs);
    return a->cond->has_side_effects || a->body->has_side_effects;
  }
  return false;
}

namespace graph {
void register_control_flow() {
  register_op(ops::While);
  for (int d = 0; d < kNumDeviceTypes; ++d) register_kernel(ops::While, static_cast<DeviceType>(d), while_kernel);
  // While has no gradient rule yet: a tape that reaches one raises LookupError naming it.
  register_op(ops::If);
  for (int d = 0; d < kNumDeviceTypes; ++d) register_kernel(ops::If, static_cast<DeviceType>(d), if_kernel);
  autograd::register_gradient(ops::If, if_grad);
}
}  // namespace graph

}  // namespace tapeflow
