// The intra-op thread pool, TF's threading switches and the core count they are sized from.
#include "tapeflow/core/threading.h"

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "tapeflow/core/errors.h"

// The BLAS and OpenMP runtimes linked into the process, if any: their thread counts follow the
// intra-op count (weak, so core does not depend on either library).
extern "C" void openblas_set_num_threads(int) __attribute__((weak));
extern "C" void omp_set_num_threads(int) __attribute__((weak));

namespace tapeflow::threading {
namespace {

// Note [Intra-op pool]: parallel loops used to run on OpenMP (libgomp), whose idle workers
// spin for about 3 ms after every parallel region unless OMP_WAIT_POLICY=PASSIVE is set before
// the process starts (libgomp reads it when it is loaded, before any of our code runs; no API
// changes it later). On a machine whose cores are all busy, those spinning workers take the
// cores that OpenBLAS's threads, the input pipeline's thread or other processes need: the seed's
// CNN step in fit took 54 ms instead of 18.6 ms. This pool's workers spin only briefly, yielding
// the core to any other runnable thread while they do, then sleep on a futex (std::atomic::wait),
// so no environment variable is needed. One loop runs on the pool at a time; a second thread
// that asks meanwhile (the input pipeline, a user's thread) runs its loop alone rather than
// doubling the threads that compete for the cores.

/// How long an idle worker (or a caller waiting for its workers) polls before sleeping. Eager
/// kernels follow each other within a few microseconds (the op door's cost), so a worker that
/// polls this long usually catches the next loop without a futex wake-up (5-50 µs, much more on a
/// loaded machine); it yields while polling, so a thread that needs the core gets it.
constexpr auto kSpin = std::chrono::microseconds(50);

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/// Polls `ready` for up to kSpin (yielding the core between polls); true when it became true.
template <typename Ready> bool spin_until(Ready ready) {
  for (int i = 0; i < 64; ++i) {  // a few hundred ns of pure spinning: the common case of a short wait
    if (ready()) return true;
    cpu_relax();
  }
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  do {
    if (ready()) return true;
    std::this_thread::yield();
  } while (std::chrono::steady_clock::now() < deadline);
  return ready();
}

thread_local bool t_serial = false;  // inside a pooled loop, or a SerialKernelsScope

using ChunkFn = void (*)(void*, int64_t, int64_t);

class Pool {
 public:
  explicit Pool(int threads) : threads_(threads) {
    for (int i = 1; i < threads_; ++i) workers_.push_back(std::make_unique<Worker>());
    for (int i = 1; i < threads_; ++i) workers_[std::size_t(i - 1)]->thread = std::thread([this, i] { work(i); });
  }
  ~Pool() {
    stop_.store(true);
    for (auto& w : workers_) {
      w->go.fetch_add(1);
      w->go.notify_one();
    }
    for (auto& w : workers_) w->thread.join();
  }
  int threads() const { return threads_; }
  std::mutex busy;  // held by the thread whose loop runs on the pool

  /// Runs the loop's `nt` chunks on the pool (the caller included); the caller holds `busy`.
  /// Note [Chunks are claimed, not assigned]: every thread, the caller too, claims chunk indices
  /// from one counter until none is left, and the caller then waits only for chunks that a
  /// worker claimed and is running. On a busy machine a woken worker may not get a core for
  /// milliseconds; with chunk i fixed to worker i the caller waited that long at every loop (the
  /// LSTM example's 2-thread epochs took 6x their single-thread time at load 10), now it runs
  /// the chunk itself. The chunks' bounds do not depend on who runs them, and no kernel's result
  /// depends on the thread that runs a chunk, so results do not change.
  void run(int nt, int64_t n, int64_t chunk, ChunkFn fn, void* ctx) {
    fn_ = fn;
    ctx_ = ctx;
    n_ = n;
    chunk_ = chunk;
    error_ = nullptr;
    done_.store(0, std::memory_order_relaxed);
    // The job's id and chunk count ride in the claim word, so a worker that claims late (from a
    // job already over, or the next one) reads both from the word it claimed from: a claim is
    // valid only against its own job's count, and the fields stay put until the job's claimed
    // chunks are all done.
    job_ = (job_ + 1) & 0xffff'ffffU;
    claim_.store((uint64_t(job_) << 32) | (uint64_t(uint32_t(nt)) << 16), std::memory_order_release);
    for (int i = 1; i < nt; ++i) {  // wake as many workers as there are chunks to share
      Worker& w = *workers_[std::size_t(i - 1)];
      w.go.fetch_add(1);
      if (w.sleeping.load()) w.go.notify_one();
    }
    run_claimed_chunks();
    const auto all_done = [&] { return done_.load(std::memory_order_acquire) == nt; };
    if (!spin_until(all_done)) {
      caller_sleeping_.store(true);
      for (int d; (d = done_.load()) != nt;) done_.wait(d);
      caller_sleeping_.store(false, std::memory_order_relaxed);
    }
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  struct alignas(64) Worker {
    std::atomic<uint32_t> go{0};  // bumped once per job that wants this worker
    std::atomic<bool> sleeping{false};
    std::thread thread;
  };

  /// Claims and runs chunks of the current job until none is left; false when it ran none.
  bool run_claimed_chunks() {
    bool ran = false;
    while (true) {
      const uint64_t word = claim_.fetch_add(1, std::memory_order_acq_rel);
      const auto index = int(word & 0xffff), count = int((word >> 16) & 0xffff);
      if (index >= count) return ran;
      ran = true;
      const int64_t b = std::min(n_, index * chunk_), e = std::min(n_, b + chunk_);
      if (b < e) {
        try {
          fn_(ctx_, b, e);
        } catch (...) {
          std::lock_guard<std::mutex> lock(error_mu_);
          if (!error_) error_ = std::current_exception();
        }
      }
      if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == count && caller_sleeping_.load()) done_.notify_one();
    }
  }

  void work(int index) {
    t_serial = true;  // a loop inside a pooled chunk runs on its thread
    Worker& w = *workers_[std::size_t(index - 1)];
    uint32_t seen = 0;
    while (true) {
      if (!spin_until([&] { return w.go.load(std::memory_order_acquire) != seen; })) {
        w.sleeping.store(true);
        for (uint32_t g; (g = w.go.load()) == seen;) w.go.wait(g);
        w.sleeping.store(false, std::memory_order_relaxed);
      }
      seen = w.go.load(std::memory_order_acquire);
      if (stop_.load()) return;
      run_claimed_chunks();
    }
  }

  const int threads_;
  std::vector<std::unique_ptr<Worker>> workers_;  // threads 1..threads_-1; the caller is thread 0
  ChunkFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t n_ = 0, chunk_ = 0;
  uint32_t job_ = 0;                          // the current job's id (the caller's only)
  alignas(64) std::atomic<uint64_t> claim_{0};  // job id << 32 | chunk count << 16 | next chunk
  alignas(64) std::atomic<int> done_{0};        // chunks of the current job that have ended
  std::atomic<bool> caller_sleeping_{false};
  std::atomic<bool> stop_{false};
  std::mutex error_mu_;
  std::exception_ptr error_;
};

// Settings (TF's: 0 = the system picks) and whether the first op has run.
std::atomic<int> g_intra{0}, g_inter{0};
std::atomic<bool> g_op_ran{false};
// The pool lives until the process ends (never destroyed: a static object's destructor that
// runs an op at exit still finds it); only a new setting before the first op, or a test's
// reset, replaces it.
std::mutex g_pool_mu;
Pool* g_pool_owner = nullptr;        // under g_pool_mu
std::atomic<Pool*> g_pool{nullptr};  // the pool loops use; null: build it on first use

// Note [The pool across fork]: a forked child has only the thread that called fork, so the
// parent's workers are not there to run its chunks (the checkpoint and BackupAndRestore tests fork
// writers that train). The child forgets the parent's pool (leaked, never used) and builds its own
// on its first parallel loop, as libgomp does; the pool mutex is held across fork so that the child
// never inherits it locked by another thread.
void forget_pool_in_child() {
  g_pool_owner = nullptr;
  g_pool.store(nullptr);
  g_pool_mu.unlock();
}

void handle_fork_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    pthread_atfork([] { g_pool_mu.lock(); }, [] { g_pool_mu.unlock(); }, forget_pool_in_child);
  });
}

/// Builds the pool (again, when `rebuild`) with `threads` threads, 0: the setting or the default.
Pool* make_pool(int threads, bool rebuild) {
  handle_fork_once();
  std::lock_guard<std::mutex> lock(g_pool_mu);
  if (Pool* p = g_pool.load(); p != nullptr && !rebuild) return p;
  const bool chosen = g_intra.load() > 0;  // a count the program gave
  const int n = threads > 0 ? threads : chosen ? g_intra.load() : detail::default_intra_op_threads();
  // The libraries' own variables win over the default, not over a count the program chose. A
  // test's pool size (threads > 0) leaves them alone: it checks our pool, not OpenBLAS's split.
  if (threads == 0 && openblas_set_num_threads && (chosen || std::getenv("OPENBLAS_NUM_THREADS") == nullptr))
    openblas_set_num_threads(n);
  if (threads == 0 && omp_set_num_threads && (chosen || std::getenv("OMP_NUM_THREADS") == nullptr))
    omp_set_num_threads(n);
  Pool* old = g_pool_owner;
  g_pool_owner = new Pool(n);
  g_pool.store(g_pool_owner);
  if (old != nullptr) {
    { std::lock_guard<std::mutex> running(old->busy); }  // a loop still on it ends first
    delete old;
  }
  return g_pool_owner;
}

Pool& pool() {
  Pool* p = g_pool.load(std::memory_order_acquire);
  return p != nullptr ? *p : *make_pool(0, false);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return f ? ss.str() : std::string();
}

/// The limit one cgroup directory sets, in cores, or nullopt (no file, "max", -1).
std::optional<double> cgroup_dir_limit(const std::string& dir, bool v2) {
  std::istringstream in(v2 ? read_file(dir + "/cpu.max")
                           : read_file(dir + "/cpu.cfs_quota_us") + " " + read_file(dir + "/cpu.cfs_period_us"));
  std::string quota;
  double period = 0;
  if (!(in >> quota >> period) || quota == "max" || period <= 0) return std::nullopt;
  char* end = nullptr;
  const double q = std::strtod(quota.c_str(), &end);
  if (end == quota.c_str() || q <= 0) return std::nullopt;
  return q / period;
}
}  // namespace

SerialKernelsScope::SerialKernelsScope() noexcept : previous_(std::exchange(t_serial, true)) {}
SerialKernelsScope::~SerialKernelsScope() { t_serial = previous_; }

int intra_op_threads() { return pool().threads(); }

namespace detail {
bool parallel_run(int64_t n, int64_t grain, void (*fn)(void*, int64_t, int64_t), void* ctx) {
  if (t_serial) return false;
  Pool& p = pool();
  // Chunks of at least `grain` elements, starting on 16-element boundaries so that threads do
  // not write the same cache lines.
  const int64_t most = grain > 0 ? (n + grain - 1) / grain : n;
  const int nt_wanted = static_cast<int>(std::min<int64_t>(p.threads(), most));
  if (nt_wanted < 2) return false;
  const int64_t chunk = ((n + nt_wanted - 1) / nt_wanted + 15) / 16 * 16;
  const int nt = static_cast<int>((n + chunk - 1) / chunk);
  if (nt < 2 || !p.busy.try_lock()) return false;
  std::lock_guard<std::mutex> hold(p.busy, std::adopt_lock);
  t_serial = true;
  try {
    p.run(nt, n, chunk, fn, ctx);
  } catch (...) {
    t_serial = false;
    throw;
  }
  t_serial = false;
  return true;
}

void note_op_ran() noexcept {
  if (!g_op_ran.load(std::memory_order_relaxed)) [[unlikely]]
    g_op_ran.store(true);
}

int affinity_cpu_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return std::max(1u, std::thread::hardware_concurrency());
  return std::max(1, CPU_COUNT(&set));
}

std::optional<double> cgroup_cpu_limit(std::string_view mountinfo, std::string_view proc_self_cgroup) {
  std::optional<double> limit;
  auto take = [&](std::optional<double> v) {
    if (v && (!limit || *v < *limit)) limit = v;
  };
  // /proc/self/cgroup: "hierarchy:controllers:path"; v2's line is "0::path".
  std::istringstream groups{std::string(proc_self_cgroup)};
  for (std::string line; std::getline(groups, line);) {
    const auto c1 = line.find(':'), c2 = line.find(':', c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) continue;
    const std::string controllers = "," + line.substr(c1 + 1, c2 - c1 - 1) + ",", path = line.substr(c2 + 1);
    const bool v2 = controllers == ",,";
    if (!v2 && controllers.find(",cpu,") == std::string::npos) continue;
    // mountinfo: "id parent major:minor root mount_point options [tags] - fstype source super_options".
    std::istringstream mounts{std::string(mountinfo)};
    for (std::string m; std::getline(mounts, m);) {
      std::istringstream f(m);
      std::string id, parent, dev, root, point, word;
      f >> id >> parent >> dev >> root >> point;
      while (f >> word && word != "-") {}
      std::string fstype, source, options;
      f >> fstype >> source >> options;
      if (v2 ? fstype != "cgroup2" : fstype != "cgroup" || ("," + options + ",").find(",cpu,") == std::string::npos)
        continue;
      // The process's cgroup below the mount (a container sees its own cgroup as the mount's
      // root while /proc/self/cgroup names the host's path: then the mount point is the cgroup).
      std::string rel = path;
      if (root != "/" && rel.compare(0, root.size(), root) == 0) rel = rel.substr(root.size());
      std::string dir = point + (rel == "/" ? "" : rel);
      std::error_code ec;
      if (!std::filesystem::is_directory(dir, ec)) dir = point;
      for (;;) {  // the limits along the path up to the mount point: the smallest binds
        take(cgroup_dir_limit(dir, v2));
        if (dir.size() <= point.size()) break;
        dir = dir.substr(0, dir.rfind('/'));
      }
    }
  }
  return limit;
}

int usable_cores(int affinity_cpus, std::optional<double> cgroup_limit) {
  int n = std::max(1, affinity_cpus);
  if (cgroup_limit) n = std::min(n, static_cast<int>(std::ceil(*cgroup_limit - 1e-9)));
  return std::max(1, n);
}

int default_intra_op_threads() {
  if (const char* env = std::getenv("OMP_NUM_THREADS")) {  // the convention PyTorch and OpenBLAS follow too
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v > 0 && v <= 4096) return static_cast<int>(v);
  }
  return usable_cores(affinity_cpu_count(),
                      cgroup_cpu_limit(read_file("/proc/self/mountinfo"), read_file("/proc/self/cgroup")));
}

void reset_for_testing(int pool_threads) {
  g_intra.store(0);
  g_inter.store(0);
  make_pool(pool_threads, true);
  g_op_ran.store(false);
}
}  // namespace detail
}  // namespace tapeflow::threading

namespace tapeflow::config::threading {
namespace {
void set_once(std::atomic<int>& setting, int value, const char* which) {
  if (value == setting.load()) return;
  if (::tapeflow::threading::g_op_ran.load())
    throw RuntimeError(std::string(which) + " op parallelism cannot be modified after initialization.");
  setting.store(value);
}
}  // namespace

void set_intra_op_parallelism_threads(int num_threads) {
  TF_CHECK_ARG(num_threads >= 0, "", "intra_op_parallelism_threads must be >= 0 (0: the system picks), got ",
               num_threads);
  if (num_threads == get_intra_op_parallelism_threads()) return;
  set_once(::tapeflow::threading::g_intra, num_threads, "Intra");
  // Before the first op: a pool built already (intra_op_threads() was asked) follows the count.
  std::lock_guard<std::mutex> lock(::tapeflow::threading::g_pool_mu);
  ::tapeflow::threading::g_pool.store(nullptr);
}
int get_intra_op_parallelism_threads() { return ::tapeflow::threading::g_intra.load(); }
void set_inter_op_parallelism_threads(int num_threads) {
  set_once(::tapeflow::threading::g_inter, num_threads, "Inter");
}
int get_inter_op_parallelism_threads() { return ::tapeflow::threading::g_inter.load(); }
}  // namespace tapeflow::config::threading
