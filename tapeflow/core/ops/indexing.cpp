// Python-rule indexing: Tensor::operator[] builds a StridedSlice view. Integers drop an axis,
// slices follow Python (omitted bounds, negative indices and steps, clamping), tf::newaxis
// inserts an axis and tf::ellipsis stands for the remaining axes.
#include "tapeflow/core/ops/array_ops.h"

namespace tapeflow {

Tensor Tensor::operator[](const Index& index) const { return (*this)[std::vector<Index>{index}]; }
Tensor Tensor::operator[](std::initializer_list<Index> indices) const {
  return (*this)[std::vector<Index>(indices.begin(), indices.end())];
}

Tensor Tensor::operator[](const std::vector<Index>& indices) const {
  const int rank = ndim();
  int consuming = 0, ellipses = 0;
  for (const Index& i : indices) {
    if (std::holds_alternative<int64_t>(i.value()) || std::holds_alternative<Slice>(i.value())) ++consuming;
    if (std::holds_alternative<EllipsisTag>(i.value())) ++ellipses;
  }
  TF_CHECK_ARG(ellipses <= 1, "StridedSlice", "Multiple ellipses in slice spec not allowed");
  TF_CHECK_ARG(consuming <= rank, "StridedSlice", "Index out of range using input dim ", consuming - 1,
               "; input has only ", rank, " dims");
  ops::StridedSliceAttrs attrs;
  Shape out;
  int axis = 0;
  auto add_slice = [&](int ax, const Slice& sl) {
    const int64_t n = shape()[ax];
    const int64_t step = sl.step.value_or(1);
    TF_CHECK_ARG(step != 0, "StridedSlice", "slice step cannot be zero (axis ", ax, ")");
    if (n < 0) {
      // An unknown (None) dimension of a trace: `:` keeps it; other bounds give a size of their
      // own. Both are resolved against the call's size when the kernel runs.
      const bool whole = !sl.start && !sl.stop && step == 1;
      attrs.dims.push_back({ax, 0, step, whole ? n : -1, sl.start, sl.stop});
      out.push_back(whole ? n : -1);
      return;
    }
    const ops::StridedSliceAttrs::Dim d = ops::resolve_slice(ax, n, sl.start, sl.stop, step);
    attrs.dims.push_back(d);
    out.push_back(d.size);
  };
  for (const Index& i : indices) {
    const auto& v = i.value();
    if (const auto* k = std::get_if<int64_t>(&v)) {
      const int64_t n = shape()[axis];
      int64_t idx = *k < 0 ? *k + n : *k;
      TF_CHECK_ARG(idx >= 0 && idx < n, "StridedSlice", "slice index ", *k, " of dimension ", axis,
                   " out of bounds (dimension ", axis, " has size ", n, ")");
      attrs.fixed.emplace_back(axis, idx);
      ++axis;
    } else if (const auto* sl = std::get_if<Slice>(&v)) {
      add_slice(axis++, *sl);
    } else if (std::holds_alternative<NewAxisTag>(v)) {
      attrs.dims.push_back({-1, 0, 1, 1});
      out.push_back(1);
    } else {  // ellipsis: full slices over the axes no other entry consumes
      int skip = rank - consuming;
      for (int s = 0; s < skip; ++s) add_slice(axis++, Slice{});
    }
  }
  while (axis < rank) add_slice(axis++, Slice{});
  Tensor self = *this;
  return dispatch1(ops::StridedSlice, std::span<const Tensor>(&self, 1), &attrs, {out, dtype()});
}

}  // namespace tapeflow
