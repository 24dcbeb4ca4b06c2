// _FusedElementwise: a chain or DAG of elementwise ops evaluated in one pass over the elements
// (one read of each input, one write of the result, no intermediate tensors). Made by the graph
// optimizer's elementwise fusion (graph/optimizer.cpp, Note [Elementwise fusion]), never by
// users. Its program uses the rows of core/ops/unary_table.h and binary_table.h whose output
// dtype is the inputs' and runs their functors (kernels/functors.h), so its results are the
// unfused ops' bit for bit. Kernels: kernels/cpu/fused_elementwise.cpp and
// kernels/cuda/fused_elementwise.cu; no gradient (it only appears in optimized forward graphs).
#pragma once
#include <optional>
#include <span>
#include <vector>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/ops/binary_table.h"
#include "tapeflow/core/ops/unary_table.h"
#include "tapeflow/core/tensor.h"

namespace tapeflow::ops {
extern OpDef FusedElementwise;

/// The ops a program may name: every row of the unary and binary tables (a fused program uses
/// the rows with Output Same only; fusable_elementwise_op() says which).
enum class ElementwiseOp : uint8_t {
#define TAPEFLOW_UNARY_ROW(Op, fn, Functor, Accepts, Output) Op,
#define TAPEFLOW_BINARY_ROW(Op, tf_name, fn, Functor, Accepts, Output) Op,
  TAPEFLOW_UNARY_OPS(TAPEFLOW_UNARY_ROW) TAPEFLOW_BINARY_OPS(TAPEFLOW_BINARY_ROW)
#undef TAPEFLOW_UNARY_ROW
#undef TAPEFLOW_BINARY_ROW
};

/// One step of a program: `op` applied to operands `a` (and `b` for a binary op). Operand k <
/// num_inputs is input k; num_inputs + j is step j's result. The last step's result is the output.
struct ElementwiseStep {
  ElementwiseOp op;
  int a = 0;
  int b = -1;  // -1 for a unary op
  friend bool operator==(const ElementwiseStep&, const ElementwiseStep&) = default;
};

/// A program's limits (the CUDA kernel passes the program as a launch argument): steps, inputs.
inline constexpr int kMaxFusedElementwiseSteps = 64;
inline constexpr int kMaxFusedElementwiseInputs = 16;

struct FusedElementwiseAttrs : OpAttrsBase<FusedElementwiseAttrs> {
  std::vector<ElementwiseStep> program;
  /// "program=[Exp(0), AddV2(2, 1)]": TF's op names, operands as above.
  std::string to_string() const override;
};

/// The op a graph node of type `def` computes, when a program may use it (a unary or binary table
/// row whose output dtype is its inputs').
std::optional<ElementwiseOp> fusable_elementwise_op(const OpDef& def);
/// The op definition of `op` (its TF name: def.name) and its number of operands (1 or 2).
const OpDef& elementwise_op_def(ElementwiseOp op);
int elementwise_arity(ElementwiseOp op);

/// Runs `program` over `inputs` (one dtype: float32 or float64; each of the output's shape, or
/// one element, broadcast). The output's shape is the inputs' broadcast shape.
Tensor fused_elementwise(std::span<const Tensor> inputs, const std::vector<ElementwiseStep>& program);
void register_fused_elementwise_ops();
}  // namespace tapeflow::ops
