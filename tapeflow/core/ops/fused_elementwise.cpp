// _FusedElementwise: the program's checks, printing, the op <-> table row maps and the output spec.
#include "tapeflow/core/ops/fused_elementwise.h"

#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::ops {
OpDef FusedElementwise{.name = "_FusedElementwise"};

void register_fused_elementwise_ops() { register_op(FusedElementwise); }

namespace {
struct Row {
  const OpDef* def;
  ElementwiseOp op;
  int arity;
  bool same_dtype_out;
};
const std::vector<Row>& rows() {
  static const std::vector<Row> table = {
#define TAPEFLOW_UNARY_ROW(Op, fn, Functor, Accepts, Output) \
  {&Op, ElementwiseOp::Op, 1, UnaryOutput::Output == UnaryOutput::Same},
#define TAPEFLOW_BINARY_ROW(Op, tf_name, fn, Functor, Accepts, Output) \
  {&Op, ElementwiseOp::Op, 2, BinaryOutput::Output == BinaryOutput::Same},
      TAPEFLOW_UNARY_OPS(TAPEFLOW_UNARY_ROW) TAPEFLOW_BINARY_OPS(TAPEFLOW_BINARY_ROW)
#undef TAPEFLOW_UNARY_ROW
#undef TAPEFLOW_BINARY_ROW
  };
  return table;
}
}  // namespace

std::optional<ElementwiseOp> fusable_elementwise_op(const OpDef& def) {
  for (const Row& r : rows())
    if (r.def == &def && r.same_dtype_out) return r.op;
  return std::nullopt;
}
const OpDef& elementwise_op_def(ElementwiseOp op) { return *rows()[static_cast<std::size_t>(op)].def; }
int elementwise_arity(ElementwiseOp op) { return rows()[static_cast<std::size_t>(op)].arity; }

std::string FusedElementwiseAttrs::to_string() const {
  std::string out = "program=[";
  for (std::size_t j = 0; j < program.size(); ++j) {
    const ElementwiseStep& s = program[j];
    out += (j ? ", " : "") + std::string(elementwise_op_def(s.op).name) + "(" + std::to_string(s.a);
    if (s.b >= 0) out += ", " + std::to_string(s.b);
    out += ")";
  }
  return out + "]";
}

Tensor fused_elementwise(std::span<const Tensor> inputs, const std::vector<ElementwiseStep>& program) {
  const char* op = FusedElementwise.name;
  TF_CHECK_ARG(!inputs.empty() && !program.empty(), op, op, " needs at least one input and one step, got ",
               inputs.size(), " inputs and ", program.size(), " steps");
  TF_CHECK_ARG(static_cast<int>(inputs.size()) <= kMaxFusedElementwiseInputs &&
                   static_cast<int>(program.size()) <= kMaxFusedElementwiseSteps,
               op, op, " takes at most ", kMaxFusedElementwiseInputs, " inputs and ", kMaxFusedElementwiseSteps,
               " steps, got ", inputs.size(), " and ", program.size());
  const DType dt = inputs[0].dtype();
  TF_CHECK_ARG(dt == DType::kFloat32 || dt == DType::kFloat64, op, op, " is defined for float32 and float64, got ",
               dtype_name(dt));
  Shape out = inputs[0].shape();
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    TF_CHECK_ARG(inputs[i].dtype() == dt, op, "input #", i, " of ", op, " is a ", dtype_name(inputs[i].dtype()),
                 " tensor, expected ", dtype_name(dt));
    out = broadcast_shapes(op, out, inputs[i].shape());
  }
  for (std::size_t i = 0; i < inputs.size(); ++i)
    TF_CHECK_ARG(inputs[i].size() == 1 || inputs[i].shape() == out, op, "input #", i, " of ", op, " has shape ",
                 inputs[i].shape().debug_string(), ": every input must have the output's shape ", out.debug_string(),
                 " or one element");
  const int n = static_cast<int>(inputs.size());
  for (std::size_t j = 0; j < program.size(); ++j) {
    const ElementwiseStep& s = program[j];
    TF_CHECK_ARG(
        static_cast<std::size_t>(s.op) < rows().size() && rows()[static_cast<std::size_t>(s.op)].same_dtype_out, op,
        "step ", j, " of ", op, " names an op that cannot be fused");
    const int limit = n + static_cast<int>(j);
    const bool binary = elementwise_arity(s.op) == 2;
    TF_CHECK_ARG(s.a >= 0 && s.a < limit && (binary ? s.b >= 0 && s.b < limit : s.b == -1), op, "step ", j, " (",
                 elementwise_op_def(s.op).name, ") of ", op, " reads operands (", s.a, ", ", s.b,
                 "); each must be an input or an earlier step (below ", limit, ")");
  }
  FusedElementwiseAttrs attrs;
  attrs.program = program;
  return dispatch1(FusedElementwise, inputs, &attrs, {std::move(out), dt});
}

}  // namespace tapeflow::ops
