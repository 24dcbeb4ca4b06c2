// tf.nn.max_pool2d and avg_pool2d over NHWC images (TF ops MaxPool, AvgPool) and their
// gradient ops (MaxPoolGrad, MaxPoolGradGrad, AvgPoolGrad). Kernels: kernels/{cpu,cuda}/pooling;
// gradients: autograd/grads/pooling.cpp.
#pragma once
#include <string>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/ops/window.h"

namespace tapeflow::nn {
/// tf.nn.max_pool2d: the maximum of each ksize window of input (N, H, W, C); SAME padding never
/// wins the maximum. `tf::nn::max_pool2d(x, 2, 2, "VALID")`.
Tensor max_pool2d(const Tensor& input, const WindowArg& ksize, const WindowArg& strides, const std::string& padding);
/// tf.nn.avg_pool2d: the mean of each window; with SAME padding only the elements inside the
/// input are averaged, as TF.
Tensor avg_pool2d(const Tensor& input, const WindowArg& ksize, const WindowArg& strides, const std::string& padding);

}  // namespace tapeflow::nn

namespace tapeflow::ops {
extern OpDef MaxPool, MaxPoolGrad, MaxPoolGradGrad, AvgPool, AvgPoolGrad;

/// The window of MaxPool, AvgPool and their gradients; `sizes` is AvgPoolGrad's output shape.
struct PoolAttrs : OpAttrsBase<PoolAttrs> {
  int64_t ksize[2] = {1, 1}, strides[2] = {1, 1};
  Padding padding = Padding::kValid;
  Shape sizes;
  std::string to_string() const override;
};
/// The window of a pooling of `input` (N, H, W, C).
Window2D pool_window(const Shape& input, const PoolAttrs& attrs);

// The ops themselves (one dispatch each), for the gradient rules.
Tensor max_pool(const Tensor& input, const PoolAttrs& attrs);
/// The gradient of MaxPool: `grad` (output-shaped) routed to the first maximum of each window.
Tensor max_pool_grad(const Tensor& orig_input, const Tensor& orig_output, const Tensor& grad, const PoolAttrs& attrs);
/// The gradient of MaxPoolGrad with respect to its grad: `grad` (input-shaped) read at the
/// first maximum of each window.
Tensor max_pool_grad_grad(const Tensor& orig_input, const Tensor& orig_output, const Tensor& grad,
                          const PoolAttrs& attrs);
Tensor avg_pool(const Tensor& input, const PoolAttrs& attrs);
Tensor avg_pool_grad(const Shape& orig_input_shape, const Tensor& grad, PoolAttrs attrs);

void register_pooling_ops();
}  // namespace tapeflow::ops
