// Helpers of the GPU tests: a fixture that skips without a GPU, random host inputs per dtype,
// and the CPU-vs-GPU parity check (same op under DeviceScope CPU:0 and GPU:0, values compared
// as float64 under a per-dtype tolerance).
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tapeflow/tapeflow.h"
#include "tests/core/test_util.h"

namespace tapeflow::testing {

inline bool has_gpu() { return !tf::config::list_physical_devices("GPU").empty(); }

/// Tests of this fixture run only where a GPU is present (CTest label `gpu`).
class GpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!has_gpu()) GTEST_SKIP() << "no GPU present";
  }
};

/// Restores TF32 on scope exit (float32 parity needs it off: TF32 keeps 10 mantissa bits).
struct Tf32Guard {
  bool saved = tf::config::tensor_float_32_execution_enabled();
  explicit Tf32Guard(bool enabled) { tf::config::enable_tensor_float_32_execution(enabled); }
  ~Tf32Guard() { tf::config::enable_tensor_float_32_execution(saved); }
};

/// Value range of random inputs: kSigned in [-3, 3] (ints [-5, 5]); kPositive in [0.5, 3]
/// (ints [1, 5]: divisors, logs, powers); kNearOne in [0.8, 1.25] (products).
enum class Range { kSigned, kPositive, kNearOne };

/// A random CPU:0 tensor of `shape` and `dtype`.
inline Tensor random_cpu(const Shape& shape, DType dtype, uint32_t seed, Range range = Range::kSigned) {
  std::mt19937 gen(seed);
  const int64_t n = shape.num_elements();
  std::vector<double> v(static_cast<std::size_t>(n));
  for (auto& x : v) {
    if (dtype == DType::kBool) {
      x = gen() % 2;
    } else if (is_integer(dtype)) {
      int lo = range == Range::kSigned && dtype != DType::kUInt8 ? -5 : 1;
      int hi = range == Range::kNearOne ? 2 : 5;
      x = lo + static_cast<int>(gen() % static_cast<uint32_t>(hi - lo + 1));
    } else {
      double lo = range == Range::kSigned ? -3 : range == Range::kPositive ? 0.5 : 0.8;
      double hi = range == Range::kSigned ? 3 : range == Range::kPositive ? 3 : 1.25;
      x = std::uniform_real_distribution<double>(lo, hi)(gen);
    }
  }
  DeviceScope on("CPU:0");
  return constant(v, shape, dtype);
}

/// A non-contiguous CPU:0 tensor of `shape` (rank >= 2): the transpose of a random tensor.
inline Tensor random_transposed_cpu(const Shape& shape, DType dtype, uint32_t seed, Range range = Range::kSigned) {
  Shape t = shape;
  std::swap(t[0], t[t.rank() - 1]);
  std::vector<int> perm;
  for (int i = 0; i < shape.rank(); ++i) perm.push_back(i);
  std::swap(perm.front(), perm.back());
  DeviceScope on("CPU:0");
  Tensor x = transpose(random_cpu(t, dtype, seed, range), perm);
  EXPECT_FALSE(x.is_contiguous());
  return x;
}

/// Moves each tensor to `device`, keeping non-contiguous views non-contiguous (the copy is
/// re-viewed the same way), so GPU kernels see strided inputs too.
inline Tensor same_layout_on(const Tensor& x, Device device) {
  if (x.is_contiguous()) return x.to(device);
  // x is a transpose of a contiguous base (random_transposed_cpu): move the base, transpose again.
  std::vector<int> perm;
  for (int i = 0; i < x.ndim(); ++i) perm.push_back(i);
  std::swap(perm.front(), perm.back());
  Tensor base;
  {
    DeviceScope on("CPU:0");
    base = transpose(x, perm).contiguous();
  }
  DeviceScope on(device);
  return transpose(base.to(device), perm);
}

/// Relative tolerance of GPU vs CPU results: the two backends may round differently (FMA,
/// summation order, transcendental implementations).
inline double parity_tolerance(DType dt) {
  switch (dt) {
    case DType::kFloat64: return 1e-12;
    case DType::kFloat32: return 2e-5;
    case DType::kFloat16: return 2e-3;
    case DType::kBFloat16: return 1.6e-2;
    default: return 0.0;
  }
}

/// Expects gpu (on GPU:0) and cpu (on CPU:0) results to agree in shape, dtype and values.
inline void expect_same(const Tensor& cpu, const Tensor& gpu, double tol, const std::string& what) {
  ASSERT_EQ(cpu.device(), kCPU0) << what;
  ASSERT_EQ(gpu.device(), kGPU0) << what;
  ASSERT_EQ(cpu.shape(), gpu.shape()) << what;
  ASSERT_EQ(cpu.dtype(), gpu.dtype()) << what;
  std::vector<double> c, g;
  {
    DeviceScope on("CPU:0");
    c = values_as_double(cpu);
    g = values_as_double(gpu.cpu());
  }
  int reported = 0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    bool ok;
    if (std::isnan(c[i]))
      ok = std::isnan(g[i]);
    else if (std::isinf(c[i]))
      ok = g[i] == c[i];
    else
      ok = std::abs(g[i] - c[i]) <= tol * std::max(1.0, std::abs(c[i]));
    if (!ok && reported++ < 5) ADD_FAILURE() << what << ": element " << i << " cpu " << c[i] << " gpu " << g[i];
  }
}

/// Runs f on CPU:0 inputs under DeviceScope CPU:0 and on their GPU:0 copies under GPU:0, and
/// compares. Inputs keep their layout (non-contiguous stays non-contiguous).
inline void expect_parity(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& cpu_inputs, const std::string& what, double tol = -1) {
  Tensor cpu, gpu;
  {
    DeviceScope on("CPU:0");
    cpu = f(cpu_inputs);
  }
  std::vector<Tensor> gpu_inputs;
  for (const Tensor& t : cpu_inputs) gpu_inputs.push_back(same_layout_on(t, kGPU0));
  {
    DeviceScope on("GPU:0");
    gpu = f(gpu_inputs);
  }
  expect_same(cpu, gpu, tol >= 0 ? tol : parity_tolerance(cpu.dtype()), what);
}

inline std::string str(DType dt) { return std::string(dtype_name(dt)); }

}  // namespace tapeflow::testing
