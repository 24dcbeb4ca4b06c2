// tf::cast: elementwise dtype conversion (TF's Cast). Float to int truncates toward zero,
// anything to bool is `!= 0`, as in TF.
#pragma once
#include "tapeflow/core/dispatch.h"

namespace tapeflow {
Tensor cast(const Tensor& x, DType dtype);
namespace ops {
extern OpDef Cast;
struct CastAttrs : OpAttrsBase<CastAttrs> {
  DType dtype;
  explicit CastAttrs(DType d) : dtype(d) {}
  std::string to_string() const override { return std::string("DstT=") + std::string(dtype_name(dtype)); }
};
void register_cast_ops();
}  // namespace ops
}  // namespace tapeflow
