// tf::custom_gradient's recording: the CustomGradient op (inputs: the function's inputs, reads of
// the variables it used, and its computed outputs; outputs: views of the latter) carries the
// user's gradient function in its attributes; its gradient rule calls it.
#include "tapeflow/autograd/custom_gradient.h"

#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/tape.h"

namespace tapeflow::autograd {
namespace {
OpDef CustomGradient{.name = "CustomGradient",
                     .placement = Placement::kFirstInput,
                     .kernel_allocates_outputs = true,
                     .inputs_any_device = true};

struct CustomGradientAttrs : OpAttrsBase<CustomGradientAttrs> {
  std::shared_ptr<const detail::CustomGradFn> grad_fn;
  std::vector<Variable> variables;
  std::size_t num_inputs = 0;
};

// The outputs are views of the already computed results (the last inputs).
void custom_gradient_kernel(KernelContext& ctx) {
  const std::size_t first = ctx.inputs.size() - ctx.specs.size();
  for (std::size_t i = first; i < ctx.inputs.size(); ++i) {
    const Tensor& r = ctx.inputs[i];
    ctx.outputs.push_back(
        tapeflow::detail::make_view(r.storage(), r.shape(), r.strides(), r.offset(), r.dtype(), r.device()));
  }
}

InputGrads custom_gradient_grad(const GradContext& c) {
  const auto& a = c.attr<CustomGradientAttrs>();
  std::vector<Tensor> upstream;
  for (std::size_t i = 0; i < c.outputs.size(); ++i) upstream.push_back(c.grad(i));
  auto [input_grads, variable_grads] = (*a.grad_fn)(upstream, a.variables);
  TF_CHECK_ARG(input_grads.size() == a.num_inputs, "CustomGradient",
               "the gradient function of a custom_gradient "
               "returned ",
               input_grads.size(), " gradients for ", a.num_inputs, " inputs");
  TF_CHECK_ARG(variable_grads.size() == a.variables.size(), "CustomGradient",
               "the gradient function of a "
               "custom_gradient returned ",
               variable_grads.size(), " variable gradients for ", a.variables.size(), " variables");
  InputGrads out(input_grads.begin(), input_grads.end());
  out.append(variable_grads.begin(), variable_grads.end());
  out.resize(c.inputs.size());  // the computed results get no gradient
  return out;
}
}  // namespace

void register_custom_gradient() {
  register_op(CustomGradient);
  for (DeviceType d : {DeviceType::kCPU, DeviceType::kGPU}) register_kernel(CustomGradient, d, custom_gradient_kernel);
  register_gradient(CustomGradient, custom_gradient_grad);
}

namespace detail {
std::vector<Tensor> call_with_custom_gradient(const std::vector<Tensor>& inputs,
                                              const std::function<CustomForward(const std::vector<Tensor>&)>& forward) {
  if (tape_hook_depth() == 0) return forward(inputs).outputs;  // no tape records: nothing to attach
  CustomForward result;
  std::vector<Variable> variables;
  {
    PauseAllTapes pause;
    GradientTape watcher({.persistent = true});  // only to learn which trainable variables f reads
    result = forward(inputs);
    watcher.stop();
    // As TF: the variables grad_fn answers for are those read that are not themselves inputs.
    for (const Variable& v : watcher.watched_variables()) {
      bool is_input = false;
      for (const Tensor& x : inputs) is_input |= x.unsafe_impl()->variable == v.impl();
      if (!is_input) variables.push_back(v);
    }
  }
  TF_CHECK_ARG(variables.empty() || result.grad_fn_takes_variables, "CustomGradient",
               "If using tf::custom_gradient with a function that uses variables, then grad_fn must accept a "
               "`const std::vector<tf::Variable>& variables` argument (TF's keyword argument 'variables')");
  CustomGradientAttrs attrs;
  attrs.grad_fn = std::make_shared<const CustomGradFn>(std::move(result.grad_fn));
  attrs.variables = variables;
  attrs.num_inputs = inputs.size();
  std::vector<Tensor> op_inputs = inputs;
  for (const Variable& v : variables) op_inputs.push_back(v.read_value());
  std::vector<OutputSpec> specs;
  for (const Tensor& r : result.outputs) {
    op_inputs.push_back(r);
    specs.push_back({r.shape(), r.dtype()});
  }
  TensorList outs = dispatch(CustomGradient, op_inputs, &attrs, specs);
  return std::vector<Tensor>(outs.begin(), outs.end());
}
}  // namespace detail

}  // namespace tapeflow::autograd
