// Note [Graph execution]: a plan is built once per concrete function. Unknown dimensions (None
// in a TensorSpec) are traced as distinct negative placeholders, one per argument dimension, so
// an output dimension that equals an argument's dimension is resolved at run time by name; a
// dimension that inference could not relate to an argument (-1) cannot be planned. Placeholders
// that the ops' checks equated share one (Note [Unifying unknown dimensions]); run() checks that
// the arguments give each one size before any node runs.
#include "tapeflow/graph/executor.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <unordered_map>

#include "tapeflow/core/device_backend.h"
#include "tapeflow/core/errors.h"
#include "tapeflow/core/op_profiler.h"
#include "tapeflow/core/ops/random.h"
#include "tapeflow/graph/function.h"
#include "tapeflow/graph/graph_replay.h"

namespace tapeflow {
namespace {

struct TapePauseGuard {
  int saved = std::exchange(tape_hook_depth(), 0);
  ~TapePauseGuard() { tape_hook_depth() = saved; }
};

[[noreturn]] void rethrow_as(errors::Code code, const std::string& message, const std::string& op) {
  using namespace errors;
  switch (code) {
    case Code::kInvalidArgument: throw InvalidArgumentError(message, op);
    case Code::kNotFound: throw NotFoundError(message, op);
    case Code::kAlreadyExists: throw AlreadyExistsError(message, op);
    case Code::kResourceExhausted: throw ResourceExhaustedError(message, op);
    case Code::kFailedPrecondition: throw FailedPreconditionError(message, op);
    case Code::kOutOfRange: throw OutOfRangeError(message, op);
    case Code::kUnimplemented: throw UnimplementedError(message, op);
    case Code::kInternal: throw InternalError(message, op);
    default: throw UnknownError(message, op);
  }
}

}  // namespace

namespace {
// tf.print formats values as TF's C++ SummarizeValue does (not NumPy's str()): floats with the
// fewest of 6 or 9 (17 for float64) significant digits that round-trip, "3" for 3.0; at most
// `summarize` (3) leading and trailing entries per dimension around "...".
template <typename T> std::string print_element(T v) {
  char buf[64];
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    const int digits = std::is_same_v<T, float> ? 6 : 15;
    std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(v));
    if (static_cast<T>(std::strtod(buf, nullptr)) != v)
      std::snprintf(buf, sizeof buf, "%.*g", std::is_same_v<T, float> ? 9 : 17, static_cast<double>(v));
    return buf;
  } else if constexpr (std::is_same_v<T, bool>) {
    return v ? "1" : "0";
  } else if constexpr (std::is_same_v<T, std::string>) {
    return "\"" + v + "\"";
  } else {
    return std::to_string(static_cast<int64_t>(v));
  }
}

template <typename T>
void print_dim(const std::vector<T>& values, const Shape& shape, int dim, int64_t offset, std::string& out) {
  if (dim == shape.rank()) {
    out += print_element(values[static_cast<std::size_t>(offset)]);
    return;
  }
  int64_t stride = 1;
  for (int d = dim + 1; d < shape.rank(); ++d) stride *= shape[d];
  const int64_t n = shape[dim];
  constexpr int64_t kSummarize = 3;
  const std::string sep = dim + 1 == shape.rank() ? " " : "\n" + std::string(static_cast<std::size_t>(dim + 1), ' ');
  out += '[';
  for (int64_t i = 0; i < n; ++i) {
    if (i > 0) out += sep;
    if (n > 2 * kSummarize && i == kSummarize) {
      out += "...";
      i = n - kSummarize - 1;
      continue;
    }
    print_dim(values, shape, dim + 1, offset + i * stride, out);
  }
  out += ']';
}

std::string print_tensor(const Tensor& t) {
  std::string out;
  auto go = [&]<typename T>(std::vector<T> values) { print_dim(values, t.shape(), 0, 0, out); };
  switch (t.dtype()) {
    case DType::kFloat32:
    case DType::kFloat16:
    case DType::kBFloat16: go(t.to_vector<float>()); break;
    case DType::kFloat64: go(t.to_vector<double>()); break;
    case DType::kInt32: go(t.to_vector<int32_t>()); break;
    case DType::kInt64: go(t.to_vector<int64_t>()); break;
    case DType::kInt8: go(t.to_vector<int8_t>()); break;
    case DType::kUInt8: go(t.to_vector<uint8_t>()); break;
    case DType::kBool: go(t.to_vector<bool>()); break;
    case DType::kString: go(t.to_vector<std::string>()); break;
  }
  return out;
}
}  // namespace

std::string format_print(const std::vector<PrintPiece>& pieces, std::span<const Tensor> tensors) {
  std::string out;
  std::size_t next = 0;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i) out += ' ';
    out += pieces[i].is_tensor ? print_tensor(tensors[next++]) : pieces[i].text;
  }
  return out;
}

namespace {
/// The arguments of `g` whose dimensions were traced as `placeholder` disagree in this call.
[[noreturn]] void throw_incompatible_arguments(const Graph& g, const std::string& function_name, int64_t placeholder,
                                               std::span<const Tensor> inputs) {
  std::string uses;
  for (const Node& n : g.nodes()) {
    if (n.kind != NodeKind::kArg) continue;
    const Shape& want = n.outputs[0].shape;
    const Shape& have = inputs[static_cast<std::size_t>(n.slot)].shape();
    for (int d = 0; d < want.rank() && d < have.rank(); ++d)
      if (want[d] == placeholder)
        uses += detail::str_cat(uses.empty() ? "" : " vs. ", "dimension ", d, " of argument '", n.name, "' (shape ",
                                have.to_string(), ")");
  }
  // A broadcast of two unknown dimensions was traced as an equality too: where one of them is 1
  // (which TF's graph would broadcast) the message says how to get that.
  bool has_one = false;
  for (const Node& n : g.nodes())
    if (n.kind == NodeKind::kArg)
      for (int d = 0; d < n.outputs[0].shape.rank(); ++d)
        has_one |= n.outputs[0].shape[d] == placeholder && d < inputs[static_cast<std::size_t>(n.slot)].ndim() &&
                   inputs[static_cast<std::size_t>(n.slot)].shape()[d] == 1;
  TF_THROW(InvalidArgumentError, "", "Incompatible shapes: ", uses, " in a call of tf.function '", function_name,
           "', which was traced with these unknown dimensions equal (its ops require them to match)",
           has_one ? "; a size-1 dimension is not broadcast against an unknown one: trace it as 1 (a TensorSpec "
                     "with 1 there, or an exact-shape call) to broadcast it"
                   : "");
}
}  // namespace

ExecutionPlan::ExecutionPlan(std::shared_ptr<const Graph> graph, std::vector<Endpoint> outputs,
                             std::string function_name, bool keep_stateful)
    : graph_(std::move(graph)), function_name_(std::move(function_name)) {
  const Graph& g = *graph_;
  const int n = g.num_nodes();
  // Pruning (non-strict execution): only what an output or a side effect needs.
  scheduled_.assign(static_cast<std::size_t>(n), false);
  std::vector<int> stack;
  for (Endpoint e : outputs) stack.push_back(e.node);
  if (keep_stateful)
    for (int i = 0; i < n; ++i)
      if (g.node(i).stateful) stack.push_back(i);
  while (!stack.empty()) {
    int i = stack.back();
    stack.pop_back();
    if (scheduled_[static_cast<std::size_t>(i)]) continue;
    scheduled_[static_cast<std::size_t>(i)] = true;
    for (Endpoint e : g.node(i).inputs) stack.push_back(e.node);
    for (int c : g.node(i).control_inputs) stack.push_back(c);
  }
  // Slots: one per output of each scheduled node. Trace order is a topological order.
  std::vector<int> first_slot(static_cast<std::size_t>(n), -1);
  for (int i = 0; i < n; ++i) {
    if (!scheduled_[static_cast<std::size_t>(i)]) continue;
    const Node& node = g.node(i);
    Step s;
    s.node = &node;
    s.index = i;
    s.out = num_slots_;
    first_slot[static_cast<std::size_t>(i)] = num_slots_;
    num_slots_ += std::max<int>(1, static_cast<int>(node.outputs.size()));
    for (Endpoint e : node.inputs) s.in.push_back(first_slot[static_cast<std::size_t>(e.node)] + e.index);
    if (node.kind == NodeKind::kOp) {
      s.kernel = node.def->kernels[static_cast<int>(node.device.type())];
      TF_CHECK_TYPED(s.kernel != nullptr, NotFoundError, node.op, "No kernel registered for op ", node.op, " on ",
                     node.device.str(), " (node ", node.name, " of tf.function '", function_name_, "')");
      if (!node.device.is_cpu()) s.stream = device_backend(node.device.type())->stream(node.device.index());
      for (const OutputSpec& spec : node.outputs) s.unknown_dims |= !spec.shape.is_fully_defined();
      s.in_place = node.outputs.empty() && !node.def->kernel_allocates_outputs;
      s.random = random_attrs_for_call(node, 0) != nullptr;
      has_unknown_dims_ |= s.unknown_dims;
    }
    if (node.kind == NodeKind::kRead || node.kind == NodeKind::kAssign)
      s.variable = g.node(node.inputs[0].node).variable;
    steps_.push_back(std::move(s));
  }
  // An unknown dimension several arguments share (or one argument twice) is bound and checked at
  // every call, as those of the ops' outputs are.
  std::unordered_map<int64_t, int> arg_dim_uses;
  for (const Step& s : steps_)
    if (s.node->kind == NodeKind::kArg)
      for (int64_t d : s.node->outputs[0].shape.dims())
        if (d < -1) has_unknown_dims_ |= ++arg_dim_uses[d] > 1;
  for (Endpoint e : outputs) output_slots_.push_back(first_slot[static_cast<std::size_t>(e.node)] + e.index);
  // Lifetimes: a value is released after its last reader (outputs are never released).
  std::vector<int> last_use(static_cast<std::size_t>(num_slots_), -1);
  for (std::size_t k = 0; k < steps_.size(); ++k)
    for (int slot : steps_[k].in) last_use[static_cast<std::size_t>(slot)] = static_cast<int>(k);
  for (int slot : output_slots_) last_use[static_cast<std::size_t>(slot)] = -1;
  for (int slot = 0; slot < num_slots_; ++slot)
    if (int k = last_use[static_cast<std::size_t>(slot)]; k >= 0)
      steps_[static_cast<std::size_t>(k)].release.push_back(slot);
  plan_buffers(last_use);
}

// Note [Buffer reuse]: an intermediate value's buffer is not freed after its last reader but
// kept in the plan's pool and handed to a later producer of the same dtype, shape and device
// (the buffer's lifetimes do not overlap: greedy assignment over liveness intervals, as
// TFLite's arena planner). After the last value a call puts in it, a buffer goes back to the
// allocator instead of idling in the pool until the next call: idle buffers of every spec would
// add up to more than what is ever live at once (a CNN training step's peak was 1.13x the eager
// step's with them, 0.5x without; bench/function_overhead --only cnn), and the allocator's size
// classes hand the same block to the next call's first producer without a malloc. A warm call
// thus allocates one block per buffer from that cache and none per recycled value. A value is
// recycled only when nothing but the plan can hold it: produced into
// a buffer the executor allocated (not a view), read only by kernels that do not keep or
// forward their inputs (no views, calls, variable writes or outputs), and, at run time, the sole
// owner of its storage.
void ExecutionPlan::plan_buffers(const std::vector<int>& last_use) {
  auto plain = [](const Step& s) {
    return s.node->kind == NodeKind::kOp && !s.node->def->kernel_allocates_outputs && !s.in_place;
  };
  std::vector<bool> escapes(static_cast<std::size_t>(num_slots_), false);
  for (const Step& s : steps_)
    if (!plain(s))
      for (int slot : s.in) escapes[static_cast<std::size_t>(slot)] = true;
  slot_buffer_.assign(static_cast<std::size_t>(num_slots_), -1);
  std::unordered_map<std::string, std::vector<int>> by_spec;  // buffers of one dtype/shape/device
  std::vector<int> busy_until;                                // buffer -> last step reading it
  std::vector<int> last_slot;                                 // buffer -> the last value assigned to it
  for (std::size_t k = 0; k < steps_.size(); ++k) {
    const Step& s = steps_[k];
    if (!plain(s) || s.unknown_dims) continue;
    for (std::size_t i = 0; i < s.node->outputs.size(); ++i) {
      const int slot = s.out + static_cast<int>(i);
      const OutputSpec& spec = s.node->outputs[i];
      if (escapes[static_cast<std::size_t>(slot)] || last_use[static_cast<std::size_t>(slot)] < 0 ||
          spec.dtype == DType::kString)
        continue;
      std::vector<int>& buffers =
          by_spec[detail::str_cat(static_cast<int>(spec.dtype), spec.shape.to_string(), s.node->device.str())];
      int id = -1;
      for (int b : buffers)
        if (busy_until[static_cast<std::size_t>(b)] < static_cast<int>(k)) {
          id = b;
          break;
        }
      if (id < 0) {
        id = static_cast<int>(busy_until.size());
        busy_until.push_back(0);
        buffers.push_back(id);
      }
      busy_until[static_cast<std::size_t>(id)] = last_use[static_cast<std::size_t>(slot)];
      slot_buffer_[static_cast<std::size_t>(slot)] = id;
      if (last_slot.size() <= static_cast<std::size_t>(id)) last_slot.resize(static_cast<std::size_t>(id) + 1);
      last_slot[static_cast<std::size_t>(id)] = slot;
    }
  }
  num_buffers_ = static_cast<int>(busy_until.size());
  slot_ends_buffer_.assign(static_cast<std::size_t>(num_slots_), false);
  for (int slot : last_slot) slot_ends_buffer_[static_cast<std::size_t>(slot)] = true;
  pool_.resize(static_cast<std::size_t>(num_buffers_));
}

int ExecutionPlan::num_recycled_values() const {
  return static_cast<int>(std::count_if(slot_buffer_.begin(), slot_buffer_.end(), [](int b) { return b >= 0; }));
}

void ExecutionPlan::make_variable_inputs_exclusive(util::SmallVector<Tensor, 4>& ins, std::vector<Tensor>& values,
                                                   const Step& s) const {
  // An op without outputs writes its variable inputs in place (the fused optimizer updates), as
  // eagerly: a buffer that another live value shares is first replaced by a private copy, so
  // that value keeps the old contents (Note [Fused training ops write in place]).
  for (std::size_t i = 0; i < ins.size(); ++i) {
    const auto& var = ins[i].unsafe_impl()->variable;
    if (!var) continue;
    const int slot = s.in[i];
    if (std::find(s.release.begin(), s.release.end(), slot) != s.release.end())
      values[static_cast<std::size_t>(slot)] = Tensor();  // its last use: not a sharer
    if (ins[i].storage().use_count() > 2) {
      Variable v(var);
      v.assign(ins[i]);
      ins[i] = v.read_value();
    }
  }
}

void ExecutionPlan::rethrow_in_node(const Step& s, const std::exception& e) const {
  // TF names the function and the node: "{{function_node __inference_f_12}} ... [[{{node GatherV2}}]]".
  const std::string context = "\n\t [[{{node " + s.node->name + "}}]] [function " + function_name_ + "]";
  if (const auto* op = dynamic_cast<const errors::OpError*>(&e))
    rethrow_as(op->error_code(), op->message() + context, op->op());
  throw;
}

// Note [Random ops in graphs]: a random op's attributes hold the stream position reserved when
// it was traced. Call k of the graph draws from position traced + k * (blocks per call), so
// every call gets fresh numbers (TF's per-kernel generator advancing), and a forward op and
// the same stream in its traced gradient (Dropout) stay in step. A shape with a None dimension
// (a Keras step retraced for partial batches) reserves ops::kUnknownShapeElements per call, as
// its trace reserved for call 0; the forward and its gradient compute the same offset from the
// same attributes, so they stay in step whatever the call's size. The reservation, 2^32 blocks,
// is wide enough: uniform and normal samples (Dropout's mask among them) read one block per group
// of 2 or 4, truncated normal's groups start 256 blocks apart (kernels/philox.h), so a call stays
// inside it up to 2^26 elements (truncated normal) or 2^33 (the others).
std::unique_ptr<OpAttrs> random_attrs_for_call(const Node& n, uint64_t call) {
  if (!n.attrs) return nullptr;
  constexpr uint64_t kBlocksPerElement = 256;  // as core/ops/random.cpp reserves them
  auto blocks = [](const Shape& s) {
    int64_t e = s.num_elements();
    return static_cast<uint64_t>(e < 0 ? ops::kUnknownShapeElements : e) * kBlocksPerElement;
  };
  if (const auto* r = dynamic_cast<const ops::RandomAttrs*>(n.attrs.get())) {
    auto out = std::make_unique<ops::RandomAttrs>(*r);
    if (!n.outputs.empty()) out->offset += call * blocks(n.outputs[0].shape);
    return out;
  }
  if (const auto* d = dynamic_cast<const ops::DropoutAttrs*>(n.attrs.get())) {
    auto out = std::make_unique<ops::DropoutAttrs>(*d);
    out->offset += call * blocks(d->noise_shape);
    return out;
  }
  return nullptr;
}

std::vector<Tensor> ExecutionPlan::run(std::span<const Tensor> inputs, uint64_t call) const {
  InterceptorPause no_trace;  // a plan may run while a trace lifts a variable initializer
  TapePauseGuard no_tape;     // the call is one op to a tape; its insides are not recorded
  // One run at a time uses the pool and the preallocated slots; a concurrent run allocates, and
  // so does a nested run of this plan on this thread (try_lock on a mutex this thread holds
  // would be undefined).
  thread_local std::vector<const ExecutionPlan*> t_pool_owners;
  const bool nested = std::find(t_pool_owners.begin(), t_pool_owners.end(), this) != t_pool_owners.end();
  std::unique_lock pool_lock(pool_mu_, std::defer_lock);
  if (num_buffers_ > 0 && !nested) pool_lock.try_lock();
  struct OwnerEntry {
    bool pushed;
    ~OwnerEntry() {
      if (pushed) t_pool_owners.pop_back();
    }
  } owner{pool_lock.owns_lock()};
  if (owner.pushed) t_pool_owners.push_back(this);
  const bool pooled = pool_lock.owns_lock();
  std::vector<Tensor> local;
  std::vector<Tensor>& values = pooled ? pooled_values_ : local;
  values.resize(static_cast<std::size_t>(num_slots_));
  // Unknown dimensions: bind each argument's placeholder dimensions to this call's sizes. A
  // placeholder several arguments share (Note [Unifying unknown dimensions]) must get one size
  // from all of them: checked here, before any node runs.
  std::unordered_map<int64_t, int64_t> dims;
  if (has_unknown_dims_) {
    for (const Step& s : steps_) {
      if (s.node->kind != NodeKind::kArg) continue;
      const Shape& want = s.node->outputs[0].shape;
      const Shape& have = inputs[static_cast<std::size_t>(s.node->slot)].shape();
      for (int d = 0; d < want.rank() && d < have.rank(); ++d) {
        if (want[d] >= -1) continue;
        auto [it, fresh] = dims.emplace(want[d], have[d]);
        if (!fresh && it->second != have[d]) [[unlikely]]
          throw_incompatible_arguments(*graph_, function_name_, want[d], inputs);
      }
    }
  }
  std::vector<OutputSpec> resolved;
  TensorList outs;
  util::SmallVector<Tensor, 4> ins;
  for (const Step& s : steps_) {
    const Node& node = *s.node;
    Tensor& out = values[static_cast<std::size_t>(s.out)];
    try {
      switch (node.kind) {
        case NodeKind::kArg:
        case NodeKind::kCapture: out = inputs[static_cast<std::size_t>(node.slot)]; break;
        case NodeKind::kVarHandle: break;
        case NodeKind::kConst: out = node.value; break;
        case NodeKind::kIdentity: out = values[static_cast<std::size_t>(s.in[0])]; break;
        case NodeKind::kRead: out = Variable(s.variable).read_value(); break;
        case NodeKind::kAssign: {
          Variable v(s.variable);
          const Tensor& value = values[static_cast<std::size_t>(s.in[1])];
          // While recording a CUDA graph the variable's buffer is written in place when nothing
          // else reads it, so the graph's address stays the variable's (graph_replay.h).
          if (graph_replay::recording()) [[unlikely]]
            if (graph_replay::assign_in_place(v, node.op, value)) break;
          if (node.op == "AssignVariableOp")
            v.assign(value);
          else if (node.op == "AssignAddVariableOp")
            v.assign_add(value);
          else
            v.assign_sub(value);
          break;
        }
        case NodeKind::kPrint: {
          ins.clear();
          for (int slot : s.in) ins.push_back(values[static_cast<std::size_t>(slot)]);
          std::cout << format_print(node.print, std::span<const Tensor>(ins.data(), ins.size())) << std::endl;
          break;
        }
        case NodeKind::kOp: {
          ins.clear();
          for (int slot : s.in) ins.push_back(values[static_cast<std::size_t>(slot)]);
          if (s.in_place) [[unlikely]]
            make_variable_inputs_exclusive(ins, values, s);
          std::span<const OutputSpec> specs(node.outputs);
          if (s.unknown_dims) [[unlikely]] {
            resolved = node.outputs;
            for (OutputSpec& spec : resolved) {
              for (int d = 0; d < spec.shape.rank(); ++d) {
                if (spec.shape[d] >= 0) continue;
                auto it = dims.find(spec.shape[d]);
                // A kernel that makes its outputs (a view) decides a dimension left unknown;
                // what it decides is bound below for the ops downstream.
                if (it == dims.end() && node.def->kernel_allocates_outputs) {
                  spec.shape[d] = -1;
                  continue;
                }
                TF_CHECK_TYPED(it != dims.end(), UnimplementedError, node.op, "The shape of ", node.name,
                               " could not be inferred from the arguments' shapes at trace time (",
                               spec.shape.to_string(), "); trace with exact shapes instead of None");
                spec.shape[d] = it->second;
              }
            }
            specs = resolved;
          }
          outs.clear();
          if (!node.def->kernel_allocates_outputs) {
            for (std::size_t i = 0; i < specs.size(); ++i) {
              const int b = pooled ? slot_buffer_[static_cast<std::size_t>(s.out) + i] : -1;
              Tensor* idle = b >= 0 ? &pool_[static_cast<std::size_t>(b)] : nullptr;
              if (idle && idle->defined() && idle->storage().use_count() == 1)
                outs.push_back(std::move(*idle));
              else
                outs.push_back(Tensor::empty(specs[i].shape, specs[i].dtype, node.device));
            }
          }
          std::unique_ptr<OpAttrs> call_attrs = s.random && call > 0 ? random_attrs_for_call(node, call) : nullptr;
          KernelContext ctx{*node.def,
                            std::span<const Tensor>(ins.data(), ins.size()),
                            call_attrs ? call_attrs.get() : node.attrs.get(),
                            specs,
                            outs,
                            node.device,
                            s.stream};
          run_kernel(s.kernel, ctx);  // profiled when tf::profiler is on
          if (s.unknown_dims && node.def->kernel_allocates_outputs) [[unlikely]] {
            for (std::size_t i = 0; i < outs.size() && i < node.outputs.size(); ++i) {
              const Shape& traced = node.outputs[i].shape;
              for (int d = 0; d < traced.rank() && d < outs[i].ndim(); ++d)
                if (traced[d] < -1) dims.emplace(traced[d], outs[i].shape()[d]);
            }
          }
          for (std::size_t i = 0; i < outs.size(); ++i)
            values[static_cast<std::size_t>(s.out) + i] = std::move(outs[i]);
          break;
        }
      }
    } catch (const std::exception& e) {
      if (pooled) std::fill(values.begin(), values.end(), Tensor());
      rethrow_in_node(s, e);
    }
    for (int slot : s.release) {
      Tensor& v = values[static_cast<std::size_t>(slot)];
      const int b = pooled ? slot_buffer_[static_cast<std::size_t>(slot)] : -1;
      if (b >= 0 && !slot_ends_buffer_[static_cast<std::size_t>(slot)] && v.defined() && v.storage() &&
          v.storage().use_count() == 1 && !v.unsafe_impl()->variable)
        pool_[static_cast<std::size_t>(b)] = std::move(v);
      v = Tensor();
    }
  }
  std::vector<Tensor> result;
  result.reserve(output_slots_.size());
  for (int slot : output_slots_) result.push_back(values[static_cast<std::size_t>(slot)]);
  if (pooled) std::fill(values.begin(), values.end(), Tensor());  // hold nothing between calls
  return result;
}

std::vector<Tensor> interpret_graph(const Graph& g, std::span<const Tensor> inputs,
                                    const std::unordered_map<const VariableImpl*, Tensor>& variable_values,
                                    bool side_effects, uint64_t call) {
  // The nodes the plan would run, executed through the door.
  auto shared = std::shared_ptr<const Graph>(&g, [](const Graph*) {});
  ExecutionPlan plan(shared, g.outputs, g.name(), side_effects);
  std::vector<std::vector<Tensor>> values(static_cast<std::size_t>(g.num_nodes()));
  // Note [Symbolic sizes when interpreting]: the graph's output specs carry the trace's unknown
  // sizes (symbolic, below -1). Replayed on concrete tensors, or traced again for concrete shapes
  // (a backward Function), each symbolic size takes the value the inputs give it, so the ops'
  // results are not declared unknown where this replay knows them.
  std::unordered_map<int64_t, int64_t> sizes;
  auto learn = [&](const std::vector<OutputSpec>& specs, const std::vector<Tensor>& got) {
    for (std::size_t k = 0; k < specs.size() && k < got.size(); ++k) {
      if (!got[k].defined()) continue;
      const Shape& want = specs[k].shape;
      const Shape& have = got[k].shape();
      for (int d = 0; d < want.rank() && d < have.rank(); ++d)
        if (want[d] < -1 && have[d] >= 0) sizes.emplace(want[d], have[d]);
    }
  };
  auto resolved = [&](const std::vector<OutputSpec>& specs) {
    std::vector<OutputSpec> out = specs;
    for (OutputSpec& s : out)
      for (int d = 0; d < s.shape.rank(); ++d)
        if (auto it = sizes.find(s.shape[d]); s.shape[d] < -1 && it != sizes.end()) s.shape[d] = it->second;
    return out;
  };
  for (int i = 0; i < g.num_nodes(); ++i) {
    if (!plan.runs(i)) continue;
    const Node& n = g.node(i);
    auto in = [&](std::size_t k) -> const Tensor& {
      return values[static_cast<std::size_t>(n.inputs[k].node)][static_cast<std::size_t>(n.inputs[k].index)];
    };
    std::vector<Tensor>& out = values[static_cast<std::size_t>(i)];
    switch (n.kind) {
      case NodeKind::kArg:
      case NodeKind::kCapture: out = {inputs[static_cast<std::size_t>(n.slot)]}; break;
      case NodeKind::kVarHandle: out = {Tensor()}; break;
      case NodeKind::kConst: out = {n.value}; break;
      case NodeKind::kIdentity: out = {in(0)}; break;
      case NodeKind::kRead: {
        const auto& var = g.node(n.inputs[0].node).variable;
        auto it = variable_values.find(var.get());
        out = {it != variable_values.end() ? it->second : Variable(var).read_value()};
        break;
      }
      case NodeKind::kAssign: {
        Variable v(g.node(n.inputs[0].node).variable);
        if (n.op == "AssignVariableOp")
          v.assign(in(1));
        else if (n.op == "AssignAddVariableOp")
          v.assign_add(in(1));
        else
          v.assign_sub(in(1));
        break;
      }
      case NodeKind::kPrint: {
        std::vector<PrintArg> args;
        std::size_t k = 0;
        for (const PrintPiece& p : n.print) args.push_back(p.is_tensor ? PrintArg(in(k++)) : PrintArg(p.text));
        print(args);  // traced again when a tracer is active
        break;
      }
      case NodeKind::kOp: {
        std::vector<Tensor> ts;
        for (std::size_t k = 0; k < n.inputs.size(); ++k) ts.push_back(in(k));
        std::unique_ptr<OpAttrs> call_attrs = call > 0 ? random_attrs_for_call(n, call) : nullptr;
        TensorList r =
            dispatch(*n.def, ts, call_attrs ? call_attrs.get() : n.attrs.get(), resolved(n.outputs), n.device);
        out.assign(r.begin(), r.end());
        break;
      }
    }
    learn(n.outputs, out);
  }
  std::vector<Tensor> result;
  for (Endpoint e : g.outputs)
    result.push_back(values[static_cast<std::size_t>(e.node)][static_cast<std::size_t>(e.index)]);
  return result;
}

}  // namespace tapeflow
