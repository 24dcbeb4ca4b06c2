// The tape: recording (called from the op door through the tape hook) and the reverse pass.
#include "tapeflow/autograd/tape.h"

#include <algorithm>
#include <bit>

#include "tapeflow/autograd/forward_accumulator.h"
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/core/logging.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow {

struct GradientTape::Entry {
  const OpDef* op = nullptr;
  TensorList inputs;
  TensorList outputs;
  std::unique_ptr<OpAttrs> attrs;
};

/// The recorded entries, in blocks of 4, 8, 16, ... entries: few allocations, and addresses that
/// stay put while a recording persistent tape appends its own gradient ops during a backward
/// pass. Small first blocks matter: glibc consolidates its free lists on every allocation of
/// 1 KiB or more, which cost a short tape microseconds with one fixed 64-entry block.
class GradientTape::EntryLog {
 public:
  Entry& push_back() {
    const auto [block, offset] = locate(size_);
    if (block == blocks_.size()) blocks_.push_back(std::make_unique<Entry[]>(kFirst << block));
    ++size_;
    return blocks_[block][offset];
  }
  const Entry& operator[](std::size_t i) const {
    const auto [block, offset] = locate(i);
    return blocks_[block][offset];
  }
  std::size_t size() const { return size_; }
  void clear() {
    blocks_.clear();
    size_ = 0;
  }

 private:
  static constexpr std::size_t kFirst = 4;
  /// Block k holds entries [kFirst * (2^k - 1), kFirst * (2^(k+1) - 1)).
  static std::pair<std::size_t, std::size_t> locate(std::size_t i) {
    const std::size_t block = static_cast<std::size_t>(std::bit_width(i / kFirst + 1)) - 1;
    return {block, i - kFirst * ((std::size_t{1} << block) - 1)};
  }
  std::vector<std::unique_ptr<Entry[]>> blocks_;
  std::size_t size_ = 0;
};

namespace {
thread_local std::vector<GradientTape*> t_recording_tapes;

void tape_hook(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs, std::span<const Tensor> outputs) {
  // A tape's gradient pass may record into an outer tape, never start or stop one: iterate a copy anyway.
  const std::vector<GradientTape*> tapes = t_recording_tapes;
  for (GradientTape* tape : tapes) tape->record(op, inputs, attrs, outputs);
  // Accumulators after tapes: an accumulator's JVP ops are then recorded after the op itself.
  if (autograd::detail::recording_accumulators() > 0)
    autograd::detail::record_on_accumulators(op, inputs, attrs, outputs);
}

void sync_depth() { autograd::detail::sync_hook_depth(); }

/// TF's backprop_util.IsTrainable: only floating tensors carry gradients.
bool differentiable_dtype(DType dt) { return is_floating(dt); }

const VariableImpl* variable_of(const Tensor& t) { return t.unsafe_impl()->variable.get(); }
}  // namespace

namespace autograd {
PauseAllTapes::PauseAllTapes(uint64_t created_from) {
  for (GradientTape* tape : t_recording_tapes)
    if (tape->nesting_id() >= created_from) paused_.push_back(tape);
  for (GradientTape* tape : paused_) tape->stop();
}
PauseAllTapes::~PauseAllTapes() {
  for (GradientTape* tape : paused_) tape->resume();
}
}  // namespace autograd

GradientTape::GradientTape(GradientTapeOptions options)
    : options_(options), first_id_(detail::next_tensor_id()), entries_(std::make_unique<EntryLog>()) {
  resume();
}
GradientTape::~GradientTape() { stop(); }

void GradientTape::stop() {
  if (!recording_) return;
  recording_ = false;
  auto it = std::find(t_recording_tapes.begin(), t_recording_tapes.end(), this);
  if (it != t_recording_tapes.end()) t_recording_tapes.erase(it);
  sync_depth();
}

void GradientTape::resume() {
  if (recording_ || (used_ && !options_.persistent)) return;
  ensure_initialized();
  recording_ = true;
  t_recording_tapes.push_back(this);
  sync_depth();
}

void GradientTape::watch(const Tensor& t) {
  if (!differentiable_dtype(t.dtype()))
    logging::warning(std::string("The dtype of the watched tensor must be floating (e.g. tf.float32), got ") +
                     std::string(dtype_name(t.dtype())));
  tracked_.insert(t.id());
}

void GradientTape::watch(const Variable& v) {
  auto [index, fresh] = watched_index_.try_emplace(v.id());
  if (!fresh) return;
  *index = static_cast<uint32_t>(watched_vars_.size());
  watched_vars_.push_back(v);
}

std::vector<Variable> GradientTape::watched_variables() const { return watched_vars_; }

bool GradientTape::is_tracked(const Tensor& t) const {
  if (tracked_.contains(t.id())) return true;
  const auto& vi = t.unsafe_impl()->variable;
  if (!vi || t.id() <= first_id_) return false;
  const Variable v(vi);
  return watched_index_.contains(v.id()) || (options_.watch_accessed_variables && v.trainable());
}

// TF's GradientTape::ShouldRecord: an op is kept when a watched input has a trainable (floating)
// dtype. Integer results of a kept op (argmax, casts to int) therefore stop the gradient.
void GradientTape::record(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs,
                          std::span<const Tensor> outputs) {
  bool any = false;
  for (const Tensor& t : inputs) any |= differentiable_dtype(t.dtype()) && is_tracked(t);
  if (!any) return;
  const Entry* previous = entries_->size() > 0 ? &(*entries_)[entries_->size() - 1] : nullptr;
  Entry& e = entries_->push_back();
  e.op = &op;
  // Values the op's gradient rule never reads are kept without their data. In a chain of ops the
  // previous entry often holds the data-less stand-in of an input already: share it.
  auto without_data = [previous](const Tensor& t) {
    if (previous)
      for (const Tensor& o : previous->outputs)
        if (o.id() == t.id() && !o.unsafe_impl()->storage) return o;
    return detail::without_data(t);
  };
  auto keep = [&](std::span<const Tensor> values, uint64_t reads, TensorList& into) {
    into.reserve(values.size());
    for (std::size_t k = 0; k < values.size(); ++k)
      into.push_back(k >= 64 || ((reads >> k) & 1u) ? values[k] : without_data(values[k]));
  };
  keep(inputs, op.gradient_reads_inputs, e.inputs);
  keep(outputs, op.gradient_reads_outputs, e.outputs);
  if (attrs) e.attrs = attrs->clone();
  for (const Tensor& t : inputs) {
    if (const auto& vi = t.unsafe_impl()->variable; vi && t.id() > first_id_) {
      const Variable v(vi);
      if (!watched_index_.contains(v.id())) {
        if (!options_.watch_accessed_variables || !v.trainable()) continue;
        watch(v);
      }
      var_reads_.try_emplace(v.id()).first->push_back(t.id());
    }
  }
  for (const Tensor& t : outputs) tracked_.insert(t.id());
}

GradientTape::Use GradientTape::begin_use(const char* what) {
  if (options_.persistent) return Use{this};
  if (used_)
    throw RuntimeError(std::string("A non-persistent GradientTape can only be used to compute one set of "
                                   "gradients (or jacobians); ") +
                       what + " was called again. Use tf::GradientTape tape({.persistent = true}).");
  stop();
  used_ = true;
  return Use{this};
}

void GradientTape::end_use() {
  if (!options_.persistent) release();
}

void GradientTape::release() {
  entries_->clear();  // a non-persistent tape frees what it kept as soon as gradient returns
  var_reads_.clear();
  tracked_.clear();
}

GradientList GradientTape::compute(const std::vector<Tensor>& targets, const std::vector<Source>& sources,
                                   const std::vector<Tensor>& output_gradients, UnconnectedGradients unconnected) {
  TF_CHECK_ARG(output_gradients.empty() || output_gradients.size() == targets.size(), "GradientTape.gradient",
               "output_gradients must have one entry per target: got ", output_gradients.size(), " for ",
               targets.size(), " targets");
  for (const Tensor& t : targets)
    if (!differentiable_dtype(t.dtype()))
      logging::warning(std::string("The dtype of the target tensor must be floating (e.g. tf.float32) when "
                                   "calling GradientTape.gradient, got ") +
                       std::string(dtype_name(t.dtype())));

  // The tensors that stand for each source: a watched tensor itself; for a variable, its recorded
  // reads and any target that is a read of it (TF differentiates the variable's handle).
  std::vector<util::SmallVector<uint64_t, 2>> source_ids(sources.size());
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const Source& s = sources[i];
    if (!s.is_variable()) {
      // TF differentiates only with respect to what the tape tracks: a watched tensor or a value
      // computed from watched ones. A constant never watched (the seed's x3 in y = x0*x0 + x3)
      // gives None even when a recorded op consumed it (TF drops the gradient of an input that
      // has no entry on its tensor tape). A source that is itself a target still gets the
      // target's seed, as TF's sources_that_are_targets.
      const uint64_t id = s.tensor().id();
      bool is_target = false;
      for (const Tensor& t : targets) is_target = is_target || t.id() == id;
      if (is_target || tracked_.contains(id)) source_ids[i].push_back(id);
      continue;
    }
    if (const auto* reads = var_reads_.find(s.variable().id())) source_ids[i] = *reads;
    for (const Tensor& t : targets)
      if (variable_of(t) == s.variable().impl().get()) source_ids[i].push_back(t.id());
  }

  // Forward sweep: which tensors depend on a source? Only entries on such paths are visited
  // backwards, so an op with no gradient rule elsewhere on the tape raises nothing. A tensor is on
  // a path when `on_path` has it; kSource marks the sources' own tensors, whose gradients are the
  // results and so are kept when their entry consumes them.
  constexpr uint8_t kSource = 1;
  const std::size_t recorded = entries_->size();  // a recording persistent tape appends its own gradient ops
  autograd::IdMap<uint8_t> on_path;
  on_path.reserve(2 * recorded + 8);
  for (const auto& ids : source_ids)
    for (uint64_t id : ids) *on_path.try_emplace(id).first = kSource;
  std::vector<const Entry*> path;
  path.reserve(recorded);
  for (std::size_t n = 0; n < recorded; ++n) {
    const Entry& e = (*entries_)[n];
    bool hit = false;
    for (const Tensor& t : e.inputs) hit = hit || on_path.contains(t.id());
    if (!hit) continue;
    for (const Tensor& t : e.outputs) on_path.try_emplace(t.id());
    path.push_back(&e);
  }

  // Backward sweep. An output's gradient is complete once its entry is reached (its consumers were
  // recorded later, so they ran first): the entry takes it out of `grads`, which thus holds only
  // the frontier and frees each gradient as soon as it is used.
  autograd::IdMap<Tensor> grads;
  grads.reserve(2 * path.size() + 8);
  auto accumulate = [&](const Tensor& at, Tensor g) {
    if (g.device() != at.device()) g = g.to(at.device());  // a gradient lives on its tensor's device
    auto [slot, fresh] = grads.try_emplace(at.id());
    *slot = fresh ? std::move(g) : add(*slot, g);
  };
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const Tensor& t = targets[i];
    Tensor seed = output_gradients.empty() ? ones_like(t) : output_gradients[i];
    TF_CHECK_ARG(seed.shape() == t.shape() && seed.dtype() == t.dtype(), "GradientTape.gradient", "output_gradients[",
                 i, "] has shape ", seed.shape().to_string(), " and dtype ", dtype_name(seed.dtype()),
                 " but the target has shape ", t.shape().to_string(), " and dtype ", dtype_name(t.dtype()));
    if (differentiable_dtype(t.dtype())) accumulate(t, seed);
  }
  auto wants_gradient = [&](const Tensor& input) {
    return differentiable_dtype(input.dtype()) && on_path.contains(input.id());
  };
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    const Entry& e = **it;
    bool any = false;
    for (const Tensor& o : e.outputs) any = any || grads.contains(o.id());
    if (!any) continue;
    autograd::GradFn fn = autograd::gradient_function(*e.op);
    if (!fn) continue;  // not differentiable: no gradient flows through
    // An output no gradient reached stays undefined: GradContext::grad makes its zeros only if
    // the rule asks for them.
    TensorList out_grads(e.outputs.size());
    uint64_t received = 0;
    for (std::size_t k = 0; k < e.outputs.size(); ++k) {
      const uint64_t id = e.outputs[k].id();
      Tensor* g = grads.find(id);
      if (!g) continue;
      if (k < 64) received |= uint64_t{1} << k;
      if (*on_path.find(id) & kSource) {
        out_grads[k] = *g;
      } else {
        out_grads[k] = std::move(*g);
        grads.erase(id);
      }
    }
    uint64_t needed = 0;
    for (std::size_t k = 0; k < e.inputs.size() && k < 64; ++k)
      if (wants_gradient(e.inputs[k])) needed |= uint64_t{1} << k;
    autograd::GradContext ctx{*e.op,
                              std::span<const Tensor>(e.inputs.data(), e.inputs.size()),
                              std::span<const Tensor>(e.outputs.data(), e.outputs.size()),
                              e.attrs.get(),
                              std::span<Tensor>(out_grads.data(), out_grads.size()),
                              received,
                              needed};
    autograd::InputGrads in_grads = fn(ctx);
    for (std::size_t k = 0; k < e.inputs.size() && k < in_grads.size(); ++k) {
      if (!in_grads[k]) continue;
      if (k < 64 ? ((needed >> k) & 1u) == 0 : !wants_gradient(e.inputs[k])) continue;
      accumulate(e.inputs[k], std::move(*in_grads[k]));
    }
  }

  GradientList out;
  out.reserve(sources.size());
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const Source& s = sources[i];
    std::optional<Tensor> g;
    if (!differentiable_dtype(s.dtype())) {
      logging::warning(std::string("The dtype of the source tensor must be floating (e.g. tf.float32) when "
                                   "calling GradientTape.gradient, got ") +
                       std::string(dtype_name(s.dtype())));
      out.push_back(OptionalGradient::none(std::string("the source has dtype ") + std::string(dtype_name(s.dtype())) +
                                           "; only floating sources have gradients"));
      continue;
    }
    util::SmallVector<uint64_t, 4> seen;  // a source's tensors are few (a variable's reads)
    for (uint64_t id : source_ids[i]) {
      const Tensor* gi = grads.find(id);
      if (!gi || std::find(seen.begin(), seen.end(), id) != seen.end()) continue;
      seen.push_back(id);
      g = g ? add(*g, *gi) : *gi;
    }
    if (!g && unconnected == UnconnectedGradients::Zero) {
      DeviceScope on(s.device());
      g = zeros(s.shape(), s.dtype());
    }
    if (g) {
      out.push_back(std::move(*g));
    } else if (!s.is_variable() && source_ids[i].empty()) {
      out.push_back(OptionalGradient::none(
          "the source tensor is not watched by the tape: call tape.watch(x) before computing with it "
          "(trainable variables are watched automatically)"));
    } else {
      out.push_back(
          OptionalGradient::none("the target does not depend on the source (use {.unconnected_gradients = "
                                 "tf::UnconnectedGradients::Zero} for zeros)"));
    }
  }
  return out;
}

OptionalGradient GradientTape::gradient(const Tensor& target, const Source& source, const GradientOptions& options) {
  return gradient(std::vector<Tensor>{target}, std::vector<Source>{source}, options)[0];
}
OptionalGradient GradientTape::gradient(const std::vector<Tensor>& targets, const Source& source,
                                        const GradientOptions& options) {
  return gradient(targets, std::vector<Source>{source}, options)[0];
}
GradientList GradientTape::gradient(const std::vector<Tensor>& targets, const std::vector<Source>& sources,
                                    const GradientOptions& options) {
  const Use use = begin_use("gradient");
  return compute(targets, sources, options.output_gradients, options.unconnected_gradients);
}
std::map<std::string, OptionalGradient> GradientTape::gradient_named(
    const Tensor& target, const std::vector<std::pair<std::string, Source>>& sources, const GradientOptions& options) {
  std::vector<Source> list;
  for (const auto& [k, v] : sources) list.push_back(v);
  auto g = gradient(std::vector<Tensor>{target}, list, options);
  std::map<std::string, OptionalGradient> out;
  std::size_t i = 0;
  for (const auto& [k, v] : sources) out[k] = g[i++];
  return out;
}

namespace {

void check_batch_jacobian_args(const Tensor& target, const Source& source) {
  TF_CHECK_ARG(target.ndim() >= 1 && source.shape().rank() >= 1 && target.shape()[0] == source.shape()[0],
               "GradientTape.batch_jacobian", "Need first dimension of target shape (", target.shape().to_string(),
               ") and source shape (", source.shape().to_string(), ") to match.");
}

// The j-th basis direction of a tensor of `shape`: one-hot over all its elements, or, with
// `batch` > 0, one-hot over each row's elements and repeated for every row (batch_jacobian).
Tensor basis_seed(int64_t j, const Shape& shape, DType dtype, const Device& device, int64_t batch = 0) {
  DeviceScope on(device);
  const int64_t n = batch > 0 ? shape.num_elements() / batch : shape.num_elements();
  Tensor seed = one_hot(scalar_tensor(j, DType::kInt64), n, 1, 0, -1, dtype);
  if (batch > 0) seed = broadcast_to(seed, Shape{batch, n});
  return reshape(seed, shape);
}

}  // namespace

// Jacobians: one backward pass per target element, seeded with a one-hot output gradient. The
// recording is released only after the last pass, so a non-persistent tape allows one jacobian.
OptionalGradient GradientTape::jacobian(const Tensor& target, const Source& source, UnconnectedGradients unconnected) {
  const Use use = begin_use("jacobian");
  const int64_t n = target.size();
  std::vector<Tensor> rows;
  bool connected = false;
  for (int64_t i = 0; i < n; ++i) {
    const Tensor seed = basis_seed(i, target.shape(), target.dtype(), target.device());
    auto g = compute({target}, {source}, {seed}, UnconnectedGradients::None);
    if (g[0]) connected = true;
    DeviceScope on(source.device());
    rows.push_back(g[0] ? *g[0] : zeros(source.shape(), source.dtype()));
  }
  if (!connected && unconnected == UnconnectedGradients::None)
    return OptionalGradient::none("the target does not depend on the source");
  Shape out_shape = target.shape();
  const Shape source_shape = source.shape();  // by value: dims() of a temporary would dangle
  for (int64_t d : source_shape.dims()) out_shape.push_back(d);
  DeviceScope on(source.device());
  if (rows.empty()) return zeros(out_shape, source.dtype());
  return reshape(stack(rows), out_shape);
}

OptionalGradient GradientTape::batch_jacobian(const Tensor& target, const Source& source,
                                              UnconnectedGradients unconnected) {
  check_batch_jacobian_args(target, source);
  const Use use = begin_use("batch_jacobian");
  const int64_t batch = target.shape()[0];
  const int64_t per_row = batch == 0 ? 0 : target.size() / batch;
  std::vector<Tensor> cols;
  bool connected = false;
  for (int64_t j = 0; j < per_row; ++j) {
    const Tensor seed = basis_seed(j, target.shape(), target.dtype(), target.device(), batch);
    auto g = compute({target}, {source}, {seed}, UnconnectedGradients::None);
    if (g[0]) connected = true;
    DeviceScope on(source.device());
    cols.push_back(g[0] ? *g[0] : zeros(source.shape(), source.dtype()));
  }
  if (!connected && unconnected == UnconnectedGradients::None)
    return OptionalGradient::none("the target does not depend on the source");
  Shape out_shape = target.shape();
  for (int i = 1; i < source.shape().rank(); ++i) out_shape.push_back(source.shape()[i]);
  DeviceScope on(source.device());
  if (cols.empty()) return zeros(out_shape, source.dtype());
  return reshape(stack(cols, 1), out_shape);
}

// ---- forward-mode Jacobians: the recorded ops replayed forwards, one pass per source element --

util::SmallVector<uint64_t, 2> GradientTape::ids_of(const Source& source) const {
  util::SmallVector<uint64_t, 2> ids;
  if (!source.is_variable()) {
    if (tracked_.contains(source.tensor().id())) ids.push_back(source.tensor().id());
  } else if (const auto* reads = var_reads_.find(source.variable().id())) {
    ids = *reads;
  }
  return ids;
}

std::optional<Tensor> GradientTape::forward_pass(const Tensor& target, const Source& source, const Tensor& tangent) {
  autograd::IdMap<Tensor> tangents;
  for (uint64_t id : ids_of(source)) *tangents.try_emplace(id).first = tangent;
  const std::size_t recorded = entries_->size();  // a recording persistent tape appends the replay's ops
  TensorList in_tangents;
  for (std::size_t n = 0; n < recorded; ++n) {
    const Entry& e = (*entries_)[n];
    in_tangents.clear();
    in_tangents.resize(e.inputs.size());
    bool any = false;
    for (std::size_t k = 0; k < e.inputs.size(); ++k) {
      if (!differentiable_dtype(e.inputs[k].dtype())) continue;
      if (const Tensor* t = tangents.find(e.inputs[k].id())) {
        in_tangents[k] = *t;
        any = true;
      }
    }
    if (!any) continue;
    // Nothing is paused: the replay is this tape's gradient computation, which outer tapes record.
    autograd::OutputTangents out =
        autograd::detail::compute_jvp(*e.op, std::span<const Tensor>(e.inputs.data(), e.inputs.size()), e.attrs.get(),
                                      std::span<const Tensor>(e.outputs.data(), e.outputs.size()),
                                      std::span<const Tensor>(in_tangents.data(), in_tangents.size()), ~uint64_t{0});
    for (std::size_t k = 0; k < e.outputs.size() && k < out.size(); ++k)
      if (out[k]) *tangents.try_emplace(e.outputs[k].id()).first = std::move(*out[k]);
  }
  const Tensor* t = tangents.find(target.id());
  return t ? std::optional<Tensor>(*t) : std::nullopt;
}

OptionalGradient GradientTape::jacobian(const Tensor& target, const Source& source, const JacobianOptions& options) {
  if (!options.forward_mode) return jacobian(target, source, options.unconnected_gradients);
  const Use use = begin_use("jacobian");
  const int64_t n = source.shape().num_elements();
  std::vector<Tensor> columns;
  bool connected = false;
  for (int64_t j = 0; j < n; ++j) {
    const Tensor seed = basis_seed(j, source.shape(), source.dtype(), source.device());
    std::optional<Tensor> t = forward_pass(target, source, seed);
    if (t) connected = true;
    DeviceScope on(target.device());
    columns.push_back(t ? *t : zeros(target.shape(), target.dtype()));
  }
  if (!connected && options.unconnected_gradients == UnconnectedGradients::None)
    return OptionalGradient::none("the target does not depend on the source");
  Shape out_shape = target.shape();
  const Shape source_shape = source.shape();
  for (int64_t d : source_shape.dims()) out_shape.push_back(d);
  DeviceScope on(target.device());
  if (columns.empty()) return zeros(out_shape, target.dtype());
  return reshape(stack(columns, target.ndim()), out_shape);
}

OptionalGradient GradientTape::batch_jacobian(const Tensor& target, const Source& source,
                                              const JacobianOptions& options) {
  if (!options.forward_mode) return batch_jacobian(target, source, options.unconnected_gradients);
  check_batch_jacobian_args(target, source);
  const Use use = begin_use("batch_jacobian");
  const int64_t batch = target.shape()[0];
  const int64_t source_row = batch == 0 ? 0 : source.shape().num_elements() / batch;
  const int64_t target_row = batch == 0 ? 0 : target.size() / batch;
  std::vector<Tensor> columns;
  bool connected = false;
  for (int64_t j = 0; j < source_row; ++j) {
    const Tensor seed = basis_seed(j, source.shape(), source.dtype(), source.device(), batch);
    std::optional<Tensor> t = forward_pass(target, source, seed);
    if (t) connected = true;
    DeviceScope on(target.device());
    columns.push_back(t ? reshape(*t, Shape{batch, target_row}) : zeros(Shape{batch, target_row}, target.dtype()));
  }
  if (!connected && options.unconnected_gradients == UnconnectedGradients::None)
    return OptionalGradient::none("the target does not depend on the source");
  Shape out_shape = target.shape();
  for (int i = 1; i < source.shape().rank(); ++i) out_shape.push_back(source.shape()[i]);
  DeviceScope on(target.device());
  if (columns.empty()) return zeros(out_shape, target.dtype());
  return reshape(stack(columns, 2), out_shape);
}

const Tensor& OptionalGradient::checked() const {
  if (value_) [[likely]]
    return *value_;
  TF_THROW(FailedPreconditionError, "GradientTape.gradient",
           "the gradient is None: ", why_.empty() ? std::string("no gradient was computed") : why_,
           ". Test it first (`if (g)`, g.has_value(), g.value_or(...))");
}

namespace autograd::detail {
void install_tape_hook() { set_tape_hook(tape_hook); }
void sync_hook_depth() { tape_hook_depth() = static_cast<int>(t_recording_tapes.size()) + recording_accumulators(); }
}  // namespace autograd::detail

}  // namespace tapeflow
