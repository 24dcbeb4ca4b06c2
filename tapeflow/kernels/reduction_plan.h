// The geometry of a reduction, shared by the CPU and CUDA reduction kernels (host code): the
// input as contiguous (outer, reduced) rows, or (reduced, outer) columns when the reduced axes
// lead a contiguous tensor and no copy is needed.
#pragma once
#include <cstdint>
#include <vector>

#include "tapeflow/core/tensor.h"

namespace tapeflow::kernels {

struct ReductionPlan {
  Tensor data;        // contiguous
  int64_t outer = 1;  // number of outputs
  int64_t inner = 1;  // number of reduced elements per output
  bool columns = false;
};

/// `axes` are sorted, unique and non-negative.
inline ReductionPlan make_reduction_plan(const Tensor& x, const std::vector<int>& axes) {
  ReductionPlan p;
  const int r = x.ndim();
  std::vector<bool> reduced(static_cast<std::size_t>(r), false);
  for (int a : axes) reduced[static_cast<std::size_t>(a)] = true;
  for (int i = 0; i < r; ++i) (reduced[static_cast<std::size_t>(i)] ? p.inner : p.outer) *= x.shape()[i];
  // Reduced axes leading a contiguous tensor: reduce columns in place.
  bool leading = true;
  for (std::size_t i = 0; i < axes.size(); ++i) leading &= axes[i] == static_cast<int>(i);
  if (x.is_contiguous() && leading && !axes.empty() && static_cast<int>(axes.size()) < r) {
    p.data = x;
    p.columns = true;
    return p;
  }
  // Move reduced axes last; copy when that view is not contiguous.
  DimVector dims, strides;
  for (int pass = 0; pass < 2; ++pass)
    for (int i = 0; i < r; ++i)
      if (reduced[static_cast<std::size_t>(i)] == (pass == 1)) {
        dims.push_back(x.shape()[i]);
        strides.push_back(x.strides()[static_cast<std::size_t>(i)]);
      }
  p.data = detail::make_view(x.storage(), Shape(dims), strides, x.offset(), x.dtype(), x.device()).contiguous();
  return p;
}

}  // namespace tapeflow::kernels
