// The libtorch peer of bench/cpu_vs_gpu: the same ops at the same sizes, printed as
// "name device seconds_per_call" lines that cpu_vs_gpu --peer reads. Not part of the CMake
// build (it needs PyTorch's headers and libraries): bench/run_cpu_vs_gpu.sh compiles it.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

bool has_flag(int argc, char** argv, const char* flag) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], flag) == 0) return true;
  return false;
}

void sync(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize();
}

/// Best of `reps` runs of `iters` calls, synchronized once per run (as cpu_vs_gpu measures).
double per_call(const std::function<void()>& op, const torch::Device& d, int iters, int reps) {
  op();
  sync(d);
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) op();
    sync(d);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / iters);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = has_flag(argc, argv, "--quick");
  int reps = 5;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--reps") == 0) reps = std::max(1, std::atoi(argv[i + 1]));
  const int64_t n = quick ? int64_t(1) << 22 : int64_t(1) << 28;
  const std::vector<int64_t> mm = quick ? std::vector<int64_t>{256, 1024} : std::vector<int64_t>{256, 1024, 4096};
  const int64_t sr = quick ? 1024 : 4096, sc = 4096;
  torch::NoGradGuard no_grad;

  std::vector<torch::Device> devices = {torch::kCPU};
  if (torch::cuda::is_available() && !has_flag(argc, argv, "--no-gpu")) devices.emplace_back(torch::kCUDA, 0);
  for (const auto& d : devices) {
    const char* dn = d.is_cuda() ? "GPU" : "CPU";
    auto opts = torch::TensorOptions().device(d).dtype(torch::kFloat32);
    auto print = [&](const std::string& name, double s) {
      std::printf("%s %s %.9g\n", name.c_str(), dn, s), std::fflush(stdout);
    };
    at::globalContext().setAllowTF32CuBLAS(true);
    {
      auto a = torch::rand({n}, opts), b = torch::rand({n}, opts);
      print("add", per_call([&] { (void)(a + b); }, d, 3, reps));
      print("reduce_sum", per_call([&] { (void)a.sum(); }, d, 3, reps));
    }
    for (int64_t m : mm) {
      auto x = torch::rand({m, m}, opts), y = torch::rand({m, m}, opts);
      const int iters = m >= 4096 ? 2 : m >= 1024 ? 5 : 20;
      print("matmul_" + std::to_string(m), per_call([&] { (void)torch::matmul(x, y); }, d, iters, reps));
      if (m == mm.back() && d.is_cuda()) {
        at::globalContext().setAllowTF32CuBLAS(false);
        print("matmul_" + std::to_string(m) + "_notf32", per_call([&] { (void)torch::matmul(x, y); }, d, iters, reps));
        at::globalContext().setAllowTF32CuBLAS(true);
      }
    }
    {
      auto s = torch::randn({sr, sc}, opts);
      print("softmax", per_call([&] { (void)torch::softmax(s, -1); }, d, 3, reps));
    }
    {
      auto t1 = torch::rand({16}, opts), t2 = torch::rand({16}, opts);
      print("tiny_add", per_call([&] { (void)(t1 + t2); }, d, 10000, reps));
    }
    if (d.is_cuda()) {
      auto h = torch::rand({n}).pin_memory();
      auto g = h.to(d);
      print("h2d", per_call([&] { (void)h.to(d, /*non_blocking=*/true); }, d, 3, reps));
      auto out = torch::empty({n}).pin_memory();
      print("d2h", per_call([&] { out.copy_(g, /*non_blocking=*/true); }, d, 3, reps));
    }
  }
  return 0;
}
