// tf.nn's softmax family: argument checks with TF's messages and output specs. The
// cross-entropies move a non-last class axis to the end with a transpose view, as TF does.
#include "tapeflow/core/ops/softmax.h"

#include <numeric>
#include <vector>

#include "tapeflow/core/dim_unify.h"
#include "tapeflow/core/ops/array_ops.h"

namespace tapeflow {
namespace ops {
OpDef Softmax{.name = "Softmax"}, LogSoftmax{.name = "LogSoftmax"},
    SoftmaxCrossEntropyWithLogits{.name = "SoftmaxCrossEntropyWithLogits"},
    SparseSoftmaxCrossEntropyWithLogits{.name = "SparseSoftmaxCrossEntropyWithLogits"},
    SoftmaxGrad{.name = "_SoftmaxGrad"}, LogSoftmaxGrad{.name = "_LogSoftmaxGrad"};

void register_softmax_ops() {
  for (OpDef* op : {&Softmax, &LogSoftmax, &SoftmaxCrossEntropyWithLogits, &SparseSoftmaxCrossEntropyWithLogits,
                    &SoftmaxGrad, &LogSoftmaxGrad})
    register_op(*op);
}
}  // namespace ops

namespace {
void check_floating(const char* op, const char* what, DType dt) {
  TF_CHECK_ARG(is_floating(dt), op, what, " must be floating (float16, bfloat16, float32, float64), got ",
               dtype_name(dt), ": use tf::cast");
}

Tensor softmax_like(const OpDef& op, const Tensor& logits, int axis) {
  check_floating(op.name, "logits", logits.dtype());
  TF_CHECK_ARG(logits.ndim() >= 1, op.name, "logits must have >= 1 dimension, got shape ", logits.shape().to_string());
  ops::SoftmaxAttrs attrs;
  attrs.axis = normalize_axis(op.name, axis, logits.ndim());
  return dispatch1(op, std::span<const Tensor>(&logits, 1), &attrs, {logits.shape(), logits.dtype()});
}

/// `x` with axis `axis` moved last (a view).
Tensor move_axis_last(const Tensor& x, int axis) {
  if (axis == x.ndim() - 1) return x;
  std::vector<int> perm;
  for (int i = 0; i < x.ndim(); ++i)
    if (i != axis) perm.push_back(i);
  perm.push_back(axis);
  return transpose(x, perm);
}

Tensor softmax_grad_like(const OpDef& op, const Tensor& y, const Tensor& dy, int axis) {
  check_floating(op.name, "y", y.dtype());
  TF_CHECK_ARG(dy.dtype() == y.dtype(), op.name, "y and dy must have the same dtype: ", dtype_name(y.dtype()), " vs ",
               dtype_name(dy.dtype()));
  TF_CHECK_ARG(y.ndim() >= 1, op.name, "y must have >= 1 dimension, got shape ", y.shape().to_string());
  TF_CHECK_ARG(shapes_match(dy.shape(), y.shape()), op.name,
               "y and dy must have the same shape: ", y.shape().to_string(), " vs ", dy.shape().to_string());
  ops::SoftmaxAttrs attrs;
  attrs.axis = normalize_axis(op.name, axis, y.ndim());
  const Tensor in[2] = {y, dy};
  return dispatch1(op, in, &attrs, {y.shape(), y.dtype()});
}

Shape drop_last(const Shape& s) { return Shape(std::span<const int64_t>(s.begin(), s.end() - 1)); }
}  // namespace

namespace ops {
Tensor softmax_grad(const Tensor& y, const Tensor& dy, int axis) { return softmax_grad_like(SoftmaxGrad, y, dy, axis); }
Tensor log_softmax_grad(const Tensor& y, const Tensor& dy, int axis) {
  return softmax_grad_like(LogSoftmaxGrad, y, dy, axis);
}
}  // namespace ops

namespace nn {
Tensor softmax(const Tensor& logits, int axis) { return softmax_like(ops::Softmax, logits, axis); }
Tensor log_softmax(const Tensor& logits, int axis) { return softmax_like(ops::LogSoftmax, logits, axis); }

Tensor softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits, int axis) {
  const char* op = ops::SoftmaxCrossEntropyWithLogits.name;
  check_floating(op, "logits", logits.dtype());
  TF_CHECK_ARG(labels.dtype() == logits.dtype(), op,
               "labels and logits must have the same dtype: ", dtype_name(labels.dtype()), " vs ",
               dtype_name(logits.dtype()));
  TF_CHECK_ARG(logits.ndim() >= 1, op, "logits must have >= 1 dimension, got shape ", logits.shape().to_string());
  TF_CHECK_ARG(shapes_match(labels.shape(), logits.shape()), op,
               "logits and labels must be same size: logits_size=", logits.shape().to_string(),
               " labels_size=", labels.shape().to_string());
  const int ax = normalize_axis(op, axis, logits.ndim());
  const Tensor in[2] = {move_axis_last(logits, ax), move_axis_last(labels, ax)};
  const OutputSpec specs[2] = {{drop_last(in[0].shape()), logits.dtype()}, {in[0].shape(), logits.dtype()}};
  return dispatch(ops::SoftmaxCrossEntropyWithLogits, in, nullptr, specs)[0];
}

Tensor sparse_softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits) {
  const char* op = ops::SparseSoftmaxCrossEntropyWithLogits.name;
  check_floating(op, "logits", logits.dtype());
  TF_CHECK_ARG(labels.dtype() == DType::kInt32 || labels.dtype() == DType::kInt64, op,
               "labels must be int32 or int64 class indices, got ", dtype_name(labels.dtype()));
  TF_CHECK_ARG(logits.ndim() >= 1, op, "Logits cannot be scalars - received shape ", logits.shape().to_string());
  TF_CHECK_ARG(labels.ndim() == logits.ndim() - 1, op, "Rank mismatch: Rank of labels (received ", labels.ndim(),
               ") should equal rank of logits minus 1 (received ", logits.ndim(), ").");
  TF_CHECK_ARG(shapes_match(labels.shape(), drop_last(logits.shape())), op,
               "Shape mismatch: The shape of labels (received ", labels.shape().to_string(),
               ") should equal the shape of logits except for the last dimension (received ",
               logits.shape().to_string(), ").");
  const Tensor in[2] = {logits, labels};
  const OutputSpec specs[2] = {{labels.shape(), logits.dtype()}, {logits.shape(), logits.dtype()}};
  return dispatch(ops::SparseSoftmaxCrossEntropyWithLogits, in, nullptr, specs)[0];
}
}  // namespace nn

}  // namespace tapeflow
