// ForwardAccumulator: the per-thread list of recording accumulators, the JVP of one op (an
// explicit rule, else the double VJP of its gradient rule), and the accumulator's bookkeeping.
//
// Note [Nesting tapes and accumulators]: tapes and accumulators are ordered by creation (their
// nesting_id, taken from the tensor-id clock). While accumulator A computes the JVP of an op,
// the tapes and accumulators created at or after A are paused, so only the outer ones record
// that computation, as TF does. An accumulator around a tape thus sees the tape's gradient ops
// and gives Hessian-vector products (forward over backward); a tape around an accumulator records
// the JVP ops and differentiates them (backward over forward). Accumulators get each op after
// the tapes, outermost first: an outer one then knows the op's outputs' tangents before an inner
// one's JVP reads those outputs.
#include "tapeflow/autograd/forward_accumulator.h"

#include <algorithm>

#include "tapeflow/core/logging.h"
#include "tapeflow/core/ops/creation.h"

namespace tapeflow {
namespace {
using autodiff::ForwardAccumulator;

thread_local std::vector<ForwardAccumulator*> t_accumulators;  // recording ones, by nesting_id

void add_recording(ForwardAccumulator* acc) {
  auto at = std::upper_bound(
      t_accumulators.begin(), t_accumulators.end(), acc,
      [](const ForwardAccumulator* a, const ForwardAccumulator* b) { return a->nesting_id() < b->nesting_id(); });
  t_accumulators.insert(at, acc);
  autograd::detail::sync_hook_depth();
}
void remove_recording(ForwardAccumulator* acc) {
  auto it = std::find(t_accumulators.begin(), t_accumulators.end(), acc);
  if (it != t_accumulators.end()) t_accumulators.erase(it);
  autograd::detail::sync_hook_depth();
}

/// Pauses the tapes and accumulators created at or after `nesting_id` for its lifetime.
class PauseInner {
 public:
  explicit PauseInner(uint64_t nesting_id) : tapes_(nesting_id) {
    for (ForwardAccumulator* acc : t_accumulators)
      if (acc->nesting_id() >= nesting_id) paused_.push_back(acc);
    for (ForwardAccumulator* acc : paused_) remove_recording(acc);
  }
  ~PauseInner() {
    for (ForwardAccumulator* acc : paused_) add_recording(acc);
  }
  PauseInner(const PauseInner&) = delete;
  PauseInner& operator=(const PauseInner&) = delete;

 private:
  autograd::PauseAllTapes tapes_;
  std::vector<ForwardAccumulator*> paused_;
};

bool differentiable_dtype(DType dt) { return is_floating(dt); }

// TF's double-VJP construction: the gradient rule g(dy) = Jᵀ dy is linear in dy and written with
// public ops, so a tape watching dy differentiates <g(dy), t> with respect to dy: J t.
autograd::OutputTangents double_vjp(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs,
                                    std::span<const Tensor> outputs, std::span<const Tensor> tangents) {
  autograd::GradFn fn = autograd::gradient_function(op);  // LookupError when the op has no rule
  if (!fn) return {};                                     // not differentiable: no tangents
  TensorList dys(outputs.size());
  std::vector<Source> sources;
  std::vector<std::size_t> source_output;
  uint64_t received = 0, needed = 0;
  GradientTape inner;
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    if (!differentiable_dtype(outputs[k].dtype())) continue;
    dys[k] = zeros_like(outputs[k]);
    inner.watch(dys[k]);
    sources.emplace_back(dys[k]);
    source_output.push_back(k);
    if (k < 64) received |= uint64_t{1} << k;
  }
  for (std::size_t k = 0; k < tangents.size() && k < 64; ++k)
    if (tangents[k].defined()) needed |= uint64_t{1} << k;
  autograd::GradContext ctx{op, inputs, outputs, attrs, std::span<Tensor>(dys.data(), dys.size()), received, needed};
  autograd::InputGrads grads = fn(ctx);
  inner.stop();
  std::vector<Tensor> targets, seeds;
  for (std::size_t k = 0; k < tangents.size() && k < grads.size(); ++k) {
    if (!tangents[k].defined() || !grads[k] || !differentiable_dtype(grads[k]->dtype())) continue;
    targets.push_back(*grads[k]);
    seeds.push_back(tangents[k].device() == grads[k]->device() ? tangents[k] : tangents[k].to(grads[k]->device()));
  }
  autograd::OutputTangents out(outputs.size());
  if (targets.empty() || sources.empty()) return out;
  GradientList jv = inner.gradient(targets, sources, {.output_gradients = seeds});
  for (std::size_t s = 0; s < sources.size(); ++s) out[source_output[s]] = jv[s].as_optional();
  return out;
}
}  // namespace

namespace autograd::detail {
int recording_accumulators() noexcept { return static_cast<int>(t_accumulators.size()); }

void record_on_accumulators(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs,
                            std::span<const Tensor> outputs) {
  const std::vector<ForwardAccumulator*> accumulators = t_accumulators;  // JVPs pause some of them
  for (ForwardAccumulator* acc : accumulators) acc->record(op, inputs, attrs, outputs);
}

OutputTangents compute_jvp(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs,
                           std::span<const Tensor> outputs, std::span<const Tensor> tangents, uint64_t nesting_id) {
  bool floating_output = false;
  for (const Tensor& o : outputs) floating_output |= differentiable_dtype(o.dtype());
  if (!floating_output) return {};
  PauseInner pause(nesting_id);
  OutputTangents out;
  if (JvpFn fn = jvp_function(op)) {
    out = fn(JvpContext{op, inputs, outputs, attrs, tangents});
  } else {
    out = double_vjp(op, inputs, attrs, outputs, tangents);
  }
  out.resize(outputs.size());
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    std::optional<Tensor>& t = out[k];
    if (!t) continue;
    const Tensor& y = outputs[k];
    if (!differentiable_dtype(y.dtype())) {
      t.reset();
      continue;
    }
    TF_CHECK_TYPED(t->shape() == y.shape() && t->dtype() == y.dtype(), InternalError, op.name, "the JVP of ", op.name,
                   " output ", k, " has shape ", t->shape().to_string(), " and dtype ", dtype_name(t->dtype()),
                   " but the output has shape ", y.shape().to_string(), " and dtype ", dtype_name(y.dtype()));
    if (t->device() != y.device()) t = t->to(y.device());  // a tangent lives on its tensor's device
  }
  return out;
}
}  // namespace autograd::detail

namespace autodiff {

ForwardAccumulator::ForwardAccumulator(const std::vector<Source>& primals, const std::vector<Tensor>& tangents)
    : nesting_id_(tapeflow::detail::next_tensor_id()) {
  TF_CHECK_ARG(primals.size() == tangents.size(), "ForwardAccumulator",
               "primals and tangents must have the same structure: got ", primals.size(), " primals and ",
               tangents.size(), " tangents");
  for (std::size_t i = 0; i < primals.size(); ++i) {
    const Source& p = primals[i];
    Tensor t = tangents[i];
    TF_CHECK_ARG(t.defined(), "ForwardAccumulator", "tangent ", i, " is an undefined tensor");
    if (!differentiable_dtype(p.dtype()))
      logging::warning(std::string("The dtype of the watched primal must be floating (e.g. tf.float32), got ") +
                       std::string(dtype_name(p.dtype())));
    TF_CHECK_ARG(t.dtype() == p.dtype(), "ForwardAccumulator", "Tensor conversion requested dtype ",
                 dtype_name(p.dtype()), " for Tensor with dtype ", dtype_name(t.dtype()), " (tangent ", i,
                 " of a primal of dtype ", dtype_name(p.dtype()), ")");
    TF_CHECK_ARG(t.shape() == p.shape(), "ForwardAccumulator", "tangent ", i, " has shape ", t.shape().to_string(),
                 " but its primal has shape ", p.shape().to_string());
    if (t.device() != p.device()) t = t.to(p.device());
    auto [slot, fresh] =
        p.is_variable() ? var_tangents_.try_emplace(p.variable().id()) : tangents_.try_emplace(p.tensor().id());
    TF_CHECK_ARG(fresh, "ForwardAccumulator", "primal ", i,
                 " was specified as a primal multiple times. This may "
                 "indicate an error. If it was intended, please sum the corresponding tangents.");
    *slot = std::move(t);
  }
  resume();
}

ForwardAccumulator::~ForwardAccumulator() { stop(); }

void ForwardAccumulator::stop() {
  if (!recording_) return;
  recording_ = false;
  remove_recording(this);
}

void ForwardAccumulator::resume() {
  TF_CHECK_ARG(!recording_, "ForwardAccumulator", "Accumulator is already recording.");
  ensure_initialized();
  recording_ = true;
  add_recording(this);
}

const Tensor* ForwardAccumulator::tangent_of(const Tensor& t) const {
  if (const Tensor* found = tangents_.find(t.id())) return found;
  // A read of a watched variable made while this accumulator existed carries the variable's tangent.
  const auto& vi = t.unsafe_impl()->variable;
  if (!vi || t.id() <= nesting_id_ || var_tangents_.size() == 0) return nullptr;
  return var_tangents_.find(Variable(vi).id());
}

void ForwardAccumulator::record(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs,
                                std::span<const Tensor> outputs) {
  if (!recording_) return;
  TensorList in_tangents(inputs.size());
  bool any = false;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (!differentiable_dtype(inputs[k].dtype())) continue;
    if (const Tensor* t = tangent_of(inputs[k])) {
      in_tangents[k] = *t;
      any = true;
    }
  }
  if (!any) return;
  autograd::OutputTangents out = autograd::detail::compute_jvp(
      op, inputs, attrs, outputs, std::span<const Tensor>(in_tangents.data(), in_tangents.size()), nesting_id_);
  for (std::size_t k = 0; k < outputs.size() && k < out.size(); ++k)
    if (out[k]) *tangents_.try_emplace(outputs[k].id()).first = std::move(*out[k]);
}

std::optional<Tensor> ForwardAccumulator::jvp(const Tensor& t, UnconnectedGradients unconnected) const {
  if (const Tensor* found = tangent_of(t)) return *found;
  if (unconnected == UnconnectedGradients::Zero) {
    DeviceScope on(t.device());
    return zeros(t.shape(), t.dtype());
  }
  return std::nullopt;
}

std::optional<Tensor> ForwardAccumulator::jvp(const Variable& v, UnconnectedGradients unconnected) const {
  if (const Tensor* found = var_tangents_.find(v.id())) return *found;
  if (unconnected == UnconnectedGradients::Zero) {
    DeviceScope on(v.device());
    return zeros(v.shape(), v.dtype());
  }
  return std::nullopt;
}

std::vector<std::optional<Tensor>> ForwardAccumulator::jvp(const std::vector<Tensor>& ts,
                                                           UnconnectedGradients unconnected) const {
  std::vector<std::optional<Tensor>> out;
  out.reserve(ts.size());
  for (const Tensor& t : ts) out.push_back(jvp(t, unconnected));
  return out;
}

}  // namespace autodiff
}  // namespace tapeflow
