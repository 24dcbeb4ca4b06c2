#include "tapeflow/core/ops/cast.h"

namespace tapeflow {
namespace ops {
OpDef Cast{.name = "Cast"};
void register_cast_ops() { register_op(Cast); }
}  // namespace ops

Tensor cast(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  TF_CHECK_TYPED(x.dtype() != DType::kString && dtype != DType::kString, UnimplementedError, "Cast", "Cast ",
                 dtype_name(x.dtype()), " to ", dtype_name(dtype),
                 " is not supported (use tf::strings::to_number / as_string)");
  ops::CastAttrs attrs(dtype);
  return dispatch1(ops::Cast, std::span<const Tensor>(&x, 1), &attrs, {x.shape(), dtype});
}
}  // namespace tapeflow
