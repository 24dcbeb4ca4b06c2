// NumPy broadcasting geometry shared by the CPU and CUDA kernels (host code): the strides of an
// operand aligned to a broadcast output, written once for both backends.
#pragma once
#include <cstddef>

#include "tapeflow/core/tensor.h"

namespace tapeflow::kernels {

/// Strides of `t` (in elements) aligned to an output of shape `out_shape` under broadcasting:
/// missing leading dims and dims of size 1 that broadcast get stride 0.
inline DimVector broadcast_strides(const Tensor& t, const Shape& out_shape) {
  const int r = out_shape.rank(), tr = t.ndim();
  DimVector s(static_cast<std::size_t>(r), 0);
  for (int i = 0; i < tr; ++i) {
    const int o = r - tr + i;
    s[static_cast<std::size_t>(o)] =
        (t.shape()[i] == 1 && out_shape[o] != 1) ? 0 : t.strides()[static_cast<std::size_t>(i)];
  }
  return s;
}

}  // namespace tapeflow::kernels
