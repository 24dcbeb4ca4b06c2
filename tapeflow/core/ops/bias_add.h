// tf.nn.bias_add (TF op BiasAdd) and its gradient op BiasAddGrad. Kernels:
// kernels/{cpu,cuda}/bias_add; gradients: autograd/grads/bias_add.cpp.
#pragma once
#include "tapeflow/core/dispatch.h"

namespace tapeflow::nn {
/// tf.nn.bias_add: value (..., C) + bias (C,). `tf::nn::bias_add(tf::matmul(x, w), b)`.
Tensor bias_add(const Tensor& value, const Tensor& bias);

}  // namespace tapeflow::nn

namespace tapeflow::ops {
extern OpDef BiasAdd, BiasAddGrad;
/// The sum of out_backprop (..., C) over all but the last axis.
Tensor bias_add_grad(const Tensor& out_backprop);
void register_bias_add_ops();
}  // namespace tapeflow::ops
