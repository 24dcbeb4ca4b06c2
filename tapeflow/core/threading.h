// Threads of the CPU runtime: TF's tf.config.threading switches, the intra-op thread pool that
// kernels/cpu/parallel.h splits loops over, and the core count both are sized from (the
// affinity mask and the cgroup CPU quota). Note [Intra-op pool] in threading.cpp says why the
// pool is ours rather than OpenMP's.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tapeflow {
namespace config::threading {
/// tf.config.threading.set_intra_op_parallelism_threads: how many threads one op may use, the
/// calling thread included; 0 (the default) lets Tapeflow pick: $OMP_NUM_THREADS when set, else
/// the cores this process may use (affinity mask and cgroup quota). The BLAS library's threads
/// follow the same count. Call it before the first op runs: afterwards a different value raises
/// RuntimeError("Intra op parallelism cannot be modified after initialization."), as TF does
/// (the same value again is accepted). A negative value is InvalidArgumentError.
///   tf::config::threading::set_intra_op_parallelism_threads(2);
void set_intra_op_parallelism_threads(int num_threads);
/// The value set (0 when Tapeflow picks), as TF's getter.
int get_intra_op_parallelism_threads();
/// tf.config.threading.set_inter_op_parallelism_threads: TF's pool for independent ops. Eager
/// ops and traced functions run on the calling thread here, as TF's eager ops do, so the value is
/// recorded with TF's rules (0 = system picks, negative = the caller's thread, fixed after the
/// first op: RuntimeError("Inter op parallelism cannot be modified after initialization.")).
void set_inter_op_parallelism_threads(int num_threads);
int get_inter_op_parallelism_threads();
}  // namespace config::threading

namespace threading {
/// While alive, parallel loops started by this thread run on it alone instead of the intra-op
/// pool. The input pipeline's producer threads (Dataset::prefetch) hold one: the pool belongs
/// to the training step, the producer gets its own thread and never competes for the pool.
class SerialKernelsScope {
 public:
  SerialKernelsScope() noexcept;
  ~SerialKernelsScope();
  SerialKernelsScope(const SerialKernelsScope&) = delete;
  SerialKernelsScope& operator=(const SerialKernelsScope&) = delete;

 private:
  bool previous_;
};

/// The threads a parallel loop may use now (the pool's size), at least 1.
int intra_op_threads();

namespace detail {
/// Runs fn(ctx, begin, end) over contiguous chunks covering [0, n), at least `grain` elements
/// each, on the pool (the calling thread takes the first chunk) and returns true; returns false,
/// having run nothing, when the calling thread should run the loop alone: a pool of one thread,
/// a call from inside a pooled loop, a SerialKernelsScope, or the pool busy with another
/// thread's loop. An exception thrown by fn is rethrown here after every chunk has ended.
bool parallel_run(int64_t n, int64_t grain, void (*fn)(void*, int64_t, int64_t), void* ctx);

/// Called by run_kernel for every kernel: the first one fixes the threading settings (TF's
/// "initialization").
void note_op_ran() noexcept;

/// CPUs in this process's affinity mask (sched_getaffinity), at least 1.
int affinity_cpu_count();
/// The CPU bandwidth the process's cgroups grant, in cores (quota / period, the smallest along
/// the path from its cgroup to the hierarchy's root; cgroup v2's cpu.max or v1's
/// cpu.cfs_quota_us / cpu.cfs_period_us), or nullopt when unlimited. `mountinfo` and
/// `proc_self_cgroup` are the texts of /proc/self/mountinfo and /proc/self/cgroup (tests pass
/// their own, with mount points in a test directory).
std::optional<double> cgroup_cpu_limit(std::string_view mountinfo, std::string_view proc_self_cgroup);
/// min(affinity CPUs, the quota rounded up), at least 1.
int usable_cores(int affinity_cpus, std::optional<double> cgroup_limit);
/// The pool's size when intra_op_parallelism_threads is 0: $OMP_NUM_THREADS (a positive
/// integer), else usable_cores() of this process.
int default_intra_op_threads();

/// Tests only: back to the state before the first op (settings unset and unlocked), the pool
/// rebuilt with `pool_threads` threads (0: the default). No loop may be running.
void reset_for_testing(int pool_threads = 0);
}  // namespace detail
}  // namespace threading
}  // namespace tapeflow
