// Python-rule indexing: Tensor::operator[] builds a StridedSlice view. Integers drop an axis,
// slices follow Python (omitted bounds, negative indices and steps, clamping), tf::newaxis
// inserts an axis and tf::ellipsis stands for the remaining axes.
#include <algorithm>

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
    int64_t step = sl.step.value_or(1);
    TF_CHECK_ARG(step != 0, "StridedSlice", "slice step cannot be zero (axis ", ax, ")");
    if (n < 0) {
      // An unknown (None) dimension of a trace: `:` keeps it, bound when the function runs
      // (the kernel reads the call's size from its spec); bounds need the size.
      TF_CHECK_TYPED(!sl.start && !sl.stop && step == 1, UnimplementedError, "StridedSlice",
                     "slicing an unknown (None) dimension other than with `:` cannot be traced yet (axis ", ax,
                     " of shape ", shape().to_string(), "); trace with exact shapes");
      attrs.dims.push_back({ax, 0, 1, n});
      out.push_back(n);
      return;
    }
    int64_t begin, end;
    if (step > 0) {
      begin = sl.start ? (*sl.start < 0 ? *sl.start + n : *sl.start) : 0;
      end = sl.stop ? (*sl.stop < 0 ? *sl.stop + n : *sl.stop) : n;
      begin = std::clamp<int64_t>(begin, 0, n);
      end = std::clamp<int64_t>(end, 0, n);
    } else {
      begin = sl.start ? (*sl.start < 0 ? *sl.start + n : *sl.start) : n - 1;
      end = sl.stop ? (*sl.stop < 0 ? *sl.stop + n : *sl.stop) : -1;
      begin = std::clamp<int64_t>(begin, -1, n - 1);
      end = std::clamp<int64_t>(end, -1, n - 1);
    }
    // In unsigned arithmetic: a step of INT64_MAX or INT64_MIN must not overflow (-step, or
    // span + step - 1). A slice of at most one element takes step +-1: its stride is never used,
    // and step * stride could overflow in the view.
    const int64_t span = step > 0 ? end - begin : begin - end;  // within [-n - 1, n + 1]
    const uint64_t abs_step = step > 0 ? static_cast<uint64_t>(step) : uint64_t{0} - static_cast<uint64_t>(step);
    const int64_t size = span > 0 ? static_cast<int64_t>(1 + (static_cast<uint64_t>(span) - 1) / abs_step) : 0;
    if (size <= 1) step = step > 0 ? 1 : -1;
    attrs.dims.push_back({ax, size > 0 ? begin : 0, step, size});
    out.push_back(size);
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
