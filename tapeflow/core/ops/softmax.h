// tf.nn's softmax family: softmax, log_softmax and the softmax cross-entropies (TF ops Softmax,
// LogSoftmax, SoftmaxCrossEntropyWithLogits, SparseSoftmaxCrossEntropyWithLogits). Floating
// dtypes; every kernel subtracts the row maximum, so large logits do not overflow.
#pragma once
#include "tapeflow/core/dispatch.h"

namespace tapeflow::nn {
/// exp(logits) / reduce_sum(exp(logits), axis), computed stably. `tf::nn::softmax(x)` over the last axis.
Tensor softmax(const Tensor& logits, int axis = -1);
/// logits - log(reduce_sum(exp(logits), axis)), computed stably.
Tensor log_softmax(const Tensor& logits, int axis = -1);
/// -reduce_sum(labels * log_softmax(logits, axis), axis): labels (a distribution per row) and
/// logits have the same shape and dtype; the result drops `axis`. (B, C) -> (B,).
Tensor softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits, int axis = -1);
/// -log_softmax(logits)[labels] per row: labels int32/int64 of shape logits.shape[:-1] holding
/// class indices in [0, classes) (else InvalidArgumentError). (B,) and (B, C) -> (B,).
Tensor sparse_softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits);
}  // namespace tapeflow::nn

namespace tapeflow::ops {
/// Softmax and LogSoftmax take `axis`; the cross-entropies (two outputs: loss and its gradient
/// softmax - labels, as TF) work on the last axis.
extern OpDef Softmax, LogSoftmax, SoftmaxCrossEntropyWithLogits, SparseSoftmaxCrossEntropyWithLogits;
/// Internal ops (never made by users): the gradients of Softmax and LogSoftmax in one pass over
/// each row, which autograd's rules call where a kernel exists (autograd/grads/softmax.cpp).
extern OpDef SoftmaxGrad, LogSoftmaxGrad;
struct SoftmaxAttrs : OpAttrsBase<SoftmaxAttrs> {
  int axis = -1;  // normalized
  std::string to_string() const override { return "axis=" + std::to_string(axis); }
};
/// _SoftmaxGrad: (dy - reduce_sum(dy * y, axis, keepdims)) * y, for y = softmax(x, axis) and dy
/// the gradient reaching y (same shape and floating dtype). The gradient of softmax at x.
Tensor softmax_grad(const Tensor& y, const Tensor& dy, int axis);
/// _LogSoftmaxGrad: dy - exp(y) * reduce_sum(dy, axis, keepdims), for y = log_softmax(x, axis).
Tensor log_softmax_grad(const Tensor& y, const Tensor& dy, int axis);
void register_softmax_ops();
}  // namespace tapeflow::ops
