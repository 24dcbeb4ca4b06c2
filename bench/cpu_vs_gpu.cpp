// cpu_vs_gpu: the "benchmark CPU versus GPU execution" tool. Runs the same ops (elementwise add,
// reduce_sum, matmul at several sizes, softmax, host<->device transfers, a tiny add's per-op
// overhead) under CPU:0 and GPU:0 and prints a table of times, GB/s or TFLOP/s and the GPU/CPU
// speedup. `--peer` measures PyTorch on the same ops in the same run (the libtorch program
// bench/cpu_vs_gpu_libtorch built by bench/run_cpu_vs_gpu.sh, else python3's torch) and adds
// the ratios. Run `cpu_vs_gpu --help`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tapeflow/tapeflow.h"

namespace {

constexpr const char* kUsage = R"(usage: cpu_vs_gpu [--quick] [--reps N] [--peer[=PROGRAM|python]] [--help]

Times the same tapeflow ops on CPU:0 and GPU:0 and prints, per op, the time per call, the
throughput (GB/s of memory traffic or TFLOP/s) on each device and the GPU/CPU speedup.

  --quick      small sizes (seconds instead of about a minute on the CPU side)
  --reps N     best of N timed repetitions per measurement (default 5)
  --peer       also measure PyTorch on the same ops in the same run: PROGRAM (default: the
               libtorch program cpu_vs_gpu_libtorch next to this binary, built by
               bench/run_cpu_vs_gpu.sh), or `python` for python3's torch; prints its times and
               tapeflow's throughput relative to it (ratio > 1: tapeflow is faster)
  --help       this text

Ops: add (two float32 vectors), reduce_sum (one vector), matmul (float32 n x n, TF32 on as TF
does by default, and 4096 with TF32 off), softmax (rows of 4096), host->device and
device->host copies (through the pinned staging buffers), and tiny_add: an add of 16 floats
issued back to back, synchronized once at the end (the framework's per-op overhead).
Without a GPU the CPU rows are printed and GPU:0 is reported absent.
)";

struct Options {
  bool quick = false;
  int reps = 5;
  bool peer = false;
  std::string peer_program;  // empty: default lookup
};

/// One row of the table: an op measured on each device (seconds per call; < 0: not run).
struct Row {
  std::string name;   // the key shared with the peer programs
  std::string label;  // what the table shows
  double work = 0;    // bytes moved or flops per call
  bool flops = false;
  double cpu = -1, gpu = -1;
};

void synchronize(tf::Device d) {
  if (d.is_gpu()) tf::device_backend(tf::DeviceType::kGPU)->synchronize(d.index());
}

/// Seconds per call of `op` on `device`: best of `reps` runs of `iters` calls, each run
/// synchronized once at its end (so GPU calls overlap their launch overhead, as in training).
double seconds_per_call(const std::function<void()>& op, tf::Device device, int iters, int reps) {
  op();
  synchronize(device);
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) op();
    synchronize(device);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / iters);
  }
  return best;
}

/// The sizes of every op; the peer programs get the same through the same flags.
struct Sizes {
  int64_t vector;               // elements of add / reduce_sum / transfer
  std::vector<int64_t> matmul;  // n of the n x n x n products
  int64_t softmax_rows, softmax_cols;
};
Sizes sizes_for(bool quick) {
  if (quick) return {int64_t(1) << 22, {256, 1024}, 1024, 4096};
  return {int64_t(1) << 28, {256, 1024, 4096}, 4096, 4096};
}

std::vector<Row> measure(const Options& opt, bool have_gpu) {
  const Sizes sz = sizes_for(opt.quick);
  std::vector<Row> rows;
  std::vector<tf::Device> devices = {tf::kCPU0};
  if (have_gpu) devices.push_back(tf::kGPU0);
  auto record = [&](Row& row, tf::Device d, double s) { (d.is_gpu() ? row.gpu : row.cpu) = s; };
  const double vbytes = static_cast<double>(sz.vector) * 4;

  Row add{"add", "add float32 [" + std::to_string(sz.vector) + "]", 3 * vbytes};
  Row sum{"reduce_sum", "reduce_sum float32 [" + std::to_string(sz.vector) + "]", vbytes};
  Row softmax{"softmax",
              "softmax float32 [" + std::to_string(sz.softmax_rows) + "," + std::to_string(sz.softmax_cols) + "]",
              2.0 * static_cast<double>(sz.softmax_rows * sz.softmax_cols) * 4};
  Row tiny{"tiny_add", "tiny_add float32 [16] (per op)", 0};
  std::vector<Row> matmuls;
  for (int64_t n : sz.matmul)
    matmuls.push_back(
        {"matmul_" + std::to_string(n), "matmul float32 " + std::to_string(n) + "^3", 2.0 * n * n * n, true});
  const int64_t big = sz.matmul.back();
  Row matmul_fp32{"matmul_" + std::to_string(big) + "_notf32", "matmul float32 " + std::to_string(big) + "^3, TF32 off",
                  2.0 * big * big * big, true};

  for (tf::Device d : devices) {
    tf::DeviceScope on(d);
    std::fprintf(stderr, "measuring on %s...\n", d.str().c_str());
    {
      auto a = tf::random::uniform({sz.vector}, {.seed = 1}), b = tf::random::uniform({sz.vector}, {.seed = 2});
      record(add, d, seconds_per_call([&] { (void)(a + b); }, d, 3, opt.reps));
      record(sum, d, seconds_per_call([&] { (void)tf::reduce_sum(a); }, d, 3, opt.reps));
    }
    for (std::size_t i = 0; i < sz.matmul.size(); ++i) {
      const int64_t n = sz.matmul[i];
      auto a = tf::random::uniform({n, n}, {.seed = 3}), b = tf::random::uniform({n, n}, {.seed = 4});
      const int iters = n >= 4096 ? 2 : n >= 1024 ? 5 : 20;
      record(matmuls[i], d, seconds_per_call([&] { (void)tf::matmul(a, b); }, d, iters, opt.reps));
      if (n == big && d.is_gpu()) {
        tf::config::enable_tensor_float_32_execution(false);
        record(matmul_fp32, d, seconds_per_call([&] { (void)tf::matmul(a, b); }, d, iters, opt.reps));
        tf::config::enable_tensor_float_32_execution(true);
      }
    }
    {
      auto x = tf::random::normal({sz.softmax_rows, sz.softmax_cols}, {.seed = 5});
      record(softmax, d, seconds_per_call([&] { (void)tf::nn::softmax(x); }, d, 3, opt.reps));
    }
    {
      auto a = tf::random::uniform({16}, {.seed = 6}), b = tf::random::uniform({16}, {.seed = 7});
      record(tiny, d, seconds_per_call([&] { (void)(a + b); }, d, 10000, opt.reps));
    }
  }
  rows.push_back(add);
  rows.push_back(sum);
  for (auto& m : matmuls) rows.push_back(m);
  if (have_gpu) rows.push_back(matmul_fp32);  // TF32 changes nothing on the CPU
  rows.push_back(softmax);
  if (have_gpu) {
    // Transfers: the GPU column holds the copy's time; there is no CPU-side counterpart.
    Row h2d{"h2d", "host->device float32 [" + std::to_string(sz.vector) + "]", vbytes};
    Row d2h{"d2h", "device->host float32 [" + std::to_string(sz.vector) + "]", vbytes};
    tf::Tensor host;
    {
      tf::DeviceScope on("CPU:0");
      host = tf::random::uniform({sz.vector}, {.seed = 8});
    }
    const tf::Tensor dev = host.to(tf::kGPU0);
    h2d.gpu = seconds_per_call([&] { (void)host.to(tf::kGPU0); }, tf::kGPU0, 3, opt.reps);
    d2h.gpu = seconds_per_call([&] { (void)dev.cpu(); }, tf::kGPU0, 3, opt.reps);
    rows.push_back(h2d);
    rows.push_back(d2h);
  }
  rows.push_back(tiny);
  return rows;
}

// ---- peer ---------------------------------------------------------------------------------------

/// The PyTorch peer as a Python script: prints "name device seconds" lines for the same ops.
constexpr const char* kPythonPeer = R"PY(
import sys, time, torch
quick = "--quick" in sys.argv
reps = int(sys.argv[sys.argv.index("--reps") + 1]) if "--reps" in sys.argv else 5
n = 1 << 22 if quick else 1 << 28
mm = [256, 1024] if quick else [256, 1024, 4096]
sr, sc = (1024, 4096) if quick else (4096, 4096)
def sync(d):
    if d == "cuda": torch.cuda.synchronize()
def per_call(op, d, iters):
    op(); sync(d)
    best = 1e30
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(iters): op()
        sync(d)
        best = min(best, (time.perf_counter() - t0) / iters)
    return best
devs = ["cpu"] + (["cuda"] if torch.cuda.is_available() and "--no-gpu" not in sys.argv else [])
for d in devs:
    dn = "GPU" if d == "cuda" else "CPU"
    torch.backends.cuda.matmul.allow_tf32 = True
    a = torch.rand(n, device=d); b = torch.rand(n, device=d)
    print("add", dn, per_call(lambda: a + b, d, 3), flush=True)
    print("reduce_sum", dn, per_call(lambda: a.sum(), d, 3), flush=True)
    del a, b
    for m in mm:
        x = torch.rand(m, m, device=d); y = torch.rand(m, m, device=d)
        it = 2 if m >= 4096 else 5 if m >= 1024 else 20
        print("matmul_%d" % m, dn, per_call(lambda: x @ y, d, it), flush=True)
        if m == mm[-1] and d == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = False
            print("matmul_%d_notf32" % m, dn, per_call(lambda: x @ y, d, it), flush=True)
            torch.backends.cuda.matmul.allow_tf32 = True
    s = torch.randn(sr, sc, device=d)
    print("softmax", dn, per_call(lambda: torch.softmax(s, -1), d, 3), flush=True)
    t1 = torch.rand(16, device=d); t2 = torch.rand(16, device=d)
    print("tiny_add", dn, per_call(lambda: t1 + t2, d, 10000), flush=True)
    if d == "cuda":
        h = torch.rand(n).pin_memory(); g = h.to(d)
        print("h2d", dn, per_call(lambda: h.to(d, non_blocking=True), d, 3), flush=True)
        out = torch.empty(n).pin_memory()
        print("d2h", dn, per_call(lambda: out.copy_(g, non_blocking=True), d, 3), flush=True)
)PY";

/// Runs the peer and returns seconds per call keyed by "name device".
std::map<std::string, double> run_peer(const Options& opt, const std::string& self, bool have_gpu, std::string& who) {
  std::string program = opt.peer_program;
  if (program.empty()) {
    const auto sibling = std::filesystem::path(self).parent_path() / "cpu_vs_gpu_libtorch";
    program = std::filesystem::exists(sibling) ? sibling.string() : "python";
  }
  std::string flags =
      std::string(opt.quick ? " --quick" : "") + " --reps " + std::to_string(opt.reps) + (have_gpu ? "" : " --no-gpu");
  std::string cmd;
  if (program == "python") {
    const auto script = std::filesystem::temp_directory_path() / "tapeflow_cpu_vs_gpu_peer.py";
    std::ofstream(script) << kPythonPeer;
    cmd = "python3 " + script.string() + flags;
    who = "PyTorch (python3)";
  } else {
    cmd = program + flags;
    who = "libtorch (" + program + ")";
  }
  std::fprintf(stderr, "measuring the peer: %s\n", cmd.c_str());
  std::map<std::string, double> out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char line[512];
  while (std::fgets(line, sizeof line, p)) {
    std::istringstream in(line);
    std::string name, dev;
    double s;
    if (in >> name >> dev >> s) out[name + " " + dev] = s;
  }
  if (pclose(p) != 0) std::fprintf(stderr, "warning: the peer exited with an error; its rows may be missing\n");
  return out;
}

// ---- table --------------------------------------------------------------------------------------

std::string time_str(double s) {
  char b[32];
  if (s < 0) return "-";
  if (s < 1e-3)
    std::snprintf(b, sizeof b, "%.2f us", s * 1e6);
  else if (s < 1)
    std::snprintf(b, sizeof b, "%.3f ms", s * 1e3);
  else
    std::snprintf(b, sizeof b, "%.3f s", s);
  return b;
}
std::string rate_str(const Row& r, double s) {
  if (s < 0 || r.work == 0) return "-";
  char b[32];
  if (r.flops)
    std::snprintf(b, sizeof b, "%.2f TFLOP/s", r.work / s * 1e-12);
  else
    std::snprintf(b, sizeof b, "%.1f GB/s", r.work / s * 1e-9);
  return b;
}
std::string ratio_str(double num, double den) {
  if (num < 0 || den < 0) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.2fx", num / den);
  return b;
}

void print_table(const std::vector<Row>& rows, const std::map<std::string, double>* peer, const std::string& who) {
  std::printf("%-40s %11s %15s %11s %15s %9s", "op", "CPU:0", "CPU:0 rate", "GPU:0", "GPU:0 rate", "GPU/CPU");
  if (peer) std::printf(" %11s %11s %9s %9s", "peer CPU", "peer GPU", "vs peer C", "vs peer G");
  std::printf("\n");
  for (const Row& r : rows) {
    std::printf("%-40s %11s %15s %11s %15s %9s", r.label.c_str(), time_str(r.cpu).c_str(), rate_str(r, r.cpu).c_str(),
                time_str(r.gpu).c_str(), rate_str(r, r.gpu).c_str(), ratio_str(r.cpu, r.gpu).c_str());
    if (peer) {
      auto get = [&](const char* dev) {
        auto it = peer->find(r.name + " " + dev);
        return it == peer->end() ? -1.0 : it->second;
      };
      const double pc = get("CPU"), pg = get("GPU");
      // Ratios are peer time / tapeflow time: > 1 means tapeflow is faster.
      std::printf(" %11s %11s %9s %9s", time_str(pc).c_str(), time_str(pg).c_str(), ratio_str(pc, r.cpu).c_str(),
                  ratio_str(pg, r.gpu).c_str());
    }
    std::printf("\n");
  }
  if (peer) std::printf("peer: %s; \"vs peer\" = peer time / tapeflow time (> 1: tapeflow faster)\n", who.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--quick") {
      opt.quick = true;
    } else if (a == "--reps" && i + 1 < argc) {
      opt.reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--peer") {
      opt.peer = true;
    } else if (a.rfind("--peer=", 0) == 0) {
      opt.peer = true;
      opt.peer_program = a.substr(7);
    } else {
      std::fprintf(stderr, "cpu_vs_gpu: unknown argument '%s'\n\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  const auto gpus = tf::config::list_physical_devices("GPU");
  const bool have_gpu = !gpus.empty();
  if (have_gpu) {
    const auto& d = gpus.front().details;
    std::printf("GPU:0: %s (compute capability %s)\n", d.at("device_name").c_str(), d.at("compute_capability").c_str());
  } else {
    std::printf("GPU:0 is absent (no CUDA device%s): only the CPU:0 rows are measured.\n",
                TAPEFLOW_HAS_CUDA ? " found" : "; this build has no CUDA backend");
  }
  std::printf("sizes: %s, best of %d\n\n", opt.quick ? "--quick" : "full", opt.reps);
  try {
    const std::vector<Row> rows = measure(opt, have_gpu);
    std::map<std::string, double> peer;
    std::string who;
    if (opt.peer) peer = run_peer(opt, argv[0], have_gpu, who);
    print_table(rows, opt.peer ? &peer : nullptr, who);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cpu_vs_gpu: %s\n", e.what());
    return 1;
  }
  return 0;
}
