// The binary elementwise ops, one row each (as unary_table.h for the unary ops). A row names the
// op (its C++ name and TF's), the public function, the scalar functor both backends run
// (kernels/functors.h), the dtypes it accepts and its output dtype; it defines the op
// (core/ops/binary.cpp) and registers its CPU and CUDA kernels (kernels/cpu/binary.cpp,
// kernels/cuda/binary.cu). Inputs broadcast as NumPy's and must share one dtype.
//
// X(Op, "TFName", function, Functor, Accepts, Output):
//   Accepts: Numeric, Equality (numeric, bool and, on CPU, string), Bool
//   Output:  Same (the inputs' dtype) or Bool
#pragma once
#include <cstdint>

// Rows whose public function is generated from the row.
#define TAPEFLOW_BINARY_MATH_OPS(X)                                                                 \
  X(Sub, "Sub", subtract, SubFn, Numeric, Same)                                                     \
  X(Mul, "Mul", multiply, MulFn, Numeric, Same)                                                     \
  X(FloorDiv, "FloorDiv", floordiv, FloorDivFn, Numeric, Same)                                      \
  X(FloorMod, "FloorMod", floormod, FloorModFn, Numeric, Same)                                      \
  X(Pow, "Pow", pow, PowFn, Numeric, Same)                                                          \
  X(Maximum, "Maximum", maximum, MaximumFn, Numeric, Same)                                          \
  X(Minimum, "Minimum", minimum, MinimumFn, Numeric, Same)                                          \
  X(SquaredDifference, "SquaredDifference", squared_difference, SquaredDifferenceFn, Numeric, Same) \
  X(Equal, "Equal", equal, EqualFn, Equality, Bool)                                                 \
  X(NotEqual, "NotEqual", not_equal, NotEqualFn, Equality, Bool)                                    \
  X(Less, "Less", less, LessFn, Numeric, Bool)                                                      \
  X(LessEqual, "LessEqual", less_equal, LessEqualFn, Numeric, Bool)                                 \
  X(Greater, "Greater", greater, GreaterFn, Numeric, Bool)                                          \
  X(GreaterEqual, "GreaterEqual", greater_equal, GreaterEqualFn, Numeric, Bool)                     \
  X(LogicalAnd, "LogicalAnd", logical_and, LogicalAndFn, Bool, Bool)                                \
  X(LogicalOr, "LogicalOr", logical_or, LogicalOrFn, Bool, Bool)

// Rows that run the table's kernels but whose public function is written by hand in binary.cpp:
// add also concatenates strings; divide casts integers to floats first (TF's `/`).
#define TAPEFLOW_BINARY_KERNEL_ONLY_OPS(X)   \
  X(Add, "AddV2", add, AddFn, Numeric, Same) \
  X(RealDiv, "RealDiv", divide, DivFn, Numeric, Same)

/// Every row above, for the op definitions and the kernel registrations.
#define TAPEFLOW_BINARY_OPS(X)       \
  TAPEFLOW_BINARY_KERNEL_ONLY_OPS(X) \
  TAPEFLOW_BINARY_MATH_OPS(X)

namespace tapeflow::ops {
/// The dtypes a binary op accepts (the table's Accepts column).
enum class BinaryAccepts : uint8_t { Numeric, Equality, Bool };
/// A binary op's output dtype (the table's Output column).
enum class BinaryOutput : uint8_t { Same, Bool };
}  // namespace tapeflow::ops
