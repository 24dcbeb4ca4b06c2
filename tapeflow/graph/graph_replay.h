// CUDA-graph replay of Functions on GPU:0 (Note [CUDA-graph replay] in graph_replay.cpp): a
// concrete function whose whole plan runs on GPU:0 is recorded once into a CUDA graph after a
// warm-up call and replayed on later calls, with the same results as the plain executor.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tapeflow/core/tensor.h"
#include "tapeflow/core/variable.h"

namespace tapeflow {
struct CallableGraph;
class Graph;

namespace config::experimental {
/// CUDA graphs for tf::function calls on GPU:0 (default: on, as PyTorch's
/// torch.compile(mode="reduce-overhead")). Off: every call runs the plain executor, as before.
/// Takes effect at the next call; recorded graphs are kept (and used again when switched on).
/// Example: `tf::config::experimental::enable_cuda_graphs(false);` to bisect a GPU result.
void enable_cuda_graphs(bool enabled);
bool cuda_graphs_enabled();
}  // namespace config::experimental

namespace graph_replay {
/// The graph fn's plan runs (its traced graph after the optimizer's passes); defined with the
/// concrete functions (function.cpp), which every CallableGraph is.
const Graph& planned_graph(const CallableGraph& fn);

/// Counters of what the calls did (process-wide, for tests and benchmarks).
struct Stats {
  int64_t captures = 0;       // recordings that succeeded
  int64_t replays = 0;        // calls served by a recorded graph
  int64_t fallbacks = 0;      // calls on GPU:0 that ran the plain executor instead (not warm-ups)
  int64_t invalidations = 0;  // recordings that ended invalid (a node could not be captured)
};
Stats stats();
void reset_stats();

/// True on the thread recording a CUDA graph (inside try_run's recording of a plan).
bool recording();
/// While recording: writes `op`'s result (AssignVariableOp / AssignAddVariableOp /
/// AssignSubVariableOp of `value`) into v's existing buffer, as recorded kernels and a recorded
/// device copy; false (nothing done) when the buffer is shared with another live tensor or
/// not a contiguous GPU:0 buffer, and the executor assigns as usual (a new buffer).
bool assign_in_place(Variable& v, const std::string& op, const Tensor& value);

/// Runs fn's plan on `inputs` (the arguments, then fn's captures) from a recorded CUDA graph
/// when it may, recording one first when needed; nullopt: the caller runs the plain executor.
/// `call` is the call number (Note [Random ops in graphs]).
std::optional<std::vector<Tensor>> try_run(const std::shared_ptr<CallableGraph>& fn, std::span<const Tensor> inputs,
                                           uint64_t call);
}  // namespace graph_replay

}  // namespace tapeflow
