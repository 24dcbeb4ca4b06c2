// Unary elementwise ops and activations: dtype checks and dispatch; where and clip_by_value.
#include <algorithm>

#include "tapeflow/core/ops/activation.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/creation.h"

namespace tapeflow {
namespace ops {
OpDef Neg{.name = "Neg"}, Abs{.name = "Abs"}, Sign{.name = "Sign"}, Square{.name = "Square"}, Sqrt{.name = "Sqrt"},
    Rsqrt{.name = "Rsqrt"}, Exp{.name = "Exp"}, Expm1{.name = "Expm1"}, Log{.name = "Log"}, Log1p{.name = "Log1p"},
    Sin{.name = "Sin"}, Cos{.name = "Cos"}, Tan{.name = "Tan"}, Tanh{.name = "Tanh"}, Sigmoid{.name = "Sigmoid"},
    Floor{.name = "Floor"}, Ceil{.name = "Ceil"}, Round{.name = "Round"}, Reciprocal{.name = "Reciprocal"},
    Erf{.name = "Erf"}, IsNan{.name = "IsNan"}, IsInf{.name = "IsInf"}, IsFinite{.name = "IsFinite"},
    LogicalNot{.name = "LogicalNot"}, SelectV2{.name = "SelectV2"},
    Where{.name = "Where", .kernel_allocates_outputs = true};
OpDef Relu{.name = "Relu"}, Relu6{.name = "Relu6"}, Elu{.name = "Elu"}, Selu{.name = "Selu"},
    Softplus{.name = "Softplus"}, Softsign{.name = "Softsign"}, LeakyRelu{.name = "LeakyRelu"}, Gelu{.name = "Gelu"},
    Silu{.name = "Silu"};

void register_unary_ops() {
  for (OpDef* op : {&Neg, &Abs, &Sign, &Square, &Sqrt, &Rsqrt, &Exp, &Expm1, &Log, &Log1p, &Sin, &Cos, &Tan, &Tanh,
                    &Sigmoid, &Floor, &Ceil, &Round, &Reciprocal, &Erf, &IsNan, &IsInf, &IsFinite, &LogicalNot,
                    &SelectV2, &Where, &Relu, &Relu6, &Elu, &Selu, &Softplus, &Softsign, &LeakyRelu, &Gelu, &Silu})
    register_op(*op);
}
}  // namespace ops

namespace {
enum class Accepts { kFloating, kNumeric, kSigned, kBool };

Tensor unary(const OpDef& op, const Tensor& x, Accepts accepts, DType out, const OpAttrs* attrs = nullptr) {
  const DType dt = x.dtype();
  switch (accepts) {
    case Accepts::kFloating:
      TF_CHECK_ARG(is_floating(dt), op.name, op.name, " is not defined for dtype ", dtype_name(dt),
                   "; it needs a floating dtype (float16, bfloat16, float32, float64): use tf::cast");
      break;
    case Accepts::kNumeric:
      TF_CHECK_ARG(is_numeric(dt), op.name, op.name, " is not defined for dtype ", dtype_name(dt),
                   "; it needs a numeric dtype");
      break;
    case Accepts::kSigned:
      TF_CHECK_ARG(is_numeric(dt) && dt != DType::kUInt8, op.name, op.name, " is not defined for dtype ",
                   dtype_name(dt), "; it needs a signed numeric dtype");
      break;
    case Accepts::kBool:
      TF_CHECK_ARG(dt == DType::kBool, op.name, op.name, " needs a bool tensor, got ", dtype_name(dt));
      break;
  }
  return dispatch1(op, std::span<const Tensor>(&x, 1), attrs, {x.shape(), out});
}
Tensor same(const OpDef& op, const Tensor& x, Accepts a) { return unary(op, x, a, x.dtype()); }
}  // namespace

Tensor negative(const Tensor& x) { return same(ops::Neg, x, Accepts::kSigned); }
Tensor abs(const Tensor& x) { return same(ops::Abs, x, Accepts::kNumeric); }
Tensor sign(const Tensor& x) { return same(ops::Sign, x, Accepts::kNumeric); }
Tensor square(const Tensor& x) { return same(ops::Square, x, Accepts::kNumeric); }
Tensor sqrt(const Tensor& x) { return same(ops::Sqrt, x, Accepts::kFloating); }
Tensor rsqrt(const Tensor& x) { return same(ops::Rsqrt, x, Accepts::kFloating); }
Tensor exp(const Tensor& x) { return same(ops::Exp, x, Accepts::kFloating); }
Tensor expm1(const Tensor& x) { return same(ops::Expm1, x, Accepts::kFloating); }
Tensor log(const Tensor& x) { return same(ops::Log, x, Accepts::kFloating); }
Tensor log1p(const Tensor& x) { return same(ops::Log1p, x, Accepts::kFloating); }
Tensor sin(const Tensor& x) { return same(ops::Sin, x, Accepts::kFloating); }
Tensor cos(const Tensor& x) { return same(ops::Cos, x, Accepts::kFloating); }
Tensor tan(const Tensor& x) { return same(ops::Tan, x, Accepts::kFloating); }
Tensor tanh(const Tensor& x) { return same(ops::Tanh, x, Accepts::kFloating); }
Tensor sigmoid(const Tensor& x) { return same(ops::Sigmoid, x, Accepts::kFloating); }
Tensor floor(const Tensor& x) { return same(ops::Floor, x, Accepts::kFloating); }
Tensor ceil(const Tensor& x) { return same(ops::Ceil, x, Accepts::kFloating); }
Tensor round(const Tensor& x) {
  if (is_integer(x.dtype())) return identity(x);
  return same(ops::Round, x, Accepts::kFloating);
}
// TF has no integer Reciprocal kernel (1 / 0 would trap): floating inputs only.
Tensor reciprocal(const Tensor& x) { return same(ops::Reciprocal, x, Accepts::kFloating); }
Tensor erf(const Tensor& x) { return same(ops::Erf, x, Accepts::kFloating); }
Tensor is_nan(const Tensor& x) { return unary(ops::IsNan, x, Accepts::kFloating, DType::kBool); }
Tensor is_inf(const Tensor& x) { return unary(ops::IsInf, x, Accepts::kFloating, DType::kBool); }
Tensor is_finite(const Tensor& x) { return unary(ops::IsFinite, x, Accepts::kFloating, DType::kBool); }
Tensor logical_not(const Tensor& x) { return unary(ops::LogicalNot, x, Accepts::kBool, DType::kBool); }

Tensor where(const Tensor& condition, const Tensor& x, const Tensor& y) {
  TF_CHECK_ARG(condition.dtype() == DType::kBool, "SelectV2", "condition must be a bool tensor, got ",
               dtype_name(condition.dtype()));
  TF_CHECK_ARG(x.dtype() == y.dtype(), "SelectV2", "x and y must have the same dtype: ", dtype_name(x.dtype()),
               " vs. ", dtype_name(y.dtype()));
  Shape out = broadcast_shapes("SelectV2", broadcast_shapes("SelectV2", condition.shape(), x.shape()), y.shape());
  const Tensor in[3] = {condition, x, y};
  return dispatch1(ops::SelectV2, in, nullptr, {out, x.dtype()});
}

Tensor where(const Tensor& condition) {
  TF_CHECK_ARG(condition.dtype() == DType::kBool, "Where", "condition must be a bool tensor, got ",
               dtype_name(condition.dtype()), " (use tf::cast(x, tf::bool_))");
  return dispatch1(ops::Where, std::span<const Tensor>(&condition, 1), nullptr,
                   {Shape{-1, condition.ndim()}, DType::kInt64});
}

Tensor clip_by_value(const Tensor& t, const Tensor& lo, const Tensor& hi) {
  Shape out = broadcast_shapes("ClipByValue", t.shape(), broadcast_shapes("ClipByValue", lo.shape(), hi.shape()));
  TF_CHECK_ARG(out == t.shape(), "ClipByValue", "clip_value_min and clip_value_max must broadcast to the shape of t ",
               t.shape().to_string(), ", got ", lo.shape().to_string(), " and ", hi.shape().to_string());
  return minimum(maximum(t, lo), hi);
}
Tensor clip_by_value(const Tensor& t, Scalar lo, Scalar hi) {
  return clip_by_value(t, scalar_tensor(lo, t.dtype()), scalar_tensor(hi, t.dtype()));
}

namespace nn {
Tensor relu(const Tensor& x) { return same(ops::Relu, x, Accepts::kNumeric); }
Tensor relu6(const Tensor& x) { return same(ops::Relu6, x, Accepts::kNumeric); }
Tensor elu(const Tensor& x) { return same(ops::Elu, x, Accepts::kFloating); }
Tensor selu(const Tensor& x) { return same(ops::Selu, x, Accepts::kFloating); }
Tensor softplus(const Tensor& x) { return same(ops::Softplus, x, Accepts::kFloating); }
Tensor softsign(const Tensor& x) { return same(ops::Softsign, x, Accepts::kFloating); }
Tensor leaky_relu(const Tensor& x, float alpha) {
  ops::LeakyReluAttrs a;
  a.alpha = alpha;
  return unary(ops::LeakyRelu, x, Accepts::kFloating, x.dtype(), &a);
}
Tensor gelu(const Tensor& x, bool approximate) {
  ops::GeluAttrs a;
  a.approximate = approximate;
  return unary(ops::Gelu, x, Accepts::kFloating, x.dtype(), &a);
}
Tensor sigmoid(const Tensor& x) { return tapeflow::sigmoid(x); }
Tensor tanh(const Tensor& x) { return tapeflow::tanh(x); }
Tensor silu(const Tensor& x) { return same(ops::Silu, x, Accepts::kFloating); }

Tensor sigmoid_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits) {
  TF_CHECK_ARG(labels.shape() == logits.shape(), "SigmoidCrossEntropyWithLogits",
               "logits and labels must have the same shape ", logits.shape().to_string(), " vs ",
               labels.shape().to_string());
  TF_CHECK_ARG(labels.dtype() == logits.dtype(), "SigmoidCrossEntropyWithLogits",
               "logits and labels must have the same dtype: ", dtype_name(logits.dtype()), " vs ",
               dtype_name(labels.dtype()));
  TF_CHECK_ARG(is_floating(logits.dtype()), "SigmoidCrossEntropyWithLogits", "logits must be floating, got ",
               dtype_name(logits.dtype()));
  // TF's stable form: max(x, 0) - x * z + log(1 + exp(-|x|)).
  return relu(logits) - logits * labels + log1p(exp(negative(abs(logits))));
}
}  // namespace nn

}  // namespace tapeflow
