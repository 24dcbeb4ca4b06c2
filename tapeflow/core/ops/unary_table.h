// The elementwise unary ops, one row each. A row names the TF op, the public function, the
// scalar functor both backends run (kernels/functors.h), the dtypes the op accepts and its
// output dtype; it defines the op (core/ops/unary.cpp) and registers its CPU and CUDA kernels
// (kernels/cpu/unary.cpp, kernels/cuda/unary.cu). A new elementwise op is one row here, its
// functor, its declaration in unary.h and its gradient rule (autograd/grads/unary.cpp).
//
// X(Op, function, Functor, Accepts, Output):
//   Accepts: Floating (float16/bfloat16/float32/float64), Numeric, Signed (numeric but uint8), Bool
//   Output:  Same (the input's dtype) or Bool
#pragma once
#include <cstdint>

// tf.math's unary ops, in namespace tapeflow. round (identity on integers, as TF) is written by
// hand in unary.cpp but runs the table's kernel.
#define TAPEFLOW_UNARY_MATH_OPS(X)                                                       \
  X(Neg, negative, NegFn, Signed, Same)                                                  \
  X(Abs, abs, AbsFn, Numeric, Same)                                                      \
  X(Sign, sign, SignFn, Numeric, Same)                                                   \
  X(Square, square, SquareFn, Numeric, Same)                                             \
  X(Reciprocal, reciprocal, ReciprocalFn, Floating, Same) /* TF has no integer kernel */ \
  X(Sqrt, sqrt, SqrtFn, Floating, Same)                                                  \
  X(Rsqrt, rsqrt, RsqrtFn, Floating, Same)                                               \
  X(Exp, exp, ExpFn, Floating, Same)                                                     \
  X(Expm1, expm1, Expm1Fn, Floating, Same)                                               \
  X(Log, log, LogFn, Floating, Same)                                                     \
  X(Log1p, log1p, Log1pFn, Floating, Same)                                               \
  X(Sin, sin, SinFn, Floating, Same)                                                     \
  X(Cos, cos, CosFn, Floating, Same)                                                     \
  X(Tan, tan, TanFn, Floating, Same)                                                     \
  X(Tanh, tanh, TanhFn, Floating, Same)                                                  \
  X(Sigmoid, sigmoid, SigmoidFn, Floating, Same)                                         \
  X(Floor, floor, FloorFn, Floating, Same)                                               \
  X(Ceil, ceil, CeilFn, Floating, Same)                                                  \
  X(Erf, erf, ErfFn, Floating, Same)                                                     \
  X(Erfc, erfc, ErfcFn, Floating, Same)                                                  \
  X(IsNan, is_nan, IsNanFn, Floating, Bool)                                              \
  X(IsInf, is_inf, IsInfFn, Floating, Bool)                                              \
  X(IsFinite, is_finite, IsFiniteFn, Floating, Bool)                                     \
  X(LogicalNot, logical_not, LogicalNotFn, Bool, Bool)

// tf.nn's activations without attributes, in namespace tapeflow::nn. LeakyRelu and Gelu carry
// attributes (alpha, approximate) and are written by hand beside the table.
#define TAPEFLOW_UNARY_ACTIVATION_OPS(X)            \
  X(Relu, relu, ReluFn, Numeric, Same)              \
  X(Relu6, relu6, Relu6Fn, Numeric, Same)           \
  X(Elu, elu, EluFn, Floating, Same)                \
  X(Selu, selu, SeluFn, Floating, Same)             \
  X(Softplus, softplus, SoftplusFn, Floating, Same) \
  X(Softsign, softsign, SoftsignFn, Floating, Same) \
  X(Silu, silu, SiluFn, Floating, Same)

// Rows that run a table kernel but whose public function is written by hand.
#define TAPEFLOW_UNARY_KERNEL_ONLY_OPS(X) X(Round, round, RoundFn, Floating, Same)

/// Every row above, for the kernel registrations.
#define TAPEFLOW_UNARY_OPS(X)      \
  TAPEFLOW_UNARY_MATH_OPS(X)       \
  TAPEFLOW_UNARY_ACTIVATION_OPS(X) \
  TAPEFLOW_UNARY_KERNEL_ONLY_OPS(X)

namespace tapeflow::ops {
/// The dtypes a unary op accepts (the table's Accepts column).
enum class UnaryAccepts : uint8_t { Floating, Numeric, Signed, Bool };
/// A unary op's output dtype (the table's Output column).
enum class UnaryOutput : uint8_t { Same, Bool };
}  // namespace tapeflow::ops
