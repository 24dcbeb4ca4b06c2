// Elementwise math: binary arithmetic with NumPy broadcasting, comparisons and logic (bool
// results), unary math, where and clip_by_value. Mixed dtypes are an InvalidArgumentError, as
// TF does not promote; a C++ number operand (Scalar) takes the tensor's dtype.
#pragma once
#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/scalar.h"
#include "tapeflow/core/tensor.h"

namespace tapeflow {

// ---- binary arithmetic (TF ops AddV2, Sub, Mul, RealDiv, FloorDiv, FloorMod, Pow, Maximum,
//      Minimum, SquaredDifference) ---------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor subtract(const Tensor& a, const Tensor& b);
Tensor multiply(const Tensor& a, const Tensor& b);
/// True division: integer inputs give float64 (int32/int64) or float32 (int8/uint8), as TF's `/`.
Tensor divide(const Tensor& a, const Tensor& b);
Tensor truediv(const Tensor& a, const Tensor& b);
/// Python's // (rounds toward -inf). Integer division by zero is an InvalidArgumentError.
Tensor floordiv(const Tensor& a, const Tensor& b);
/// Python's % (sign of the divisor).
Tensor floormod(const Tensor& a, const Tensor& b);
Tensor mod(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor squared_difference(const Tensor& a, const Tensor& b);

// ---- comparisons and logic -------------------------------------------------------------------
Tensor equal(const Tensor& a, const Tensor& b);
Tensor not_equal(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor less_equal(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);
Tensor greater_equal(const Tensor& a, const Tensor& b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);

// ---- unary math (TF ops Neg, Abs, Sign, Square, Sqrt, Rsqrt, Exp, Expm1, Log, Log1p, Sin, Cos,
//      Tan, Tanh, Sigmoid, Floor, Ceil, Round, Reciprocal, Erf, IsNan, IsInf, IsFinite, LogicalNot) --
// Transcendental functions need a floating dtype; abs/negative/sign/square/reciprocal take any
// numeric dtype; round of an integer tensor is the identity, as TF.
Tensor negative(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor square(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tan(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
/// Rounds half to even (banker's rounding), as tf.math.round.
Tensor round(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor erf(const Tensor& x);
Tensor is_nan(const Tensor& x);
Tensor is_inf(const Tensor& x);
Tensor is_finite(const Tensor& x);
Tensor logical_not(const Tensor& x);
inline Tensor operator-(const Tensor& x) { return negative(x); }
inline Tensor operator!(const Tensor& x) { return logical_not(x); }

/// tf.where(cond, x, y): elements of x where cond is true, else of y (3-way broadcasting).
Tensor where(const Tensor& condition, const Tensor& x, const Tensor& y);
/// tf.where(cond): int64 coordinates (num_true, rank) of the true elements, in row-major order.
Tensor where(const Tensor& condition);
/// minimum(maximum(t, lo), hi) with broadcasting; bounds may be tensors or numbers.
Tensor clip_by_value(const Tensor& t, const Tensor& clip_value_min, const Tensor& clip_value_max);
Tensor clip_by_value(const Tensor& t, Scalar clip_value_min, Scalar clip_value_max);

/// A 0-d tensor of `dtype` holding `value` (on CPU:0; ops move it where needed).
Tensor scalar_tensor(Scalar value, DType dtype);

// tf.multiply(x, 2): a C++ number on either side of a named binary op takes the tensor's dtype.
#define TAPEFLOW_DECLARE_SCALAR_OVERLOADS(FN)                                                  \
  inline Tensor FN(const Tensor& a, Scalar b) { return FN(a, scalar_tensor(b, a.dtype())); } \
  inline Tensor FN(Scalar a, const Tensor& b) { return FN(scalar_tensor(a, b.dtype()), b); }
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(add)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(subtract)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(multiply)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(divide)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(truediv)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(floordiv)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(floormod)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(mod)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(pow)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(maximum)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(minimum)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(squared_difference)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(equal)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(not_equal)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(less)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(less_equal)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(greater)
TAPEFLOW_DECLARE_SCALAR_OVERLOADS(greater_equal)
#undef TAPEFLOW_DECLARE_SCALAR_OVERLOADS

#define TAPEFLOW_DECLARE_BINARY_OPERATOR(OP, FN)                                            \
  inline Tensor operator OP(const Tensor& a, const Tensor& b) { return FN(a, b); }          \
  inline Tensor operator OP(const Tensor& a, Scalar b) { return FN(a, scalar_tensor(b, a.dtype())); } \
  inline Tensor operator OP(Scalar a, const Tensor& b) { return FN(scalar_tensor(a, b.dtype()), b); }
TAPEFLOW_DECLARE_BINARY_OPERATOR(+, add)
TAPEFLOW_DECLARE_BINARY_OPERATOR(-, subtract)
TAPEFLOW_DECLARE_BINARY_OPERATOR(*, multiply)
TAPEFLOW_DECLARE_BINARY_OPERATOR(/, divide)
TAPEFLOW_DECLARE_BINARY_OPERATOR(%, floormod)
TAPEFLOW_DECLARE_BINARY_OPERATOR(==, equal)
TAPEFLOW_DECLARE_BINARY_OPERATOR(!=, not_equal)
TAPEFLOW_DECLARE_BINARY_OPERATOR(<, less)
TAPEFLOW_DECLARE_BINARY_OPERATOR(<=, less_equal)
TAPEFLOW_DECLARE_BINARY_OPERATOR(>, greater)
TAPEFLOW_DECLARE_BINARY_OPERATOR(>=, greater_equal)
TAPEFLOW_DECLARE_BINARY_OPERATOR(&&, logical_and)
TAPEFLOW_DECLARE_BINARY_OPERATOR(||, logical_or)
#undef TAPEFLOW_DECLARE_BINARY_OPERATOR

namespace ops {
extern OpDef Add, Sub, Mul, RealDiv, FloorDiv, FloorMod, Pow, Maximum, Minimum, SquaredDifference;
extern OpDef Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual, LogicalAnd, LogicalOr;
extern OpDef Neg, Abs, Sign, Square, Sqrt, Rsqrt, Exp, Expm1, Log, Log1p, Sin, Cos, Tan, Tanh, Sigmoid, Floor, Ceil,
    Round, Reciprocal, Erf, IsNan, IsInf, IsFinite, LogicalNot, SelectV2, Where;
void register_binary_ops();
void register_unary_ops();
}  // namespace ops

}  // namespace tapeflow
