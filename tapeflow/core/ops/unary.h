// Unary elementwise ops: tf.math's unary functions, tf.nn's activations, where and
// clip_by_value. The plain ones are rows of unary_table.h, which also states the dtypes each
// accepts. Kernels: kernels/{cpu,cuda}/unary; gradients: autograd/grads/unary.cpp.
#pragma once
#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/unary_table.h"
#include "tapeflow/core/scalar.h"
#include "tapeflow/core/tensor.h"

namespace tapeflow {

// ---- unary math (TF ops Neg, Abs, Sign, Square, Sqrt, Rsqrt, Exp, Expm1, Log, Log1p, Sin, Cos,
//      Tan, Tanh, Sigmoid, Floor, Ceil, Round, Reciprocal, Erf, Erfc, IsNan, IsInf, IsFinite, LogicalNot) --
// Transcendental functions need a floating dtype; abs/negative/sign/square/reciprocal take any
// numeric dtype; round of an integer tensor is the identity, as TF.
Tensor negative(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor square(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tan(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
/// Rounds half to even (banker's rounding), as tf.math.round.
Tensor round(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor erf(const Tensor& x);
/// 1 - erf(x), accurate where erf(x) is close to 1 (tf.math.erfc).
Tensor erfc(const Tensor& x);
Tensor is_nan(const Tensor& x);
Tensor is_inf(const Tensor& x);
Tensor is_finite(const Tensor& x);
Tensor logical_not(const Tensor& x);
inline Tensor operator-(const Tensor& x) { return negative(x); }
inline Tensor operator!(const Tensor& x) { return logical_not(x); }

/// tf.where(cond, x, y): elements of x where cond is true, else of y (3-way broadcasting).
Tensor where(const Tensor& condition, const Tensor& x, const Tensor& y);
/// tf.where(cond): int64 coordinates (num_true, rank) of the true elements, in row-major order.
Tensor where(const Tensor& condition);
/// minimum(maximum(t, lo), hi) with broadcasting; bounds may be tensors or numbers.
Tensor clip_by_value(const Tensor& t, const Tensor& clip_value_min, const Tensor& clip_value_max);
Tensor clip_by_value(const Tensor& t, Scalar clip_value_min, Scalar clip_value_max);

}  // namespace tapeflow

// ---- activations (tf.nn): floating dtypes; relu and relu6 also take integers --------------
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
#define TAPEFLOW_DECLARE_OP(Op, fn, Functor, Accepts, Output) extern OpDef Op;
TAPEFLOW_UNARY_OPS(TAPEFLOW_DECLARE_OP)
#undef TAPEFLOW_DECLARE_OP
extern OpDef LeakyRelu, Gelu, SelectV2, Where;
struct LeakyReluAttrs : OpAttrsBase<LeakyReluAttrs> {
  float alpha = 0.2f;
};
struct GeluAttrs : OpAttrsBase<GeluAttrs> {
  bool approximate = false;
};
void register_unary_ops();
}  // namespace tapeflow::ops
