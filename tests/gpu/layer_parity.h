// Helpers shared by the CPU-vs-GPU parity tests of the layer ops (conv, pooling, bias_add,
// batch_norm): the floating dtypes, the CPU-fallback counter, and parity checks
// scaled by the size of the terms summed.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "tests/gpu/gpu_test_util.h"
#if TAPEFLOW_HAS_CUDA
#include "tapeflow/kernels/cuda/cpu_fallback.h"
#endif

namespace tapeflow::testing {

inline const std::vector<tf::DType> kFloating = {tf::float32, tf::float64, tf::float16, tf::bfloat16};

/// Calls that fell back to the CPU kernel so far (0 in builds without CUDA).
inline int64_t fallbacks() {
#if TAPEFLOW_HAS_CUDA
  return tf::kernels::cuda::cpu_fallback_count();
#else
  return 0;
#endif
}
inline bool cudnn_built() {
#if TAPEFLOW_HAS_CUDA
  return tf::kernels::cuda::built_with_cudnn();
#else
  return false;
#endif
}

/// Accumulated rounding of a sum relative to the sum of its terms' magnitudes: float32 sums of
/// a few hundred terms stay near 1e-6; the halves are bounded by one rounding of the result.
inline double sum_tolerance(tf::DType dt) {
  switch (dt) {
    case tf::DType::kFloat64: return 1e-12;
    case tf::DType::kFloat32: return 1e-5;
    case tf::DType::kFloat16: return 2e-3;
    default: return 1.6e-2;
  }
}

/// Expects |gpu - cpu| <= tol * scale elementwise (scale >= 0, cpu's shape, float64 values).
inline void expect_close_scaled(const tf::Tensor& cpu, const tf::Tensor& gpu, const std::vector<double>& scale,
                                double tol, const std::string& what) {
  ASSERT_EQ(gpu.device(), tf::kGPU0) << what;
  ASSERT_EQ(cpu.shape(), gpu.shape()) << what;
  ASSERT_EQ(cpu.dtype(), gpu.dtype()) << what;
  std::vector<double> c, g;
  {
    tf::DeviceScope on("CPU:0");
    c = values_as_double(cpu);
    g = values_as_double(gpu.cpu());
  }
  ASSERT_EQ(scale.size(), c.size()) << what;
  int reported = 0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const bool ok = std::abs(g[i] - c[i]) <= tol * std::max(scale[i], 1e-30);
    if (!ok && reported++ < 5)
      ADD_FAILURE() << what << ": element " << i << " cpu " << c[i] << " gpu " << g[i] << " scale " << scale[i];
  }
}

/// f on CPU:0 inputs and on their GPU:0 copies, compared under expect_close_scaled, the scale
/// being f of |inputs| in float64 on the CPU.
inline void expect_parity_scaled(const std::function<tf::Tensor(const std::vector<tf::Tensor>&)>& f,
                                 const std::vector<tf::Tensor>& cpu_inputs, const std::string& what, double tol = -1) {
  tf::Tensor cpu, gpu;
  std::vector<double> scale;
  {
    tf::DeviceScope on("CPU:0");
    cpu = f(cpu_inputs);
    std::vector<tf::Tensor> mags;
    for (const tf::Tensor& t : cpu_inputs) mags.push_back(tf::abs(tf::cast(t, tf::float64)));
    scale = values_as_double(f(mags));
  }
  std::vector<tf::Tensor> gpu_inputs;
  for (const tf::Tensor& t : cpu_inputs) gpu_inputs.push_back(t.to(tf::kGPU0));
  {
    tf::DeviceScope on("GPU:0");
    gpu = f(gpu_inputs);
  }
  expect_close_scaled(cpu, gpu, scale, tol >= 0 ? tol : sum_tolerance(cpu.dtype()), what);
}

}  // namespace tapeflow::testing
