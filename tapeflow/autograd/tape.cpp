// The tape: recording (called from the op door through the tape hook) and the reverse pass.
#include "tapeflow/autograd/tape.h"

#include <algorithm>

#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/core/logging.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/math.h"

namespace tapeflow {

struct GradientTape::Entry {
  const OpDef* op;
  TensorList inputs;
  TensorList outputs;
  std::unique_ptr<OpAttrs> attrs;
};

namespace {
thread_local std::vector<GradientTape*> t_recording_tapes;

void tape_hook(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs,
               std::span<const Tensor> outputs) {
  // Copy: recording never starts or stops tapes, but keep iteration safe regardless.
  for (GradientTape* tape : t_recording_tapes) tape->record(op, inputs, attrs, outputs);
}

void sync_depth() { tape_hook_depth() = static_cast<int>(t_recording_tapes.size()); }

/// Pauses one tape's recording for the duration of its own backward pass, so the gradient
/// ops are recorded only by outer tapes (which is what makes higher-order gradients work).
struct PauseRecording {
  GradientTape* tape;
  bool was;
  explicit PauseRecording(GradientTape* t) : tape(t), was(t->recording()) { if (was) tape->stop(); }
  ~PauseRecording() { if (was) tape->resume(); }
};

bool differentiable_dtype(DType dt) { return is_floating(dt); }
}  // namespace

GradientTape::GradientTape(GradientTapeOptions options) : options_(options) { resume(); }
GradientTape::~GradientTape() { stop(); }

void GradientTape::stop() {
  if (!recording_) return;
  recording_ = false;
  auto it = std::find(t_recording_tapes.begin(), t_recording_tapes.end(), this);
  if (it != t_recording_tapes.end()) t_recording_tapes.erase(it);
  sync_depth();
}

void GradientTape::resume() {
  if (recording_) return;
  ensure_initialized();
  recording_ = true;
  t_recording_tapes.push_back(this);
  sync_depth();
}

void GradientTape::watch(const Tensor& t) {
  if (!differentiable_dtype(t.dtype())) {
    logging::warning(std::string("The dtype of the watched tensor must be floating (e.g. tf.float32), got ") +
                     std::string(dtype_name(t.dtype())));
  }
  if (t.unsafe_impl()->variable) {
    watch(Variable(t.unsafe_impl()->variable));
    return;
  }
  tracked_.insert(t.id());
}

void GradientTape::watch(const Variable& v) {
  if (watched_vars_.emplace(v.id(), v).second) watch_order_.push_back(v.id());
}

std::vector<Variable> GradientTape::watched_variables() const {
  std::vector<Variable> out;
  for (uint64_t id : watch_order_) out.push_back(watched_vars_.at(id));
  return out;
}

bool GradientTape::is_tracked(const Tensor& t) const {
  const TensorImpl* impl = t.unsafe_impl();
  if (impl->variable) {
    Variable v(impl->variable);
    return watched_vars_.count(v.id()) || (options_.watch_accessed_variables && v.trainable());
  }
  return tracked_.count(impl->id) != 0;
}

void GradientTape::record(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs,
                          std::span<const Tensor> outputs) {
  bool any = false;
  for (const Tensor& t : inputs) any |= is_tracked(t);
  if (!any) return;
  auto e = std::make_unique<Entry>();
  e->op = &op;
  e->inputs.append(inputs.begin(), inputs.end());
  e->outputs.append(outputs.begin(), outputs.end());
  if (attrs) e->attrs = attrs->clone();
  for (const Tensor& t : inputs) {
    if (const auto& vi = t.unsafe_impl()->variable) {
      Variable v(vi);
      if (!watched_vars_.count(v.id()) && options_.watch_accessed_variables && v.trainable()) watch(v);
      if (watched_vars_.count(v.id())) var_reads_[v.id()].push_back(t);
    }
  }
  for (const Tensor& t : outputs) tracked_.insert(t.id());
  entries_.push_back(std::move(e));
}

void GradientTape::check_usable(const char* what) {
  if (used_ && !options_.persistent)
    throw RuntimeError(std::string("A non-persistent GradientTape can only be used to compute one set of "
                                   "gradients (or jacobians); ") + what +
                       " was called again. Use tf::GradientTape tape({.persistent = true}).");
}

std::vector<std::optional<Tensor>> GradientTape::compute(const std::vector<Tensor>& targets,
                                                         const std::vector<Source>& sources,
                                                         const std::vector<Tensor>& output_gradients,
                                                         UnconnectedGradients unconnected) {
  PauseRecording pause(this);
  TF_CHECK_ARG(output_gradients.empty() || output_gradients.size() == targets.size(), "GradientTape.gradient",
               "output_gradients must have one entry per target: got ", output_gradients.size(), " for ",
               targets.size(), " targets");

  // Forward sweep: which tensors depend on a source? Only entries on such paths are visited
  // backwards, so an op with no gradient rule elsewhere on the tape raises nothing.
  std::unordered_set<uint64_t> reachable;
  for (const Source& s : sources) {
    if (s.is_variable()) {
      auto it = var_reads_.find(s.variable().id());
      if (it != var_reads_.end()) for (const Tensor& r : it->second) reachable.insert(r.id());
    } else {
      reachable.insert(s.tensor().id());
    }
  }
  std::vector<const Entry*> path;
  for (const auto& e : entries_) {
    bool hit = false;
    for (const Tensor& t : e->inputs) hit |= reachable.count(t.id()) != 0;
    if (!hit) continue;
    for (const Tensor& t : e->outputs) reachable.insert(t.id());
    path.push_back(e.get());
  }

  // Backward sweep.
  std::unordered_map<uint64_t, Tensor> grads;
  auto accumulate = [&](const Tensor& at, Tensor g) {
    if (g.device() != at.device()) g = g.to(at.device());  // a gradient lives on its tensor's device
    auto [it, fresh] = grads.emplace(at.id(), g);
    if (!fresh) it->second = add(it->second, g);
  };
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const Tensor& t = targets[i];
    Tensor seed = output_gradients.empty() ? ones_like(t) : output_gradients[i];
    TF_CHECK_ARG(seed.shape() == t.shape() && seed.dtype() == t.dtype(), "GradientTape.gradient",
                 "output_gradients[", i, "] has shape ", seed.shape().to_string(), " and dtype ",
                 dtype_name(seed.dtype()), " but the target has shape ", t.shape().to_string(), " and dtype ",
                 dtype_name(t.dtype()));
    accumulate(t, seed);
  }
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    const Entry& e = **it;
    bool any = false;
    for (const Tensor& o : e.outputs) any |= grads.count(o.id()) != 0;
    if (!any) continue;
    autograd::GradFn fn = autograd::gradient_function(*e.op);
    if (!fn) continue;  // not differentiable: no gradient flows through
    TensorList out_grads;
    for (const Tensor& o : e.outputs) {
      auto g = grads.find(o.id());
      out_grads.push_back(g != grads.end() ? g->second : zeros_like(o));
    }
    autograd::GradContext ctx{*e.op,
                              std::span<const Tensor>(e.inputs.data(), e.inputs.size()),
                              std::span<const Tensor>(e.outputs.data(), e.outputs.size()),
                              e.attrs.get(),
                              std::span<const Tensor>(out_grads.data(), out_grads.size())};
    autograd::InputGrads in_grads = fn(ctx);
    for (std::size_t k = 0; k < e.inputs.size() && k < in_grads.size(); ++k) {
      if (!in_grads[k] || !reachable.count(e.inputs[k].id())) continue;
      if (!differentiable_dtype(e.inputs[k].dtype())) continue;
      accumulate(e.inputs[k], *in_grads[k]);
    }
  }

  std::vector<std::optional<Tensor>> out;
  for (const Source& s : sources) {
    std::optional<Tensor> g;
    if (!differentiable_dtype(s.dtype())) {
      logging::warning(std::string("The dtype of the source tensor must be floating (e.g. tf.float32) when "
                                   "calling GradientTape.gradient, got ") + std::string(dtype_name(s.dtype())));
      out.push_back(std::nullopt);
      continue;
    }
    if (s.is_variable()) {
      auto it = var_reads_.find(s.variable().id());
      if (it != var_reads_.end()) {
        for (const Tensor& r : it->second) {
          auto gi = grads.find(r.id());
          if (gi == grads.end()) continue;
          g = g ? add(*g, gi->second) : gi->second;
        }
      }
    } else {
      auto gi = grads.find(s.tensor().id());
      if (gi != grads.end()) g = gi->second;
    }
    if (!g && unconnected == UnconnectedGradients::Zero) {
      DeviceScope on(s.device());
      g = zeros(s.shape(), s.dtype());
    }
    out.push_back(std::move(g));
  }
  if (!options_.persistent) {
    used_ = true;
    entries_.clear();  // a non-persistent tape frees what it kept as soon as gradient returns
    var_reads_.clear();
  }
  return out;
}

std::optional<Tensor> GradientTape::gradient(const Tensor& target, const Source& source,
                                             const GradientOptions& options) {
  return gradient(std::vector<Tensor>{target}, source, options);
}
std::optional<Tensor> GradientTape::gradient(const std::vector<Tensor>& targets, const Source& source,
                                             const GradientOptions& options) {
  check_usable("gradient");
  return compute(targets, {source}, options.output_gradients, options.unconnected_gradients)[0];
}
std::vector<std::optional<Tensor>> GradientTape::gradient(const Tensor& target, const std::vector<Variable>& sources,
                                                          const GradientOptions& options) {
  return gradient(std::vector<Tensor>{target}, std::vector<Source>(sources.begin(), sources.end()), options);
}
std::vector<std::optional<Tensor>> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources,
                                                          const GradientOptions& options) {
  return gradient(std::vector<Tensor>{target}, std::vector<Source>(sources.begin(), sources.end()), options);
}
std::vector<std::optional<Tensor>> GradientTape::gradient(const std::vector<Tensor>& targets,
                                                          const std::vector<Source>& sources,
                                                          const GradientOptions& options) {
  check_usable("gradient");
  return compute(targets, sources, options.output_gradients, options.unconnected_gradients);
}
std::map<std::string, std::optional<Tensor>> GradientTape::gradient(const Tensor& target,
                                                                    const std::map<std::string, Variable>& sources,
                                                                    const GradientOptions& options) {
  std::vector<Source> list;
  for (const auto& [k, v] : sources) list.emplace_back(v);
  auto g = gradient(std::vector<Tensor>{target}, list, options);
  std::map<std::string, std::optional<Tensor>> out;
  std::size_t i = 0;
  for (const auto& [k, v] : sources) out[k] = g[i++];
  return out;
}
std::map<std::string, std::optional<Tensor>> GradientTape::gradient(const Tensor& target,
                                                                    const std::map<std::string, Tensor>& sources,
                                                                    const GradientOptions& options) {
  std::vector<Source> list;
  for (const auto& [k, v] : sources) list.emplace_back(v);
  auto g = gradient(std::vector<Tensor>{target}, list, options);
  std::map<std::string, std::optional<Tensor>> out;
  std::size_t i = 0;
  for (const auto& [k, v] : sources) out[k] = g[i++];
  return out;
}

// Jacobians: one backward pass per target element, seeded with a one-hot output gradient. The
// tape is held (not released) until the last pass, so a non-persistent tape allows one jacobian.
std::optional<Tensor> GradientTape::jacobian(const Tensor& target, const Source& source,
                                             UnconnectedGradients unconnected) {
  check_usable("jacobian");
  const int64_t n = target.size();
  const bool persistent = options_.persistent;
  options_.persistent = true;
  std::vector<Tensor> rows;
  bool connected = false;
  try {
    for (int64_t i = 0; i < n; ++i) {
      Tensor seed;
      {
        DeviceScope on(target.device());
        seed = reshape(one_hot(scalar_tensor(i, DType::kInt64), n, 1, 0, -1, target.dtype()), target.shape());
      }
      auto g = compute({target}, {source}, {seed}, UnconnectedGradients::None);
      if (g[0]) connected = true;
      DeviceScope on(source.device());
      rows.push_back(g[0] ? *g[0] : zeros(source.shape(), source.dtype()));
    }
  } catch (...) {
    options_.persistent = persistent;
    throw;
  }
  options_.persistent = persistent;
  if (!persistent) {
    used_ = true;
    entries_.clear();
    var_reads_.clear();
  }
  if (!connected && unconnected == UnconnectedGradients::None) return std::nullopt;
  Shape out_shape = target.shape();
  for (int64_t d : source.shape().dims()) out_shape.push_back(d);
  if (rows.empty()) {
    DeviceScope on(source.device());
    return zeros(out_shape, source.dtype());
  }
  return reshape(stack(rows), out_shape);
}

std::optional<Tensor> GradientTape::batch_jacobian(const Tensor& target, const Source& source,
                                                   UnconnectedGradients unconnected) {
  check_usable("batch_jacobian");
  TF_CHECK_ARG(target.ndim() >= 1 && source.shape().rank() >= 1 && target.shape()[0] == source.shape()[0],
               "GradientTape.batch_jacobian", "target and source need the same leading (batch) dimension: got ",
               target.shape().to_string(), " and ", source.shape().to_string());
  const int64_t batch = target.shape()[0];
  const int64_t per_row = batch == 0 ? 0 : target.size() / batch;
  const bool persistent = options_.persistent;
  options_.persistent = true;
  std::vector<Tensor> cols;
  bool connected = false;
  try {
    for (int64_t j = 0; j < per_row; ++j) {
      Tensor seed;
      {
        DeviceScope on(target.device());
        Tensor row = one_hot(scalar_tensor(j, DType::kInt64), per_row, 1, 0, -1, target.dtype());
        seed = reshape(broadcast_to(row, Shape{batch, per_row}), target.shape());
      }
      auto g = compute({target}, {source}, {seed}, UnconnectedGradients::None);
      if (g[0]) connected = true;
      DeviceScope on(source.device());
      cols.push_back(g[0] ? *g[0] : zeros(source.shape(), source.dtype()));
    }
  } catch (...) {
    options_.persistent = persistent;
    throw;
  }
  options_.persistent = persistent;
  if (!persistent) {
    used_ = true;
    entries_.clear();
    var_reads_.clear();
  }
  if (!connected && unconnected == UnconnectedGradients::None) return std::nullopt;
  Shape out_shape = target.shape();
  for (int i = 1; i < source.shape().rank(); ++i) out_shape.push_back(source.shape()[i]);
  if (cols.empty()) {
    DeviceScope on(source.device());
    return zeros(out_shape, source.dtype());
  }
  return reshape(stack(cols, 1), out_shape);
}

namespace autograd::detail {
void install_tape_hook() { set_tape_hook(tape_hook); }
}  // namespace autograd::detail

}  // namespace tapeflow
