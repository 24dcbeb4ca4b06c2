// Reductions (reduce_sum/mean/max/min/prod/any/all/logsumexp) over axes with keepdims,
// argmax/argmin, cumsum/cumprod and top_k, with TF's dtype rules and errors.
#pragma once
#include <initializer_list>
#include <optional>
#include <vector>

#include "tapeflow/core/dispatch.h"

namespace tapeflow {

/// The axes to reduce: none (all axes), one int, or a list; negative axes count from the end.
/// `tf::reduce_sum(x)`, `tf::reduce_sum(x, 1)`, `tf::reduce_sum(x, {0, 1})`.
class Axes {
 public:
  Axes() = default;
  Axes(std::nullopt_t) {}                                                                           // NOLINT
  Axes(int axis) : axes_(std::vector<int64_t>{axis}) {}                                             // NOLINT
  Axes(std::initializer_list<int> axes) : axes_(std::vector<int64_t>(axes.begin(), axes.end())) {}  // NOLINT
  Axes(const std::vector<int>& axes) : axes_(std::vector<int64_t>(axes.begin(), axes.end())) {}     // NOLINT
  Axes(const std::vector<int64_t>& axes) : axes_(axes) {}                                           // NOLINT
  bool all() const { return !axes_.has_value(); }
  const std::vector<int64_t>& list() const { return *axes_; }

 private:
  std::optional<std::vector<int64_t>> axes_;
};

/// Sum over `axis` (all axes by default); int sums wrap as in TF; float16/bfloat16/float32 accumulate
/// in higher precision.
Tensor reduce_sum(const Tensor& x, Axes axis = {}, bool keepdims = false);
/// Mean; of ints, the truncated integer mean (TF); of an empty set, nan.
Tensor reduce_mean(const Tensor& x, Axes axis = {}, bool keepdims = false);
/// Max/min; over an empty set, -inf/+inf for floats and the lowest/highest value for ints.
Tensor reduce_max(const Tensor& x, Axes axis = {}, bool keepdims = false);
Tensor reduce_min(const Tensor& x, Axes axis = {}, bool keepdims = false);
Tensor reduce_prod(const Tensor& x, Axes axis = {}, bool keepdims = false);
/// Bool inputs only.
Tensor reduce_any(const Tensor& x, Axes axis = {}, bool keepdims = false);
Tensor reduce_all(const Tensor& x, Axes axis = {}, bool keepdims = false);

/// Index of the largest/smallest value along `axis` (TF's default axis 0; int64 indices by default).
/// Ties give the first index; NaN counts as the largest (argmax) / smallest (argmin), as NumPy.
Tensor argmax(const Tensor& x, int axis = 0, DType output_type = DType::kInt64);
Tensor argmin(const Tensor& x, int axis = 0, DType output_type = DType::kInt64);

/// Cumulative sum/product along `axis`.
Tensor cumsum(const Tensor& x, int axis = 0, bool exclusive = false, bool reverse = false);
Tensor cumprod(const Tensor& x, int axis = 0, bool exclusive = false, bool reverse = false);

/// The k largest entries of the last axis: values and their int32 indices (ties: lower index first).
struct TopK {
  Tensor values;
  Tensor indices;
};
TopK top_k(const Tensor& x, int k = 1, bool sorted = true);

namespace ops {
extern OpDef Sum, Mean, Max, Min, Prod, Any, All, ArgMax, ArgMin, Cumsum, Cumprod, TopKV2;
struct ReduceAttrs : OpAttrsBase<ReduceAttrs> {
  std::vector<int> axes;  // normalized, sorted, unique
  bool keepdims = false;
  std::string to_string() const override;
};
struct ArgReduceAttrs : OpAttrsBase<ArgReduceAttrs> {
  int axis = 0;
};
struct ScanAttrs : OpAttrsBase<ScanAttrs> {
  int axis = 0;
  bool exclusive = false, reverse = false;
};
struct TopKAttrs : OpAttrsBase<TopKAttrs> {
  int k = 1;
  bool sorted = true;
};
/// Normalizes and validates reduction axes for a tensor of rank `rank` (sorted, unique).
std::vector<int> normalize_axes(const char* op, const Axes& axes, int rank);
/// The shape after reducing `axes` (kept as 1 when keepdims).
Shape reduced_shape(const Shape& in, const std::vector<int>& axes, bool keepdims);
void register_reduction_ops();
}  // namespace ops

}  // namespace tapeflow
