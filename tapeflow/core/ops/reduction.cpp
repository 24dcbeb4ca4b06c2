#include "tapeflow/core/ops/reduction.h"

#include <algorithm>

#include "tapeflow/core/ops/cast.h"

namespace tapeflow {
namespace ops {
OpDef Sum{.name = "Sum"}, Mean{.name = "Mean"}, Max{.name = "Max"}, Min{.name = "Min"}, Prod{.name = "Prod"},
    Any{.name = "Any"}, All{.name = "All"}, ArgMax{.name = "ArgMax"}, ArgMin{.name = "ArgMin"},
    Cumsum{.name = "Cumsum"}, Cumprod{.name = "Cumprod"}, TopKV2{.name = "TopKV2"};

void register_reduction_ops() {
  for (OpDef* op : {&Sum, &Mean, &Max, &Min, &Prod, &Any, &All, &ArgMax, &ArgMin, &Cumsum, &Cumprod, &TopKV2})
    register_op(*op);
}

std::string ReduceAttrs::to_string() const {
  std::string s = "axis=[";
  for (std::size_t i = 0; i < axes.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(axes[i]);  // appended: `", " + str` trips GCC 12's false -Wrestrict
  }
  return s + "], keepdims=" + (keepdims ? "true" : "false");
}

std::vector<int> normalize_axes(const char* op, const Axes& axes, int rank) {
  std::vector<int> out;
  if (axes.all()) {
    for (int i = 0; i < rank; ++i) out.push_back(i);
    return out;
  }
  for (int64_t a : axes.list()) {
    TF_CHECK_ARG(a >= -rank && a < rank, op, "Invalid reduction dimension ", a, " for input with ", rank,
                 " dimensions (expected -", rank, " <= axis < ", rank, ")");
    int n = static_cast<int>(a < 0 ? a + rank : a);
    TF_CHECK_ARG(std::find(out.begin(), out.end(), n) == out.end(), op, "Axis ", a,
                 " specified more than once in the reduction axes");
    out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Shape reduced_shape(const Shape& in, const std::vector<int>& axes, bool keepdims) {
  Shape out;
  for (int i = 0; i < in.rank(); ++i) {
    bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (!reduced)
      out.push_back(in[i]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}
}  // namespace ops

namespace {
enum class Kind { kNumeric, kBool };

Tensor reduce(const OpDef& op, const Tensor& x, const Axes& axis, bool keepdims, Kind kind) {
  if (kind == Kind::kBool) {
    TF_CHECK_ARG(x.dtype() == DType::kBool, op.name, op.name, " needs a bool tensor, got ", dtype_name(x.dtype()));
  } else {
    TF_CHECK_ARG(is_numeric(x.dtype()), op.name, op.name, " is not defined for dtype ", dtype_name(x.dtype()),
                 "; it needs a numeric dtype");
  }
  ops::ReduceAttrs attrs;
  attrs.axes = ops::normalize_axes(op.name, axis, x.ndim());
  attrs.keepdims = keepdims;
  Shape out = ops::reduced_shape(x.shape(), attrs.axes, keepdims);
  return dispatch1(op, std::span<const Tensor>(&x, 1), &attrs, {std::move(out), x.dtype()});
}

Tensor arg_reduce(const OpDef& op, const Tensor& x, int axis, DType output_type) {
  TF_CHECK_ARG(is_numeric(x.dtype()), op.name, op.name, " is not defined for dtype ", dtype_name(x.dtype()));
  TF_CHECK_ARG(output_type == DType::kInt32 || output_type == DType::kInt64, op.name,
               "output_type must be int32 or int64, got ", dtype_name(output_type));
  ops::ArgReduceAttrs attrs;
  attrs.axis = normalize_axis(op.name, axis, x.ndim());
  TF_CHECK_ARG(x.shape()[attrs.axis] > 0, op.name, "Reduction axis ", axis, " is empty in shape ",
               x.shape().to_string());
  Shape out = ops::reduced_shape(x.shape(), {attrs.axis}, false);
  return dispatch1(op, std::span<const Tensor>(&x, 1), &attrs, {std::move(out), output_type});
}

Tensor scan(const OpDef& op, const Tensor& x, int axis, bool exclusive, bool reverse) {
  TF_CHECK_ARG(is_numeric(x.dtype()), op.name, op.name, " is not defined for dtype ", dtype_name(x.dtype()));
  ops::ScanAttrs attrs;
  attrs.axis = normalize_axis(op.name, axis, x.ndim());
  attrs.exclusive = exclusive;
  attrs.reverse = reverse;
  return dispatch1(op, std::span<const Tensor>(&x, 1), &attrs, {x.shape(), x.dtype()});
}
}  // namespace

Tensor reduce_sum(const Tensor& x, Axes axis, bool keepdims) {
  return reduce(ops::Sum, x, axis, keepdims, Kind::kNumeric);
}
Tensor reduce_mean(const Tensor& x, Axes axis, bool keepdims) {
  return reduce(ops::Mean, x, axis, keepdims, Kind::kNumeric);
}
Tensor reduce_max(const Tensor& x, Axes axis, bool keepdims) {
  return reduce(ops::Max, x, axis, keepdims, Kind::kNumeric);
}
Tensor reduce_min(const Tensor& x, Axes axis, bool keepdims) {
  return reduce(ops::Min, x, axis, keepdims, Kind::kNumeric);
}
Tensor reduce_prod(const Tensor& x, Axes axis, bool keepdims) {
  return reduce(ops::Prod, x, axis, keepdims, Kind::kNumeric);
}
Tensor reduce_any(const Tensor& x, Axes axis, bool keepdims) {
  return reduce(ops::Any, x, axis, keepdims, Kind::kBool);
}
Tensor reduce_all(const Tensor& x, Axes axis, bool keepdims) {
  return reduce(ops::All, x, axis, keepdims, Kind::kBool);
}
Tensor argmax(const Tensor& x, int axis, DType output_type) { return arg_reduce(ops::ArgMax, x, axis, output_type); }
Tensor argmin(const Tensor& x, int axis, DType output_type) { return arg_reduce(ops::ArgMin, x, axis, output_type); }
Tensor cumsum(const Tensor& x, int axis, bool exclusive, bool reverse) {
  return scan(ops::Cumsum, x, axis, exclusive, reverse);
}
Tensor cumprod(const Tensor& x, int axis, bool exclusive, bool reverse) {
  return scan(ops::Cumprod, x, axis, exclusive, reverse);
}

TopK top_k(const Tensor& x, int k, bool sorted) {
  TF_CHECK_ARG(is_numeric(x.dtype()), "TopKV2", "TopKV2 is not defined for dtype ", dtype_name(x.dtype()));
  TF_CHECK_ARG(x.ndim() >= 1, "TopKV2", "input must be at least 1-dimensional, got shape ", x.shape().to_string());
  TF_CHECK_ARG(k >= 0, "TopKV2", "Need k >= 0, got ", k);
  int64_t n = x.shape().dim(-1);
  TF_CHECK_ARG(k <= n, "TopKV2", "input must have at least k=", k, " columns, had ", n);
  ops::TopKAttrs attrs;
  attrs.k = k;
  attrs.sorted = sorted;
  Shape out = x.shape();
  out[out.rank() - 1] = k;
  OutputSpec specs[2] = {{out, x.dtype()}, {out, DType::kInt32}};
  TensorList r = dispatch(ops::TopKV2, std::span<const Tensor>(&x, 1), &attrs, specs);
  return {r[0], r[1]};
}

}  // namespace tapeflow
