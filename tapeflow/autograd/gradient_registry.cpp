#include "tapeflow/autograd/gradient_registry.h"

#include <unordered_map>

#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/reduction.h"

namespace tapeflow::autograd {
namespace {
// OpDef::gradient holds either a GradFn or this marker for NotDifferentiable ops.
InputGrads not_differentiable_marker(const GradContext&) { return {}; }
}  // namespace

void register_gradient(OpDef& op, GradFn fn, ReadsValues reads, const char* where) {
  op.gradient = reinterpret_cast<const void*>(fn);
  op.gradient_reads_inputs = reads.inputs;
  op.gradient_reads_outputs = reads.outputs;
  op.gradient_defined_in = where;
}
void register_not_differentiable(OpDef& op, const char* where) {
  op.gradient = reinterpret_cast<const void*>(&not_differentiable_marker);
  op.gradient_defined_in = where;
}
bool is_not_differentiable(const OpDef& op) {
  return op.gradient == reinterpret_cast<const void*>(&not_differentiable_marker);
}

namespace {
struct JvpEntry {
  JvpFn fn;
  const char* defined_in;
};
// Filled by the registration functions at start-up (ensure_initialized), read-only afterwards.
std::unordered_map<const OpDef*, JvpEntry>& jvp_rules() {
  static std::unordered_map<const OpDef*, JvpEntry> rules;
  return rules;
}
}  // namespace

void register_jvp(OpDef& op, JvpFn fn, const char* where) { jvp_rules()[&op] = JvpEntry{fn, where}; }
JvpFn jvp_function(const OpDef& op) {
  auto it = jvp_rules().find(&op);
  return it == jvp_rules().end() ? nullptr : it->second.fn;
}
const char* jvp_defined_in(const OpDef& op) {
  auto it = jvp_rules().find(&op);
  return it == jvp_rules().end() ? nullptr : it->second.defined_in;
}

OutputTangents linear_jvp(const JvpContext& c) {
  TensorList args;
  for (std::size_t k = 0; k < c.inputs.size(); ++k)
    args.push_back(c.has_tangent(k) ? c.tangent(k) : zeros_like(c.input(k)));
  util::SmallVector<OutputSpec, 2> specs;
  for (const Tensor& y : c.outputs) specs.push_back({y.shape(), y.dtype()});
  TensorList out = dispatch(c.op, std::span<const Tensor>(args.data(), args.size()), c.attrs,
                            std::span<const OutputSpec>(specs.data(), specs.size()));
  return OutputTangents(out.begin(), out.end());
}

Tensor GradContext::zeros_for(const Tensor& output) { return zeros_like(output); }

GradFn gradient_function(const OpDef& op) {
  if (!op.gradient) throw LookupError(std::string("gradient registry has no entry for: ") + op.name);
  auto fn = reinterpret_cast<GradFn>(const_cast<void*>(op.gradient));
  return fn == &not_differentiable_marker ? nullptr : fn;
}

Tensor unbroadcast(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  Tensor g = grad;
  const int extra = g.ndim() - shape.rank();
  if (extra > 0) {
    std::vector<int> lead;
    for (int i = 0; i < extra; ++i) lead.push_back(i);
    g = reduce_sum(g, lead);
  }
  std::vector<int> ones;
  for (int i = 0; i < shape.rank(); ++i)
    if (shape[i] == 1 && g.shape()[i] != 1) ones.push_back(i);
  if (!ones.empty()) g = reduce_sum(g, ones, /*keepdims=*/true);
  return g;
}

}  // namespace tapeflow::autograd
