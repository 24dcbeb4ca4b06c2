// Gradient rules of the softmax family (mirrors kernels/cpu/softmax.cpp). Softmax and
// LogSoftmax reuse their forward output; the cross-entropies reuse the saved backprop output
// (softmax - labels) and, like TF, pass a gradient arriving at that output on to the logits so
// that gradients of gradients are right.
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/softmax.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::autograd {
namespace {
/// Whether `op` (_SoftmaxGrad or _LogSoftmaxGrad) runs here: a kernel on the device the op would
/// take, and no tf::function tracing (a traced graph keeps TF's own ops, so that it exports as
/// TF would write it). Elsewhere the rules compose public ops, with the same values.
bool fused_grad_runs(const OpDef& op, const Tensor& y, const Tensor& g) {
  if (current_op_interceptor() != nullptr) return false;
  const Tensor in[2] = {y, g};
  return op.kernels[static_cast<int>(choose_device(op, in).type())] != nullptr;
}
/// (g - sum(g * y, axis)) * y: the gradient of softmax, in one pass where _SoftmaxGrad runs.
Tensor softmax_backward(const Tensor& y, const Tensor& g, int axis) {
  if (fused_grad_runs(ops::SoftmaxGrad, y, g)) return ops::softmax_grad(y, g, axis);
  return (g - reduce_sum(g * y, axis, /*keepdims=*/true)) * y;
}

// y = softmax(x): dx = (dy - sum(dy * y)) * y.
InputGrads softmax_grad(const GradContext& c) {
  return {softmax_backward(c.output(0), c.grad(), c.attr<ops::SoftmaxAttrs>().axis)};
}
// y = log_softmax(x): dx = dy - exp(y) * sum(dy).
InputGrads log_softmax_grad(const GradContext& c) {
  const int axis = c.attr<ops::SoftmaxAttrs>().axis;
  const Tensor &y = c.output(0), &g = c.grad();
  if (fused_grad_runs(ops::LogSoftmaxGrad, y, g)) return {ops::log_softmax_grad(y, g, axis)};
  return {g - exp(y) * reduce_sum(g, axis, /*keepdims=*/true)};
}

// The fused gradients' own gradients (second order), for u reaching dx:
// dx = (g - s) * y, s = sum(g * y): d/dy = u * (g - s) - g * sum(u * y), d/dg = (u - sum(u * y)) * y.
InputGrads softmax_grad_grad(const GradContext& c) {
  const int axis = c.attr<ops::SoftmaxAttrs>().axis;
  const Tensor &y = c.input(0), &g = c.input(1), &u = c.grad();
  const Tensor s = reduce_sum(g * y, axis, /*keepdims=*/true), su = reduce_sum(u * y, axis, /*keepdims=*/true);
  return {u * (g - s) - g * su, softmax_backward(y, u, axis)};
}
// dx = g - exp(y) * sum(g): d/dy = -u * exp(y) * sum(g), d/dg = u - sum(u * exp(y)).
InputGrads log_softmax_grad_grad(const GradContext& c) {
  const int axis = c.attr<ops::SoftmaxAttrs>().axis;
  const Tensor &y = c.input(0), &g = c.input(1), &u = c.grad();
  const Tensor e = exp(y);
  return {negative(u * e * reduce_sum(g, axis, /*keepdims=*/true)), u - reduce_sum(u * e, axis, /*keepdims=*/true)};
}

/// d(loss)/d(logits) of a cross-entropy op: dloss * backprop, plus what reaches the backprop
/// output (softmax - labels): its derivative is the softmax Jacobian, (g - sum(g * p)) * p.
Tensor xent_logits_grad(const GradContext& c) {
  const Tensor& logits = c.input(0);
  Tensor grad = expand_dims(c.grad(0), -1) * c.output(1);
  // Only a gradient of a gradient reaches the backprop output; skip the term otherwise, as TF does.
  if (!c.has_grad(1)) return grad;
  const Tensor& grad_backprop = c.grad(1);
  Tensor p = nn::softmax(logits);
  return grad + (grad_backprop - reduce_sum(grad_backprop * p, -1, /*keepdims=*/true)) * p;
}
InputGrads xent_grad(const GradContext& c) {
  // d(loss)/d(labels) = -log_softmax(logits), as TF; and the backprop output (softmax - labels)
  // sends what reaches it back to the labels negated. TF's _SoftmaxCrossEntropyWithLogitsGrad
  // drops that term, so its second derivative of the loss with respect to the labels is zero
  // (wrong against central differences); the term makes ours exact.
  return {xent_logits_grad(c), expand_dims(c.grad(0), -1) * negative(nn::log_softmax(c.input(0))) - c.grad(1)};
}
InputGrads sparse_xent_grad(const GradContext& c) { return {xent_logits_grad(c), std::nullopt}; }
}  // namespace

// The rules read the logits (the softmax of a second-order term, the labels' gradient) and the
// backprop output, never the labels or the loss.
constexpr ReadsValues kLogitsAndBackprop{.inputs = 0b01, .outputs = 0b10};

void register_softmax_gradients() {
  register_gradient(ops::Softmax, softmax_grad, kReadsOutputs);
  register_gradient(ops::LogSoftmax, log_softmax_grad, kReadsOutputs);
  register_gradient(ops::SoftmaxGrad, softmax_grad_grad, kReadsInputs);
  register_gradient(ops::LogSoftmaxGrad, log_softmax_grad_grad, kReadsInputs);
  register_gradient(ops::SoftmaxCrossEntropyWithLogits, xent_grad, kLogitsAndBackprop);
  register_gradient(ops::SparseSoftmaxCrossEntropyWithLogits, sparse_xent_grad, kLogitsAndBackprop);
}

}  // namespace tapeflow::autograd
