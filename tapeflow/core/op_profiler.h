// The profiler hook of the op door: every kernel, run by the door (dispatch.cpp) or by the graph
// executor, goes through run_kernel, which reports it to the installed OpProfiler (tf::profiler,
// set by serialization/; the op table's coverage check in tests/). With none installed a kernel run costs one relaxed
// atomic load more.
#pragma once
#include <cstdint>
#include <span>

#include "tapeflow/core/dispatch.h"

namespace tapeflow {

class OpProfiler {
 public:
  virtual ~OpProfiler() = default;
  /// `op` ran on `device` from start_ns to end_ns (steady clock) on `inputs`, giving `outputs`; on
  /// a GPU run_kernel waits for the device before taking end_ns, so the span is the kernel's, not
  /// its launch's.
  virtual void op_ran(const OpDef& op, Device device, std::span<const Tensor> inputs, std::span<const Tensor> outputs,
                      int64_t start_ns, int64_t end_ns) = 0;
};
/// Installs `profiler` for every thread (nullptr uninstalls); returns the previous one.
OpProfiler* set_op_profiler(OpProfiler* profiler) noexcept;
/// Runs `kernel` on `ctx`, reported to the installed profiler if any.
void run_kernel(KernelFn kernel, KernelContext& ctx);

}  // namespace tapeflow
