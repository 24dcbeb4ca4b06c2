// Gradient rules of tf.nn's layer ops (mirrors kernels/cpu/{conv,pooling,batch_norm,bias_add}).
// Convolution's three ops are each other's gradients (TF's _Conv2DGrad,
// _Conv2DBackpropInputGrad, _Conv2DBackpropFilterGrad), so gradients of any order exist;
// pooling's gradient ops have their own gradients too, and FusedBatchNormGradV3's (TF's
// _FusedBatchNormGradGrad) gives second-order gradients through batch norm.
#include <array>

#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/autograd/tape.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/math.h"
#include "tapeflow/core/ops/nn_conv.h"
#include "tapeflow/core/ops/reduction.h"

namespace tapeflow::autograd {
namespace {
const ops::Conv2DAttrs& conv(const GradContext& c) { return c.attr<ops::Conv2DAttrs>(); }
const ops::PoolAttrs& pool(const GradContext& c) { return c.attr<ops::PoolAttrs>(); }

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

InputGrads max_pool_grad(const GradContext& c) {
  return {ops::max_pool_grad(c.input(0), c.output(0), c.grad(), pool(c))};
}
// MaxPoolGrad routes grad to fixed positions (the maxima): linear in grad, constant in the
// original input and output (TF's _MaxPoolGradGrad).
InputGrads max_pool_grad_grad(const GradContext& c) {
  const Tensor &x = c.input(0), &y = c.input(1);
  return {zeros_like(x), zeros_like(y), ops::max_pool_grad_grad(x, y, c.grad(), pool(c))};
}
// And MaxPoolGradGrad reads grad at the same positions: its transpose is MaxPoolGrad.
InputGrads max_pool_grad_grad_grad(const GradContext& c) {
  const Tensor &x = c.input(0), &y = c.input(1);
  return {zeros_like(x), zeros_like(y), ops::max_pool_grad(x, y, c.grad(), pool(c))};
}
InputGrads avg_pool_grad(const GradContext& c) {
  return {ops::avg_pool_grad(c.input(0).shape(), c.grad(), pool(c))};
}
// AvgPoolGrad is the transpose of the (linear) AvgPool.
InputGrads avg_pool_grad_grad(const GradContext& c) { return {ops::avg_pool(c.grad(), pool(c))}; }

InputGrads bias_add_grad(const GradContext& c) { return {c.grad(), ops::bias_add_grad(c.grad())}; }
// BiasAddGrad sums over rows; its transpose broadcasts back.
InputGrads bias_add_grad_grad(const GradContext& c) { return {broadcast_to(c.grad(), c.input(0).shape())}; }

// Outputs y, batch_mean, batch_variance, reserve_space_1..3; only y carries a gradient (TF's
// _FusedBatchNormV3Grad). The mean and variance inputs get none, as in TF.
InputGrads fused_batch_norm_grad(const GradContext& c) {
  const auto& attrs = c.attr<ops::FusedBatchNormAttrs>();
  TensorList g = ops::fused_batch_norm_grad(c.grad(0), c.input(0), c.input(1), c.output(3), c.output(4), c.output(5),
                                            attrs);
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
  auto g = tape.gradient(std::vector<Tensor>(grads.begin(), grads.end()), std::vector<Source>{dy, x, scale},
                         {.output_gradients = {c.grad(0), c.grad(1), c.grad(2)},
                          .unconnected_gradients = UnconnectedGradients::Zero});
  return {g[0], g[1], g[2], std::nullopt, std::nullopt, std::nullopt};
}
}  // namespace

void register_conv_gradients() {
  register_gradient(ops::Conv2D, conv2d_grad, kReadsInputs);
  register_gradient(ops::Conv2DBackpropInput, conv2d_backprop_input_grad);
  register_gradient(ops::Conv2DBackpropFilter, conv2d_backprop_filter_grad);
  register_gradient(ops::MaxPool, max_pool_grad);
  register_gradient(ops::MaxPoolGrad, max_pool_grad_grad);
  register_gradient(ops::MaxPoolGradGrad, max_pool_grad_grad_grad);
  register_gradient(ops::AvgPool, avg_pool_grad, kReadsNothing);
  register_gradient(ops::AvgPoolGrad, avg_pool_grad_grad);
  register_gradient(ops::BiasAdd, bias_add_grad, kReadsNothing);
  register_gradient(ops::BiasAddGrad, bias_add_grad_grad);
  register_gradient(ops::FusedBatchNormV3, fused_batch_norm_grad);
  register_gradient(ops::FusedBatchNormGradV3, fused_batch_norm_grad_grad);
}

}  // namespace tapeflow::autograd
