// Gradient rules of FusedBatchNormV3 and FusedBatchNormGradV3 (mirrors
// kernels/{cpu,cuda}/batch_norm). FusedBatchNormGradV3's rule (TF's _FusedBatchNormGradGrad)
// gives second-order gradients through batch norm.
#include <array>

#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/autograd/tape.h"
#include "tapeflow/core/ops/batch_norm.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::autograd {
namespace {
// Outputs y, batch_mean, batch_variance, reserve_space_1..3; only y carries a gradient (TF's
// _FusedBatchNormV3Grad). The mean and variance inputs get none, as in TF.
InputGrads fused_batch_norm_grad(const GradContext& c) {
  const auto& attrs = c.attr<ops::FusedBatchNormAttrs>();
  TensorList g =
      ops::fused_batch_norm_grad(c.grad(0), c.input(0), c.input(1), c.output(3), c.output(4), c.output(5), attrs);
  return {g[0], g[1], g[2], std::nullopt, std::nullopt};
}

/// FusedBatchNormGradV3's three outputs written with public ops (TF's _BatchNormGrad, channels
/// last): x_backprop, scale_backprop, offset_backprop. Training recomputes the batch statistics
/// from x, so they are differentiated with it; inference uses the saved (constant) ones.
std::array<Tensor, 3> batch_norm_grad_in_ops(Tensor dy, Tensor x, const Tensor& scale, const Tensor& pop_mean,
                                             const Tensor& pop_var, const ops::FusedBatchNormAttrs& attrs) {
  const DType x_dtype = x.dtype();
  if (x_dtype == DType::kFloat16 || x_dtype == DType::kBFloat16) {  // too imprecise: float32 math, as TF
    x = cast(x, DType::kFloat32);
    dy = cast(dy, DType::kFloat32);
  }
  std::vector<int> axes;  // every axis but the channels
  for (int i = 0; i + 1 < x.ndim(); ++i) axes.push_back(i);
  const Tensor offset_grad = reduce_sum(dy, axes);
  if (!attrs.is_training) {
    const Tensor inv_std = rsqrt(pop_var + attrs.epsilon);
    return {cast(dy * scale * inv_std, x_dtype), reduce_sum(dy * (x - pop_mean) * inv_std, axes), offset_grad};
  }
  const Tensor mean_x = reduce_mean(x, axes);
  const Tensor var_x = reduce_mean(square(x - stop_gradient(mean_x)), axes);
  const Tensor x_offset = x - mean_x;
  const Tensor inv_std = rsqrt(var_x + attrs.epsilon);
  const Tensor mean_dy_x = reduce_mean(dy * x_offset, axes);
  const Tensor x_grad =
      scale * inv_std * (dy - reduce_mean(dy, axes) - reciprocal(var_x + attrs.epsilon) * mean_dy_x * x_offset);
  return {cast(x_grad, x_dtype), inv_std * reduce_sum(dy * x_offset, axes), offset_grad};
}

// The gradient of FusedBatchNormGradV3 with respect to y_backprop, x and scale: differentiate
// the op's composition above with an inner tape (TF's _FusedBatchNormGradGrad does the same).
// The saved statistics get none, as in TF: in training they are recomputed from x.
InputGrads fused_batch_norm_grad_grad(const GradContext& c) {
  const Tensor &dy = c.input(0), &x = c.input(1), &scale = c.input(2);
  GradientTape tape;
  tape.watch(std::vector<Tensor>{dy, x, scale});
  std::array<Tensor, 3> grads =
      batch_norm_grad_in_ops(dy, x, scale, c.input(3), c.input(4), c.attr<ops::FusedBatchNormAttrs>());
  tape.stop();
  auto g = tape.gradient(
      std::vector<Tensor>(grads.begin(), grads.end()), std::vector<Source>{dy, x, scale},
      {.output_gradients = {c.grad(0), c.grad(1), c.grad(2)}, .unconnected_gradients = UnconnectedGradients::Zero});
  return {g[0], g[1], g[2], std::nullopt, std::nullopt, std::nullopt};
}
}  // namespace

void register_batch_norm_gradients() {
  register_gradient(ops::FusedBatchNormV3, fused_batch_norm_grad);
  register_gradient(ops::FusedBatchNormGradV3, fused_batch_norm_grad_grad);
}

}  // namespace tapeflow::autograd
