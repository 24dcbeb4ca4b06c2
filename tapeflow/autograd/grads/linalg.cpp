// Gradient rules of MatMul / BatchMatMulV2 (mirrors kernels/cpu/linalg.cpp): each input's
// gradient is another matmul whose transpose flags follow the forward's (TF's _BatchMatMulV2Grad),
// summed back over broadcast batch dimensions.
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
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
  Tensor ga, gb;
  if (!attrs.transpose_a && !attrs.transpose_b) {
    ga = matmul(g, b, {.transpose_b = true});
    gb = matmul(a, g, {.transpose_a = true});
  } else if (!attrs.transpose_a) {
    ga = matmul(g, b);
    gb = matmul(g, a, {.transpose_a = true});
  } else if (!attrs.transpose_b) {
    ga = matmul(b, g, {.transpose_b = true});
    gb = matmul(a, g);
  } else {
    ga = matmul(b, g, {.transpose_a = true, .transpose_b = true});
    gb = matmul(g, a, {.transpose_a = true, .transpose_b = true});
  }
  return {unbroadcast(ga, a.shape()), unbroadcast(gb, b.shape())};
}
}  // namespace

void register_linalg_gradients() {
  register_gradient(ops::MatMul, matmul_grad);
  register_gradient(ops::BatchMatMulV2, matmul_grad);
}

}  // namespace tapeflow::autograd
