// Binary elementwise ops: checks (same dtype, broadcastable shapes), output spec, dispatch.
#include <vector>

#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/math.h"

namespace tapeflow {
namespace ops {
OpDef Add{.name = "AddV2"}, Sub{.name = "Sub"}, Mul{.name = "Mul"}, RealDiv{.name = "RealDiv"},
    FloorDiv{.name = "FloorDiv"}, FloorMod{.name = "FloorMod"}, Pow{.name = "Pow"}, Maximum{.name = "Maximum"},
    Minimum{.name = "Minimum"}, SquaredDifference{.name = "SquaredDifference"};
OpDef Equal{.name = "Equal"}, NotEqual{.name = "NotEqual"}, Less{.name = "Less"}, LessEqual{.name = "LessEqual"},
    Greater{.name = "Greater"}, GreaterEqual{.name = "GreaterEqual"}, LogicalAnd{.name = "LogicalAnd"},
    LogicalOr{.name = "LogicalOr"};

void register_binary_ops() {
  for (OpDef* op : {&Add, &Sub, &Mul, &RealDiv, &FloorDiv, &FloorMod, &Pow, &Maximum, &Minimum, &SquaredDifference,
                    &Equal, &NotEqual, &Less, &LessEqual, &Greater, &GreaterEqual, &LogicalAnd, &LogicalOr})
    register_op(*op);
}
}  // namespace ops

namespace {
enum class Accepts { kNumeric, kNumericOrBool, kAny, kBool };

Tensor binary(const OpDef& op, const Tensor& a, const Tensor& b, Accepts accepts, bool bool_output) {
  DType dt = a.dtype();
  TF_CHECK_ARG(dt == b.dtype(), op.name, "cannot compute ", op.name, " as input #1(zero-based) was expected to be a ",
               dtype_name(dt), " tensor but is a ", dtype_name(b.dtype()), " tensor (use tf::cast)");
  switch (accepts) {
    case Accepts::kNumeric:
      TF_CHECK_ARG(is_numeric(dt), op.name, op.name, " is not defined for dtype ", dtype_name(dt),
                   "; it needs a numeric dtype");
      break;
    case Accepts::kNumericOrBool:
      TF_CHECK_ARG(dt != DType::kString, op.name, op.name, " is not defined for dtype string");
      break;
    case Accepts::kBool:
      TF_CHECK_ARG(dt == DType::kBool, op.name, op.name, " needs bool inputs, got ", dtype_name(dt));
      break;
    case Accepts::kAny: break;
  }
  Shape out = broadcast_shapes(op.name, a.shape(), b.shape());
  const Tensor in[2] = {a, b};
  return dispatch1(op, in, nullptr, {std::move(out), bool_output ? DType::kBool : dt});
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  // AddV2 also concatenates strings in TF; numeric and bool-free here (bool + bool is an error in TF).
  return binary(ops::Add, a, b, a.dtype() == DType::kString ? Accepts::kAny : Accepts::kNumeric, false);
}
Tensor subtract(const Tensor& a, const Tensor& b) { return binary(ops::Sub, a, b, Accepts::kNumeric, false); }
Tensor multiply(const Tensor& a, const Tensor& b) { return binary(ops::Mul, a, b, Accepts::kNumeric, false); }
Tensor divide(const Tensor& a, const Tensor& b) {
  if (is_integer(a.dtype()) && a.dtype() == b.dtype()) {
    DType f = (a.dtype() == DType::kInt8 || a.dtype() == DType::kUInt8) ? DType::kFloat32 : DType::kFloat64;
    return binary(ops::RealDiv, cast(a, f), cast(b, f), Accepts::kNumeric, false);
  }
  TF_CHECK_ARG(a.dtype() != b.dtype() || is_floating(a.dtype()), "RealDiv", "RealDiv is not defined for dtype ",
               dtype_name(a.dtype()));
  return binary(ops::RealDiv, a, b, Accepts::kNumeric, false);
}
Tensor truediv(const Tensor& a, const Tensor& b) { return divide(a, b); }
// Integer division by zero and negative integer powers are rejected by the CPU kernels, which
// see the values (as TF's CPU kernels do); GPU kernels return 0 / 1 for them, as TF's do.
Tensor floordiv(const Tensor& a, const Tensor& b) { return binary(ops::FloorDiv, a, b, Accepts::kNumeric, false); }
Tensor floormod(const Tensor& a, const Tensor& b) { return binary(ops::FloorMod, a, b, Accepts::kNumeric, false); }
Tensor mod(const Tensor& a, const Tensor& b) { return floormod(a, b); }
Tensor pow(const Tensor& a, const Tensor& b) { return binary(ops::Pow, a, b, Accepts::kNumeric, false); }
Tensor maximum(const Tensor& a, const Tensor& b) { return binary(ops::Maximum, a, b, Accepts::kNumeric, false); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary(ops::Minimum, a, b, Accepts::kNumeric, false); }
Tensor squared_difference(const Tensor& a, const Tensor& b) {
  return binary(ops::SquaredDifference, a, b, Accepts::kNumeric, false);
}
Tensor equal(const Tensor& a, const Tensor& b) { return binary(ops::Equal, a, b, Accepts::kAny, true); }
Tensor not_equal(const Tensor& a, const Tensor& b) { return binary(ops::NotEqual, a, b, Accepts::kAny, true); }
Tensor less(const Tensor& a, const Tensor& b) { return binary(ops::Less, a, b, Accepts::kNumeric, true); }
Tensor less_equal(const Tensor& a, const Tensor& b) { return binary(ops::LessEqual, a, b, Accepts::kNumeric, true); }
Tensor greater(const Tensor& a, const Tensor& b) { return binary(ops::Greater, a, b, Accepts::kNumeric, true); }
Tensor greater_equal(const Tensor& a, const Tensor& b) {
  return binary(ops::GreaterEqual, a, b, Accepts::kNumeric, true);
}
Tensor logical_and(const Tensor& a, const Tensor& b) { return binary(ops::LogicalAnd, a, b, Accepts::kBool, true); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return binary(ops::LogicalOr, a, b, Accepts::kBool, true); }

}  // namespace tapeflow
