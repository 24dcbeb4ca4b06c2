// The executor: runs a Graph from a schedule computed once (Note [Graph execution]): the nodes
// that reach an output or have a side effect, in topological (= trace) order, each op's kernel
// looked up once, each value freed after its last use. No per-call dispatch through the door.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "tapeflow/graph/graph.h"

namespace tapeflow {

class ExecutionPlan {
 public:
  /// Plans `outputs` of `graph`. With keep_stateful, variable writes and prints run even when no
  /// output needs them (program order is kept by their control edges); without it, only what
  /// the outputs need runs (a variable initializer evaluated while tracing).
  ExecutionPlan(std::shared_ptr<const Graph> graph, std::vector<Endpoint> outputs, std::string function_name,
                bool keep_stateful = true);
  /// `inputs` are the call's arguments then the captured values, in slot order.
  std::vector<Tensor> run(std::span<const Tensor> inputs) const { return run(inputs, reserve_call()); }
  /// Runs as call number `call`: random ops take the stream position of that call (Note
  /// [Random ops in graphs]), so a backward replaying call `call` draws the same numbers.
  std::vector<Tensor> run(std::span<const Tensor> inputs, uint64_t call) const;
  uint64_t reserve_call() const { return calls_.fetch_add(1, std::memory_order_relaxed); }
  /// Whether node `i` is in the schedule (false: pruned, never runs).
  bool runs(int node) const { return scheduled_[static_cast<std::size_t>(node)]; }
  int num_steps() const { return static_cast<int>(steps_.size()); }
  /// Memory planning (Note [Buffer reuse]): the number of intermediate values whose buffers are
  /// recycled, and the number of distinct buffers they share.
  int num_recycled_values() const;
  int num_buffers() const { return num_buffers_; }

 private:
  struct Step {
    const Node* node;
    int index;  // the node's index in the graph
    KernelFn kernel = nullptr;
    void* stream = nullptr;
    util::SmallVector<int, 4> in;            // value slots of the inputs
    int out = 0;                             // first output slot
    util::SmallVector<int, 2> release;       // slots whose last use is this step
    std::shared_ptr<VariableImpl> variable;  // kRead / kAssign
    bool unknown_dims = false;               // an output spec holds an unknown dimension
    bool in_place = false;                   // writes its variable inputs in place (no outputs)
    bool random = false;                     // a random op: its stream advances per call
  };
  void make_variable_inputs_exclusive(util::SmallVector<Tensor, 4>& ins, std::vector<Tensor>& values,
                                      const Step& s) const;
  [[noreturn]] void rethrow_in_node(const Step& s, const std::exception& e) const;
  void plan_buffers(const std::vector<int>& last_use);

  std::shared_ptr<const Graph> graph_;
  std::string function_name_;
  std::vector<Step> steps_;
  std::vector<int> output_slots_;
  std::vector<bool> scheduled_;
  int num_slots_ = 0;
  bool has_unknown_dims_ = false;
  mutable std::atomic<uint64_t> calls_{0};
  std::vector<int> slot_buffer_;  // value slot -> recycled buffer (-1: allocated per call)
  std::vector<bool> slot_ends_buffer_;  // the slot is its buffer's last value in a call: freed at release
  int num_buffers_ = 0;
  mutable std::mutex pool_mu_;                 // held by the run that uses the pool; others allocate
  mutable std::vector<Tensor> pool_;           // buffer -> its idle tensor, reused by the next producer
  mutable std::vector<Tensor> pooled_values_;  // the value slots of the run that holds the pool
};

/// The attributes of random op node `n` for call number `call` (nullptr for other nodes).
std::unique_ptr<OpAttrs> random_attrs_for_call(const Node& n, uint64_t call);

/// Runs `graph` node by node through the door, so that a tracer or tape active now sees its ops:
/// this inlines a graph into a trace (traced gradients of a Function). A read of a variable in
/// `variable_values` yields that tensor instead of reading the variable. Without side_effects,
/// variable writes and prints are left out (a backward replays the forward's values only).
std::vector<Tensor> interpret_graph(const Graph& graph, std::span<const Tensor> inputs,
                                    const std::unordered_map<const VariableImpl*, Tensor>& variable_values,
                                    bool side_effects = true, uint64_t call = 0);

/// The text of a tf::print with these pieces and tensors.
std::string format_print(const std::vector<PrintPiece>& pieces, std::span<const Tensor> tensors);

}  // namespace tapeflow
