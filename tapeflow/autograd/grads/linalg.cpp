// Gradient rules of MatMul / BatchMatMulV2 (mirrors kernels/cpu/linalg.cpp): each input's
// gradient is another matmul whose transpose flags follow the forward's (TF's _BatchMatMulV2Grad),
// summed back over broadcast batch dimensions.
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/linalg.h"

namespace tapeflow::autograd {
namespace {
// For C = op_a(A) op_b(B) and dC = G:
//   (a,   b  ): dA = G B^T,       dB = A^T G
//   (a,   b^T): dA = G B,         dB = G^T A
//   (a^T, b  ): dA = B G^T,       dB = A G
//   (a^T, b^T): dA = B^T G^T,     dB = G^T A^T
InputGrads matmul_grad(const GradContext& c) {
  const auto& attrs = c.attr<ops::MatMulAttrs>();
  const Tensor &a = c.input(0), &b = c.input(1), &g = c.grad();
  if (!is_floating(a.dtype())) return {std::nullopt, std::nullopt};
  // Only the gradients the tape uses: a first layer's input gradient is its largest matmul.
  const bool want_a = c.needs_grad(0), want_b = c.needs_grad(1);
  std::optional<Tensor> ga, gb;
  if (!attrs.transpose_a && !attrs.transpose_b) {
    if (want_a) ga = matmul(g, b, {.transpose_b = true});
    if (want_b) gb = matmul(a, g, {.transpose_a = true});
  } else if (!attrs.transpose_a) {
    if (want_a) ga = matmul(g, b);
    if (want_b) gb = matmul(g, a, {.transpose_a = true});
  } else if (!attrs.transpose_b) {
    if (want_a) ga = matmul(b, g, {.transpose_b = true});
    if (want_b) gb = matmul(a, g);
  } else {
    if (want_a) ga = matmul(b, g, {.transpose_a = true, .transpose_b = true});
    if (want_b) gb = matmul(g, a, {.transpose_a = true, .transpose_b = true});
  }
  if (ga) ga = unbroadcast(*ga, a.shape());
  if (gb) gb = unbroadcast(*gb, b.shape());
  return {ga, gb};
}

// Forward mode: d(op_a(A) op_b(B)) = op_a(dA) op_b(B) + op_a(A) op_b(dB), same flags.
OutputTangents matmul_jvp(const JvpContext& c) {
  const auto& attrs = c.attr<ops::MatMulAttrs>();
  std::optional<Tensor> t;
  if (c.has_tangent(0)) t = matmul(c.tangent(0), c.input(1), attrs.transpose_a, attrs.transpose_b);
  if (c.has_tangent(1)) {
    Tensor tb = matmul(c.input(0), c.tangent(1), attrs.transpose_a, attrs.transpose_b);
    t = t ? *t + tb : tb;
  }
  return {t};
}
}  // namespace

void register_linalg_gradients() {
  register_gradient(ops::MatMul, matmul_grad, kReadsInputs);
  register_gradient(ops::BatchMatMulV2, matmul_grad, kReadsInputs);
  register_jvp(ops::MatMul, matmul_jvp);
  register_jvp(ops::BatchMatMulV2, matmul_jvp);
}

}  // namespace tapeflow::autograd
