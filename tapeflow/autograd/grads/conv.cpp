// Gradient rules of the convolution ops (mirrors kernels/{cpu,cuda}/conv). Convolution's three
// ops are each other's gradients (TF's _Conv2DGrad, _Conv2DBackpropInputGrad,
// _Conv2DBackpropFilterGrad), so gradients of any order exist.
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/conv.h"

namespace tapeflow::autograd {
namespace {
const ops::Conv2DAttrs& conv(const GradContext& c) { return c.attr<ops::Conv2DAttrs>(); }

// y = conv2d(x, f): dx = backprop_input(g, f), df = backprop_filter(x, g).
// Only the gradients the tape uses: a first layer's input gradient is a whole transposed convolution.
InputGrads conv2d_grad(const GradContext& c) {
  const Tensor &x = c.input(0), &f = c.input(1), &g = c.grad();
  InputGrads out(2);
  if (c.needs_grad(0)) out[0] = ops::conv2d_backprop_input(x.shape(), f, g, conv(c));
  if (c.needs_grad(1)) out[1] = ops::conv2d_backprop_filter(x, f.shape(), g, conv(c));
  return out;
}
// dx = backprop_input(f, dy) is linear in f and in dy: d f = backprop_filter(g, dy), d dy = conv2d(g, f).
InputGrads conv2d_backprop_input_grad(const GradContext& c) {
  const Tensor &f = c.input(0), &dy = c.input(1), &g = c.grad();
  return {ops::conv2d_backprop_filter(g, f.shape(), dy, conv(c)), ops::conv2d(g, f, conv(c))};
}
// df = backprop_filter(x, dy): d x = backprop_input(g, dy), d dy = conv2d(x, g).
InputGrads conv2d_backprop_filter_grad(const GradContext& c) {
  const Tensor &x = c.input(0), &dy = c.input(1), &g = c.grad();
  return {ops::conv2d_backprop_input(x.shape(), g, dy, conv(c)), ops::conv2d(x, g, conv(c))};
}
}  // namespace

void register_conv_gradients() {
  register_gradient(ops::Conv2D, conv2d_grad, kReadsInputs);
  register_gradient(ops::Conv2DBackpropInput, conv2d_backprop_input_grad);
  register_gradient(ops::Conv2DBackpropFilter, conv2d_backprop_filter_grad);
}

}  // namespace tapeflow::autograd
