// Binary elementwise ops: checks (same dtype, broadcastable shapes), output spec, dispatch.
#include <vector>

#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow {
namespace ops {
#define TAPEFLOW_DEFINE_OP(Op, tf_name, fn, Functor, Accepts, Output) OpDef Op{.name = tf_name};
TAPEFLOW_BINARY_OPS(TAPEFLOW_DEFINE_OP)
#undef TAPEFLOW_DEFINE_OP

void register_binary_ops() {
#define TAPEFLOW_REGISTER_OP(Op, tf_name, fn, Functor, Accepts, Output) register_op(Op);
  TAPEFLOW_BINARY_OPS(TAPEFLOW_REGISTER_OP)
#undef TAPEFLOW_REGISTER_OP
}
}  // namespace ops

namespace {
using ops::BinaryAccepts;

Tensor binary(const OpDef& op, const Tensor& a, const Tensor& b, BinaryAccepts accepts, ops::BinaryOutput output) {
  DType dt = a.dtype();
  TF_CHECK_ARG(dt == b.dtype(), op.name, "cannot compute ", op.name, " as input #1(zero-based) was expected to be a ",
               dtype_name(dt), " tensor but is a ", dtype_name(b.dtype()), " tensor (use tf::cast)");
  switch (accepts) {
    case BinaryAccepts::Numeric:
      TF_CHECK_ARG(is_numeric(dt), op.name, op.name, " is not defined for dtype ", dtype_name(dt),
                   "; it needs a numeric dtype");
      break;
    case BinaryAccepts::Equality: break;
    case BinaryAccepts::Bool:
      TF_CHECK_ARG(dt == DType::kBool, op.name, op.name, " needs bool inputs, got ", dtype_name(dt));
      break;
  }
  Shape out = broadcast_shapes(op.name, a.shape(), b.shape());
  const Tensor in[2] = {a, b};
  return dispatch1(op, in, nullptr, {std::move(out), output == ops::BinaryOutput::Bool ? DType::kBool : dt});
}
/// A table row's public function.
#define TAPEFLOW_ROW(Op, Accepts, Output) binary(ops::Op, a, b, BinaryAccepts::Accepts, ops::BinaryOutput::Output)
}  // namespace

// AddV2 also concatenates strings, as in TF (bool + bool is an error there too).
Tensor add(const Tensor& a, const Tensor& b) {
  if (a.dtype() == DType::kString) return binary(ops::Add, a, b, BinaryAccepts::Equality, ops::BinaryOutput::Same);
  return TAPEFLOW_ROW(Add, Numeric, Same);
}
// True division: integer inputs are cast to float64 (int32/int64) or float32 (int8/uint8) first.
Tensor divide(const Tensor& a, const Tensor& b) {
  if (is_integer(a.dtype()) && a.dtype() == b.dtype()) {
    DType f = (a.dtype() == DType::kInt8 || a.dtype() == DType::kUInt8) ? DType::kFloat32 : DType::kFloat64;
    return binary(ops::RealDiv, cast(a, f), cast(b, f), BinaryAccepts::Numeric, ops::BinaryOutput::Same);
  }
  TF_CHECK_ARG(a.dtype() != b.dtype() || is_floating(a.dtype()), "RealDiv", "RealDiv is not defined for dtype ",
               dtype_name(a.dtype()));
  return TAPEFLOW_ROW(RealDiv, Numeric, Same);
}
Tensor truediv(const Tensor& a, const Tensor& b) { return divide(a, b); }
Tensor mod(const Tensor& a, const Tensor& b) { return floormod(a, b); }
// Integer division by zero and negative integer powers are rejected by the CPU kernels, which
// see the values (as TF's CPU kernels do); GPU kernels return 0 / 1 for them, as TF's do.
#define TAPEFLOW_DEFINE_FUNCTION(Op, tf_name, fn, Functor, Accepts, Output) \
  Tensor fn(const Tensor& a, const Tensor& b) { return TAPEFLOW_ROW(Op, Accepts, Output); }
TAPEFLOW_BINARY_MATH_OPS(TAPEFLOW_DEFINE_FUNCTION)
#undef TAPEFLOW_DEFINE_FUNCTION
#undef TAPEFLOW_ROW
}  // namespace tapeflow
