// Note [CUDA-graph replay] (PyTorch's CUDA graphs / graph trees, TF's nothing-equivalent): on
// GPU:0 the per-op launch cost (a few µs) dominates small steps; a CUDA graph launches a whole
// recorded schedule for about 1 µs per node. A concrete function qualifies when every node of
// its planned graph runs on GPU:0 with shapes known at trace time and nothing in it needs the
// host or a fresh value per call: no random ops (their attrs change per call), no prints, no
// calls or control flow (nested plans), no copies between devices, no strings, every constant,
// capture and variable on GPU:0. Variable assignments write the variable's buffer in place
// while recording (assign_in_place), so the recorded address stays the variable's.
//
// A qualifying function's first call runs the plain executor (the warm-up:
// cuDNN's algorithm search, cuBLAS's and cuBLASLt's first use, lazy module loading and the
// plan's own allocations happen outside any recording). The next call records: the arguments
// are copied into static input buffers the recording reads, the plan runs once under stream
// capture (core/graph_capture.h), every allocation of the recording comes from the graph's
// private pool (Note [CUDA-graph pools]), the plan's outputs become static outputs, and the
// graph is launched to compute this call. Every later call copies its arguments into the
// static inputs, launches the graph, and copies the static outputs out to fresh tensors (the
// caller keeps them; the next replay overwrites the static ones).
//
// The key is the storage address of every variable the function reads or writes: the graph
// bakes those addresses in (the fused optimizer ops write variables in place), so a variable
// whose buffer was replaced (an assign outside, a snapshot still held) re-records. A call
// whose variables are shared by another live tensor (a read_value() kept by the caller) runs
// the plain executor, which copies before writing in place, as eagerly.
//
// A recording that ends invalid (a kernel synchronized with the host: a CPU fallback, a host
// read) or throws ends the capture cleanly (the device error cleared), runs the plain
// executor for this call, and marks the function plain for good. Nothing here changes a
// value: the recorded kernels are the plain executor's, on the same buffers' contents.
#include "tapeflow/graph/graph_replay.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <unordered_map>

#include "tapeflow/core/device_backend.h"
#include "tapeflow/core/errors.h"
#include "tapeflow/core/graph_capture.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/copy.h"
#include "tapeflow/core/variable.h"
#include "tapeflow/graph/call_op.h"
#include "tapeflow/graph/control_flow.h"
#include "tapeflow/graph/executor.h"

namespace tapeflow {
namespace {

std::atomic<bool> g_enabled{true};
thread_local bool t_recording = false;
std::atomic<int64_t> g_captures{0}, g_replays{0}, g_fallbacks{0}, g_invalidations{0};

/// Re-recordings (changed variable addresses) after which a function stays plain (why: a
/// variable replaced on every call would record every call, slower than the plain executor).
constexpr int kMaxRecordings = 8;

struct Recording {
  std::vector<const void*> key;       // the variables' storage addresses
  std::vector<Tensor> static_inputs;  // the arguments' buffers the graph reads
  std::vector<Tensor> static_outputs;
  std::unique_ptr<CapturedWork> work;
};

struct ReplayState {
  std::mutex mu;
  int qualifies = -1;                 // -1: not yet checked
  bool plain = false;                 // a recording failed: the plain executor for good
  int recordings = 0;
  bool warmed = false;                // the first call ran the plain executor
  std::unique_ptr<Recording> rec;
};

/// The state of each function (by its CallableGraph), dropped with the function.
struct StateTable {
  std::mutex mu;
  std::unordered_map<const CallableGraph*, std::pair<std::weak_ptr<CallableGraph>, std::shared_ptr<ReplayState>>>
      states;
};
StateTable& table() {
  static auto* t = new StateTable();  // never destroyed: functions may outlive main
  return *t;
}

std::shared_ptr<ReplayState> state_of(const std::shared_ptr<CallableGraph>& fn) {
  StateTable& t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  auto it = t.states.find(fn.get());
  if (it != t.states.end() && !it->second.first.expired()) return it->second.second;
  // A new function (or a new one at a dead one's address): drop the states of dead functions,
  // releasing their recordings' pools.
  std::erase_if(t.states, [](const auto& kv) { return kv.second.first.expired(); });
  auto s = std::make_shared<ReplayState>();
  t.states[fn.get()] = {fn, s};
  return s;
}

bool on_gpu0(const Tensor& t) { return t.defined() && t.device() == kGPU0 && t.dtype() != DType::kString; }

/// Whether every node of fn's graph may be recorded (Note [CUDA-graph replay]).
bool qualifies(const CallableGraph& fn) {
  if (!fn.graph || !fn.plan) return false;
  for (const Tensor& c : fn.captures)
    if (!on_gpu0(c)) return false;
  const Graph& g = graph_replay::planned_graph(fn);
  for (int i = 0; i < g.num_nodes(); ++i) {
    if (!fn.plan->runs(i)) continue;
    const Node& n = g.node(i);
    for (const OutputSpec& s : n.outputs)
      if (!s.shape.is_fully_defined() || s.dtype == DType::kString) return false;
    switch (n.kind) {
      case NodeKind::kArg:      // checked per call (on GPU:0)
      case NodeKind::kCapture:  // checked above
      case NodeKind::kRead:     // of a variable whose handle is checked
      case NodeKind::kAssign:   // written in place while recording (assign_in_place)
      case NodeKind::kIdentity: break;
      case NodeKind::kVarHandle:
        if (!n.variable || Variable(n.variable).device() != kGPU0) return false;
        break;
      case NodeKind::kConst:
        if (!on_gpu0(n.value)) return false;
        break;
      case NodeKind::kPrint: return false;
      case NodeKind::kOp:
        if (n.device != kGPU0 || n.def == nullptr || n.def == &ops::CopyToDevice || n.def == &ops::PartitionedCall ||
            n.def == &ops::If || n.def == &ops::While || random_attrs_for_call(n, 0) != nullptr)
          return false;
        break;
    }
  }
  return true;
}

/// The variables' storage addresses, or nullopt when one is not exclusively the variable's (a
/// snapshot is held elsewhere) or not on GPU:0.
std::optional<std::vector<const void*>> variable_key(const CallableGraph& fn) {
  std::vector<const void*> key;
  key.reserve(fn.variables.size());
  for (const auto& v : fn.variables) {
    const Tensor read = Variable(v).read_value();
    // The variable's own value and this read share the storage: 2 owners means nobody else.
    if (read.device() != kGPU0 || !read.storage() || read.storage().use_count() != 2) return std::nullopt;
    key.push_back(read.storage()->data.get());
  }
  return key;
}

std::size_t nbytes(const Tensor& t) { return static_cast<std::size_t>(t.size()) * dtype_size(t.dtype()); }

/// dst (contiguous, GPU:0) = src's elements, queued on GPU:0's stream.
void copy_into(const Tensor& dst, const Tensor& src) {
  if (nbytes(dst) == 0) return;
  const Tensor s = src.is_contiguous() ? src : src.contiguous();
  if (s.raw_data() == dst.raw_data()) return;
  device_backend(DeviceType::kGPU)->copy(dst.raw_data(), kGPU0, s.raw_data(), kGPU0, nbytes(dst));
}

/// Fresh tensors holding the static outputs' values (the caller keeps them across replays).
std::vector<Tensor> copy_out(const Recording& rec) {
  std::vector<Tensor> out;
  out.reserve(rec.static_outputs.size());
  for (const Tensor& so : rec.static_outputs) {
    if (!so.is_contiguous()) {
      out.push_back(so.contiguous());
      continue;
    }
    Tensor fresh = Tensor::empty(so.shape(), so.dtype(), kGPU0);
    copy_into(fresh, so);
    out.push_back(std::move(fresh));
  }
  return out;
}

void replay(Recording& rec, std::span<const Tensor> args) {
  for (std::size_t i = 0; i < rec.static_inputs.size(); ++i) copy_into(rec.static_inputs[i], args[i]);
  rec.work->replay();
}

/// Records fn's plan (Note [CUDA-graph replay]); nullptr when the recording failed (the state
/// is then plain). Variable addresses must still be `key` after the recording.
std::unique_ptr<Recording> record(const CallableGraph& fn, GraphCaptureBackend& cap, std::span<const Tensor> args,
                                  std::vector<const void*> key, uint64_t call) {
  auto rec = std::make_unique<Recording>();
  rec->key = std::move(key);
  std::vector<Tensor> inputs;
  for (const Tensor& a : args) {
    Tensor s = Tensor::empty(a.shape(), a.dtype(), kGPU0);
    copy_into(s, a);
    rec->static_inputs.push_back(s);
    inputs.push_back(std::move(s));
  }
  inputs.insert(inputs.end(), fn.captures.begin(), fn.captures.end());
  try {
    cap.begin(kGPU0.index());
  } catch (const std::exception&) {
    g_invalidations.fetch_add(1, std::memory_order_relaxed);
    return nullptr;  // the device cannot record now: the plain executor
  }
  std::vector<Tensor> outs;
  bool threw = false;
  t_recording = true;
  try {
    outs = fn.plan->run(inputs, call);
  } catch (const std::exception&) {
    threw = true;  // the plain executor runs this call again and raises the error if it is one
  }
  t_recording = false;
  rec->work = cap.end(kGPU0.index());
  if (threw || !rec->work) {
    g_invalidations.fetch_add(1, std::memory_order_relaxed);
    // A variable whose buffer was replaced while recording holds contents nothing computed.
    const auto now = variable_key(fn);
    TF_CHECK_TYPED(now && *now == rec->key, InternalError, "", "tf.function '", fn.name,
                   "': a variable's buffer was replaced while recording a CUDA graph that could not be completed; "
                   "its value is lost. Call tf::config::experimental::enable_cuda_graphs(false) for this function");
    return nullptr;
  }
  rec->static_outputs = std::move(outs);
  g_captures.fetch_add(1, std::memory_order_relaxed);
  return rec;
}

}  // namespace

namespace config::experimental {
void enable_cuda_graphs(bool enabled) { g_enabled.store(enabled, std::memory_order_relaxed); }
bool cuda_graphs_enabled() { return g_enabled.load(std::memory_order_relaxed); }
}  // namespace config::experimental

namespace graph_replay {

bool recording() { return t_recording; }

bool assign_in_place(Variable& v, const std::string& op, const Tensor& value) {
  const Tensor cur = v.read_value();
  // The variable's own value and `cur` share the storage: 2 owners means no other reader.
  if (cur.device() != kGPU0 || !cur.is_contiguous() || !cur.storage() || cur.storage().use_count() != 2 ||
      value.device() != kGPU0 || value.dtype() != cur.dtype() || value.shape() != cur.shape())
    return false;
  DeviceScope on(kGPU0);
  const Tensor next = op == "AssignAddVariableOp"   ? add(cur, value)
                      : op == "AssignSubVariableOp" ? subtract(cur, value)
                                                    : value;
  copy_into(cur, next);
  return true;
}

Stats stats() {
  return {g_captures.load(), g_replays.load(), g_fallbacks.load(), g_invalidations.load()};
}

void reset_stats() {
  g_captures = 0;
  g_replays = 0;
  g_fallbacks = 0;
  g_invalidations = 0;
}

std::optional<std::vector<Tensor>> try_run(const std::shared_ptr<CallableGraph>& fn, std::span<const Tensor> inputs,
                                           uint64_t call) {
  if (!g_enabled.load(std::memory_order_relaxed)) return std::nullopt;
  GraphCaptureBackend* cap = graph_capture_backend(DeviceType::kGPU);
  if (cap == nullptr || !device_exists(kGPU0)) return std::nullopt;
  const std::size_t num_args = inputs.size() - fn->captures.size();
  const std::span<const Tensor> args = inputs.first(num_args);
  // Arguments elsewhere (a CPU function): the plain executor, without looking further.
  if (!std::all_of(args.begin(), args.end(), on_gpu0)) return std::nullopt;
  std::shared_ptr<ReplayState> st = state_of(fn);
  // One call of a function at a time replays; a concurrent call runs the plain executor.
  std::unique_lock<std::mutex> lock(st->mu, std::try_to_lock);
  if (!lock.owns_lock()) return std::nullopt;
  auto fall_back = [] {
    g_fallbacks.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  };
  if (st->qualifies < 0) st->qualifies = qualifies(*fn) ? 1 : 0;
  if (!st->qualifies) return fall_back();  // a node that cannot be recorded
  if (st->plain) return fall_back();
  std::optional<std::vector<const void*>> key = variable_key(*fn);
  if (!key) return fall_back();
  if (!st->rec || st->rec->key != *key) {
    // The function's first call warms up on the plain executor (the plain run may replace
    // variable buffers, an assign, so the next call's key is not this one's); later calls with
    // a key the recording does not have record.
    if (!st->warmed) {
      st->warmed = true;
      return std::nullopt;
    }
    if (st->recordings >= kMaxRecordings) {
      st->plain = true;
      return fall_back();
    }
    ++st->recordings;
    st->rec.reset();
    st->rec = record(*fn, *cap, args, *key, call);
    if (!st->rec) {
      st->plain = true;
      return fall_back();
    }
    st->rec->work->replay();  // the recording only recorded: compute this call
  } else {
    replay(*st->rec, args);
  }
  g_replays.fetch_add(1, std::memory_order_relaxed);
  return copy_out(*st->rec);
}

}  // namespace graph_replay
}  // namespace tapeflow
