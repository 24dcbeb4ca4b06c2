// The intra-op pool and TF's threading switches: sizing from the affinity mask and cgroup quota
// files (parsed from a test directory), the setters' rules against TF 2.21's, parallel_for's
// chunks, errors and nesting, and ops whose results are identical on 1 and N threads.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "tapeflow/kernels/cpu/parallel.h"
#include "tests/core/test_util.h"

namespace {
namespace fs = std::filesystem;
namespace th = tf::threading::detail;
using tf::kernels::cpu::parallel_for;

/// A directory of fake cgroup files, removed afterwards.
class CgroupDir {
 public:
  CgroupDir() : root_(fs::temp_directory_path() / ("tapeflow_cgroup_" + std::to_string(::getpid()))) {
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  ~CgroupDir() { fs::remove_all(root_); }
  std::string path(const std::string& rel) const { return (root_ / rel).string(); }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }

 private:
  fs::path root_;
};

TEST(ThreadingSizing, UsableCoresIsTheAffinityCappedByTheQuotaRoundedUp) {
  EXPECT_EQ(th::usable_cores(8, std::nullopt), 8);
  EXPECT_EQ(th::usable_cores(8, 2.5), 3);
  EXPECT_EQ(th::usable_cores(8, 2.0), 2);
  EXPECT_EQ(th::usable_cores(8, 0.5), 1);
  EXPECT_EQ(th::usable_cores(2, 16.0), 2);
  EXPECT_EQ(th::usable_cores(0, std::nullopt), 1);
}

TEST(ThreadingSizing, CgroupV2TakesTheSmallestCpuMaxAlongThePath) {
  CgroupDir d;
  d.write("unified/cpu.max", "max 100000\n");
  d.write("unified/a/cpu.max", "300000 100000\n");
  d.write("unified/a/b/cpu.max", "150000 100000\n");
  d.write("unified/a/b/c/cpu.max", "max 100000\n");
  const std::string mountinfo = "30 23 0:26 / " + d.path("unified") + " rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
  EXPECT_EQ(th::cgroup_cpu_limit(mountinfo, "0::/a/b/c\n"), 1.5);
  EXPECT_EQ(th::cgroup_cpu_limit(mountinfo, "0::/a\n"), 3.0);
  EXPECT_EQ(th::cgroup_cpu_limit(mountinfo, "0::/\n"), std::nullopt);  // "max": unlimited
}

TEST(ThreadingSizing, CgroupV1ReadsTheCpuControllersQuotaAndPeriod) {
  CgroupDir d;
  d.write("cpu,cpuacct/docker/x/cpu.cfs_quota_us", "50000\n");
  d.write("cpu,cpuacct/docker/x/cpu.cfs_period_us", "100000\n");
  d.write("cpu,cpuacct/docker/y/cpu.cfs_quota_us", "-1\n");  // no quota
  d.write("cpu,cpuacct/docker/y/cpu.cfs_period_us", "100000\n");
  const std::string mountinfo =
      "40 30 0:33 / " + d.path("memory") + " rw - cgroup cgroup rw,memory\n" +  // another controller
      "41 30 0:34 / " + d.path("cpu,cpuacct") + " rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct\n";
  EXPECT_EQ(th::cgroup_cpu_limit(mountinfo, "5:memory:/docker/x\n4:cpu,cpuacct:/docker/x\n"), 0.5);
  EXPECT_EQ(th::cgroup_cpu_limit(mountinfo, "4:cpu,cpuacct:/docker/y\n"), std::nullopt);
  // cpuacct alone is not the cpu controller.
  EXPECT_EQ(th::cgroup_cpu_limit(mountinfo, "4:cpuacct:/docker/x\n"), std::nullopt);
}

TEST(ThreadingSizing, ContainerSeesItsCgroupAsTheMountsRoot) {
  // /proc/self/cgroup names the host's path, which does not exist under the container's mount.
  CgroupDir d;
  d.write("cg/cpu.max", "200000 100000\n");
  const std::string mountinfo = "30 23 0:26 / " + d.path("cg") + " rw - cgroup2 cgroup2 rw\n";
  EXPECT_EQ(th::cgroup_cpu_limit(mountinfo, "0::/system.slice/docker-abc.scope\n"), 2.0);
  EXPECT_EQ(th::cgroup_cpu_limit("", "0::/\n"), std::nullopt);  // no cgroup mounted
  EXPECT_EQ(th::cgroup_cpu_limit(mountinfo, ""), std::nullopt);
}

TEST(ThreadingSizing, AffinityMaskBoundsTheCount) {
  EXPECT_GE(th::affinity_cpu_count(), 1);
  EXPECT_LE(th::affinity_cpu_count(), static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  cpu_set_t mask;
  ASSERT_EQ(sched_getaffinity(0, sizeof(mask), &mask), 0);
  int first = 0;
  while (!CPU_ISSET(first, &mask)) ++first;
  int pinned = 0;
  std::thread([&] {  // affinity is per thread: pin a fresh one to a single CPU
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    if (sched_setaffinity(0, sizeof(one), &one) == 0) pinned = th::affinity_cpu_count();
  })
      .join();
  EXPECT_EQ(pinned, 1);
}

TEST(ThreadingSizing, OmpNumThreadsSetsTheDefault) {
  const char* saved = std::getenv("OMP_NUM_THREADS");
  const std::string old = saved ? saved : "";
  setenv("OMP_NUM_THREADS", "3", 1);
  EXPECT_EQ(th::default_intra_op_threads(), 3);
  setenv("OMP_NUM_THREADS", "three", 1);  // not a count: the usable cores
  EXPECT_GE(th::default_intra_op_threads(), 1);
  EXPECT_LE(th::default_intra_op_threads(), th::affinity_cpu_count());
  if (saved)
    setenv("OMP_NUM_THREADS", old.c_str(), 1);
  else
    unsetenv("OMP_NUM_THREADS");
}

// TF 2.21 (checked with its Python API): both getters start at 0; setting before the first op
// works and reads back; the same value again after it is accepted, a different one raises
// RuntimeError("Intra op parallelism cannot be modified after initialization.").
TEST(ThreadingConfig, SettersFollowTfsRules) {
  namespace cfg = tf::config::threading;
  th::reset_for_testing();
  EXPECT_EQ(cfg::get_intra_op_parallelism_threads(), 0);
  EXPECT_EQ(cfg::get_inter_op_parallelism_threads(), 0);
  cfg::set_intra_op_parallelism_threads(3);
  cfg::set_inter_op_parallelism_threads(2);
  EXPECT_EQ(cfg::get_intra_op_parallelism_threads(), 3);
  EXPECT_EQ(cfg::get_inter_op_parallelism_threads(), 2);
  EXPECT_EQ(tf::threading::intra_op_threads(), 3);  // the pool follows the setting
  EXPECT_TF_ERROR(cfg::set_intra_op_parallelism_threads(-1), tf::errors::InvalidArgumentError,
                  "intra_op_parallelism_threads must be >= 0");
  cfg::set_inter_op_parallelism_threads(-1);  // TF: negative runs ops on the caller's thread
  cfg::set_inter_op_parallelism_threads(2);

  tf::Tensor y = tf::constant({1.f, 2.f}) + 1.f;  // the first op: the settings are fixed now
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{2.f, 3.f}));
  cfg::set_intra_op_parallelism_threads(3);
  cfg::set_inter_op_parallelism_threads(2);
  try {
    cfg::set_intra_op_parallelism_threads(4);
    ADD_FAILURE() << "no RuntimeError";
  } catch (const tf::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "Intra op parallelism cannot be modified after initialization.");
  }
  try {
    cfg::set_inter_op_parallelism_threads(0);
    ADD_FAILURE() << "no RuntimeError";
  } catch (const tf::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "Inter op parallelism cannot be modified after initialization.");
  }
  EXPECT_THROW(cfg::set_intra_op_parallelism_threads(0), tf::RuntimeError);
  EXPECT_EQ(cfg::get_intra_op_parallelism_threads(), 3);
  EXPECT_EQ(tf::threading::intra_op_threads(), 3);
  th::reset_for_testing();
  (void)(tf::constant({1.f}) + 1.f);  // later tests run after the first op, as any program
}

/// The set of threads that ran parallel_for's chunks; checks each index was visited once. Chunks
/// are claimed by whichever thread is free (Note [Chunks are claimed, not assigned]): the caller
/// may run them all before a worker wakes. With `meet` > 1 each chunk waits (up to 20 s) until
/// `meet` threads have each claimed one, so a pool that hands its chunks out shows `meet` threads.
std::set<std::thread::id> chunk_threads(int64_t n, int64_t grain, std::size_t meet = 1) {
  std::vector<std::atomic<int>> visits(static_cast<std::size_t>(n));
  std::mutex mu;
  std::condition_variable met;
  std::set<std::thread::id> ids;
  parallel_for(n, grain, [&](int64_t b, int64_t e) {
    {
      std::unique_lock<std::mutex> lock(mu);
      ids.insert(std::this_thread::get_id());
      met.notify_all();
      met.wait_for(lock, std::chrono::seconds(20), [&] { return ids.size() >= meet; });
    }
    EXPECT_TRUE(b % 16 == 0) << "chunk start " << b;
    for (int64_t i = b; i < e; ++i) visits[std::size_t(i)].fetch_add(1);
  });
  for (int64_t i = 0; i < n; ++i) EXPECT_EQ(visits[std::size_t(i)].load(), 1) << "index " << i;
  return ids;
}

TEST(ThreadingPool, ParallelForSplitsAboveTheGrainOnly) {
  th::reset_for_testing(4);
  EXPECT_EQ(tf::threading::intra_op_threads(), 4);
  const auto self = std::this_thread::get_id();
  EXPECT_EQ(chunk_threads(1000, 1000), std::set<std::thread::id>{self});  // at the grain: the caller alone
  EXPECT_EQ(chunk_threads(1001, 1000, 2).size(), 2u);                     // two chunks of ~500
  std::set<std::thread::id> four = chunk_threads(100003, 1000, 4);
  EXPECT_EQ(four.size(), 4u);
  EXPECT_TRUE(four.count(self));  // the caller takes a chunk too
  parallel_for(0, 1, [](int64_t, int64_t) { ADD_FAILURE() << "an empty range calls nothing"; });
  th::reset_for_testing(1);
  EXPECT_EQ(chunk_threads(100003, 1000), std::set<std::thread::id>{self});
  th::reset_for_testing();
}

TEST(ThreadingPool, AnExceptionInAChunkReachesTheCallerAndThePoolGoesOn) {
  th::reset_for_testing(4);
  for (int round = 0; round < 3; ++round) {
    EXPECT_THROW(parallel_for(4000, 100,
                              [](int64_t b, int64_t e) {
                                if (b <= 2500 && 2500 < e) throw std::out_of_range("chunk with 2500");
                              }),
                 std::out_of_range);
    EXPECT_EQ(chunk_threads(4000, 100, 4).size(), 4u);
  }
  th::reset_for_testing();
}

TEST(ThreadingPool, NestedLoopsAndSerialScopesRunOnTheirThread) {
  th::reset_for_testing(4);
  std::atomic<int64_t> total{0};
  std::atomic<bool> inner_left_its_thread{false};
  parallel_for(64, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const auto outer = std::this_thread::get_id();
      parallel_for(10000, 10, [&](int64_t ib, int64_t ie) {
        if (std::this_thread::get_id() != outer) inner_left_its_thread = true;
        total += ie - ib;
      });
    }
  });
  EXPECT_EQ(total.load(), 64 * 10000);
  EXPECT_FALSE(inner_left_its_thread.load());
  {
    tf::threading::SerialKernelsScope serial;
    EXPECT_EQ(chunk_threads(100000, 10).size(), 1u);
  }
  EXPECT_EQ(chunk_threads(100000, 10, 4).size(), 4u);
  th::reset_for_testing();
}

TEST(ThreadingPool, ConcurrentCallersEachGetTheirWholeLoop) {
  // Threads racing for the pool: one wins, the others run alone; every loop covers its range.
  th::reset_for_testing(3);
  std::vector<std::thread> callers;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        const int64_t n = 5000 + 97 * t + round;
        std::vector<int> seen(static_cast<std::size_t>(n), 0);
        parallel_for(n, 64, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) seen[std::size_t(i)] += 1;
        });
        for (int v : seen) wrong += v != 1;
      }
    });
  for (auto& c : callers) c.join();
  EXPECT_EQ(wrong.load(), 0);
  th::reset_for_testing();
}

/// Kernels that split their work over the pool, computed with `threads` threads (OpenBLAS's own
/// thread count, which a test's pool size leaves alone, stays the same).
std::vector<std::vector<float>> pooled_ops(int threads) {
  th::reset_for_testing(threads);
  tf::random::set_seed(7);
  auto x = tf::random::normal({8, 28, 28, 16});
  auto w = tf::random::normal({3, 3, 16, 32});
  auto a = tf::random::normal({300, 700});
  auto b = tf::random::normal({700, 200});
  auto conv = tf::nn::conv2d(x, w, 1, "SAME");
  tf::Variable v(tf::random::normal({200000}));
  tf::keras::optimizers::Adam adam({.learning_rate = 1e-2});
  for (int step = 0; step < 3; ++step) adam.apply_gradients({tf::sin(v.value())}, {v});
  std::vector<std::vector<float>> out{
      (tf::exp(a) * 2.f + a).to_vector<float>(),
      tf::matmul(a, b).to_vector<float>(),
      tf::reduce_sum(a, 1).to_vector<float>(),
      tf::nn::softmax(a).to_vector<float>(),
      conv.to_vector<float>(),
      tf::nn::max_pool2d(conv, 2, 2, "VALID").to_vector<float>(),
      tf::nn::conv2d_backprop_filter(x, {3, 3, 16, 32}, conv, 1, "SAME").to_vector<float>(),
      v.value().to_vector<float>(),
  };
  th::reset_for_testing();
  return out;
}

// Note [The pool across fork]: a forked child builds its own pool (the parent's workers are not
// there); without that, the child's first parallel loop would wait for them forever.
TEST(ThreadingPool, AForkedChildRunsParallelLoops) {
  th::reset_for_testing(4);
  EXPECT_EQ(chunk_threads(100003, 1000, 4).size(), 4u);  // the parent's pool is up
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::alarm(60);  // a hang ends the child with SIGALRM, which the parent reports
    std::atomic<int64_t> sum{0};
    parallel_for(100003, 1000, [&](int64_t b, int64_t e) {
      int64_t part = 0;
      for (int64_t i = b; i < e; ++i) part += i;
      sum += part;
    });
    ::_exit(sum.load() == int64_t{100003} * 100002 / 2 ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  th::reset_for_testing();
}

TEST(ThreadingPool, ResultsAreIdenticalOnOneAndFourThreads) {
  const auto one = pooled_ops(1), four = pooled_ops(4);
  ASSERT_EQ(one.size(), four.size());
  for (std::size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(one[i] == four[i]) << "result " << i << " differs";
}

}  // namespace
