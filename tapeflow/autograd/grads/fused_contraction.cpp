// Gradient rules of _FusedMatMul and _FusedConv2D (mirrors kernels/cpu/fused_contraction): the
// epilogue's rules (Relu's, then BiasAdd's) and the contraction's own rule, each called from the
// registry, so a fused op differentiates exactly as the ops it replaces.
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/bias_add.h"
#include "tapeflow/core/ops/fused_contraction.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::autograd {
namespace {

/// The rule of `op` applied to (inputs, outputs) with `grad` flowing into its only output.
InputGrads apply_rule(const OpDef& op, std::span<const Tensor> inputs, std::span<const Tensor> outputs,
                      const OpAttrs* attrs, Tensor grad, uint64_t needed) {
  Tensor grads[1] = {std::move(grad)};
  GradContext inner{op, inputs, outputs, attrs, grads, ~uint64_t{0}, needed};
  return gradient_function(op)(inner);
}

InputGrads fused_contraction_grad(const GradContext& c, const OpDef& contraction, const OpAttrs& attrs, bool relu) {
  Tensor dz = c.grad();
  // Relu's rule reads its output only; y stands in for its input too (y > 0 exactly where z > 0).
  if (relu) dz = *apply_rule(ops::Relu, c.outputs, c.outputs, nullptr, dz, 1)[0];
  InputGrads g = apply_rule(contraction, c.inputs.first(2), c.outputs, &attrs, dz, c.needed & 3u);
  g.resize(3);
  if (c.needs_grad(2)) g[2] = ops::bias_add_grad(dz);
  return g;
}

InputGrads fused_matmul_grad(const GradContext& c) {
  const auto& a = c.attr<ops::FusedMatMulAttrs>();
  return fused_contraction_grad(c, ops::MatMul, a.matmul, a.relu);
}

InputGrads fused_conv2d_grad(const GradContext& c) {
  const auto& a = c.attr<ops::FusedConv2DAttrs>();
  return fused_contraction_grad(c, ops::Conv2D, a.conv, a.relu);
}

}  // namespace

void register_fused_contraction_gradients() {
  // Inputs for the contraction's rule, the output for Relu's mask.
  register_gradient(ops::FusedMatMul, fused_matmul_grad);
  register_gradient(ops::FusedConv2D, fused_conv2d_grad);
}

}  // namespace tapeflow::autograd
