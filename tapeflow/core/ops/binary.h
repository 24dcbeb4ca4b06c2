// Binary elementwise ops with NumPy broadcasting: arithmetic, comparisons and logic (bool
// results), the C++ operators and a number on either side of them. Mixed dtypes are an
// InvalidArgumentError, as TF does not promote; a C++ number operand (Scalar) takes the tensor's
// dtype. The ops are the rows of binary_table.h, which states the dtypes each accepts.
// Kernels: kernels/{cpu,cuda}/binary; gradients: autograd/grads/binary.cpp.
#pragma once
#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/ops/binary_table.h"
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

/// A 0-d tensor of `dtype` holding `value` (on CPU:0; ops move it where needed).
Tensor scalar_tensor(Scalar value, DType dtype);

// tf.multiply(x, 2): a C++ number on either side of a named binary op takes the tensor's dtype.
#define TAPEFLOW_DECLARE_SCALAR_OVERLOADS(FN)                                                \
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

#define TAPEFLOW_DECLARE_BINARY_OPERATOR(OP, FN)                                                      \
  inline Tensor operator OP(const Tensor& a, const Tensor& b) { return FN(a, b); }                    \
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
#define TAPEFLOW_DECLARE_OP(Op, tf_name, fn, Functor, Accepts, Output) extern OpDef Op;
TAPEFLOW_BINARY_OPS(TAPEFLOW_DECLARE_OP)
#undef TAPEFLOW_DECLARE_OP
void register_binary_ops();
}  // namespace ops

}  // namespace tapeflow
