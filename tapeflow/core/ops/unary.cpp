// Unary elementwise ops and activations: the rows of unary_table.h (op definitions, dtype
// checks, dispatch), round, leaky_relu, gelu, where and clip_by_value.
#include "tapeflow/core/ops/unary.h"

#include <algorithm>

#include "tapeflow/core/dim_unify.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/creation.h"

namespace tapeflow {
namespace ops {
#define TAPEFLOW_DEFINE_OP(Op, fn, Functor, Accepts, Output) OpDef Op{.name = #Op};
TAPEFLOW_UNARY_OPS(TAPEFLOW_DEFINE_OP)
#undef TAPEFLOW_DEFINE_OP
OpDef LeakyRelu{.name = "LeakyRelu"}, Gelu{.name = "Gelu"}, SelectV2{.name = "SelectV2"},
    Where{.name = "Where", .kernel_allocates_outputs = true};

void register_unary_ops() {
#define TAPEFLOW_REGISTER_OP(Op, fn, Functor, Accepts, Output) register_op(Op);
  TAPEFLOW_UNARY_OPS(TAPEFLOW_REGISTER_OP)
#undef TAPEFLOW_REGISTER_OP
  for (OpDef* op : {&LeakyRelu, &Gelu, &SelectV2, &Where}) register_op(*op);
}
}  // namespace ops

namespace {
using ops::UnaryAccepts;

Tensor unary(const OpDef& op, const Tensor& x, UnaryAccepts accepts, DType out, const OpAttrs* attrs = nullptr) {
  const DType dt = x.dtype();
  switch (accepts) {
    case UnaryAccepts::Floating:
      TF_CHECK_ARG(is_floating(dt), op.name, op.name, " is not defined for dtype ", dtype_name(dt),
                   "; it needs a floating dtype (float16, bfloat16, float32, float64): use tf::cast");
      break;
    case UnaryAccepts::Numeric:
      TF_CHECK_ARG(is_numeric(dt), op.name, op.name, " is not defined for dtype ", dtype_name(dt),
                   "; it needs a numeric dtype");
      break;
    case UnaryAccepts::Signed:
      TF_CHECK_ARG(is_numeric(dt) && dt != DType::kUInt8, op.name, op.name, " is not defined for dtype ",
                   dtype_name(dt), "; it needs a signed numeric dtype");
      break;
    case UnaryAccepts::Bool:
      TF_CHECK_ARG(dt == DType::kBool, op.name, op.name, " needs a bool tensor, got ", dtype_name(dt));
      break;
  }
  return dispatch1(op, std::span<const Tensor>(&x, 1), attrs, {x.shape(), out});
}
/// A table row's public function: its dtype check and its output dtype.
Tensor row(const OpDef& op, const Tensor& x, UnaryAccepts accepts, ops::UnaryOutput output) {
  return unary(op, x, accepts, output == ops::UnaryOutput::Bool ? DType::kBool : x.dtype());
}
}  // namespace

#define TAPEFLOW_DEFINE_FUNCTION(Op, fn, Functor, Accepts, Output) \
  Tensor fn(const Tensor& x) { return row(ops::Op, x, UnaryAccepts::Accepts, ops::UnaryOutput::Output); }
TAPEFLOW_UNARY_MATH_OPS(TAPEFLOW_DEFINE_FUNCTION)

Tensor round(const Tensor& x) {
  if (is_integer(x.dtype())) return identity(x);
  return unary(ops::Round, x, UnaryAccepts::Floating, x.dtype());
}

Tensor where(const Tensor& condition, const Tensor& x, const Tensor& y) {
  TF_CHECK_ARG(condition.dtype() == DType::kBool, "SelectV2", "condition must be a bool tensor, got ",
               dtype_name(condition.dtype()));
  TF_CHECK_ARG(x.dtype() == y.dtype(), "SelectV2", "x and y must have the same dtype: ", dtype_name(x.dtype()), " vs. ",
               dtype_name(y.dtype()));
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
TAPEFLOW_UNARY_ACTIVATION_OPS(TAPEFLOW_DEFINE_FUNCTION)
#undef TAPEFLOW_DEFINE_FUNCTION

Tensor leaky_relu(const Tensor& x, float alpha) {
  ops::LeakyReluAttrs a;
  a.alpha = alpha;
  return unary(ops::LeakyRelu, x, UnaryAccepts::Floating, x.dtype(), &a);
}
Tensor gelu(const Tensor& x, bool approximate) {
  ops::GeluAttrs a;
  a.approximate = approximate;
  return unary(ops::Gelu, x, UnaryAccepts::Floating, x.dtype(), &a);
}
Tensor sigmoid(const Tensor& x) { return tapeflow::sigmoid(x); }
Tensor tanh(const Tensor& x) { return tapeflow::tanh(x); }

Tensor sigmoid_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits) {
  TF_CHECK_ARG(shapes_match(labels.shape(), logits.shape()), "SigmoidCrossEntropyWithLogits",
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
