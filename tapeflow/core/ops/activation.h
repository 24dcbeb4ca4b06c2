// Activations of tf.nn (relu, relu6, elu, selu, softplus, softsign, leaky_relu, gelu, sigmoid,
// tanh, silu) and sigmoid_cross_entropy_with_logits. Floating dtypes (relu/relu6 also integers).
#pragma once
#include "tapeflow/core/ops/math.h"

namespace tapeflow::nn {
Tensor relu(const Tensor& x);
Tensor relu6(const Tensor& x);
Tensor elu(const Tensor& x);
Tensor selu(const Tensor& x);
/// log(1 + e^x), stable for large |x|.
Tensor softplus(const Tensor& x);
Tensor softsign(const Tensor& x);
Tensor leaky_relu(const Tensor& x, float alpha = 0.2f);
/// Exact erf form by default; approximate = true uses the tanh form.
Tensor gelu(const Tensor& x, bool approximate = false);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
/// x * sigmoid(x) (tf.nn.silu / tf.nn.swish).
Tensor silu(const Tensor& x);
inline Tensor swish(const Tensor& x) { return silu(x); }
/// max(x, 0) - x * z + log(1 + exp(-|x|)) elementwise; labels and logits of the same shape and dtype.
Tensor sigmoid_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits);
}  // namespace tapeflow::nn

namespace tapeflow::ops {
extern OpDef Relu, Relu6, Elu, Selu, Softplus, Softsign, LeakyRelu, Gelu, Silu;
struct LeakyReluAttrs : OpAttrsBase<LeakyReluAttrs> {
  float alpha = 0.2f;
};
struct GeluAttrs : OpAttrsBase<GeluAttrs> {
  bool approximate = false;
};
}  // namespace tapeflow::ops
