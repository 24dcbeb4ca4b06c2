// CUDA kernels of the creation ops Fill and Range. Mirrors kernels/cpu/creation.cpp.
#include <type_traits>

#include "tapeflow/core/ops/creation.h"
#include "tapeflow/kernels/cuda/launch.cuh"
#include "tapeflow/kernels/cuda/registration.h"

namespace tapeflow::kernels::cuda {
namespace {

// ---- kernels ------------------------------------------------------------------------------

template <typename T> __global__ void fill_kernel(T* __restrict__ out, int64_t n, T value) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = value;
}

template <typename T>
__global__ void range_kernel(T* __restrict__ out, int64_t n, double start, double delta, int64_t istart,
                             int64_t idelta) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    if constexpr (std::is_integral_v<T>) {
      out[i] = static_cast<T>(istart + i * idelta);
    } else if constexpr (std::is_same_v<T, double>) {  // Note [Range in T's arithmetic]; no FMA contraction
      out[i] = __dadd_rn(start, __dmul_rn(static_cast<double>(i), delta));
    } else if constexpr (std::is_same_v<T, float>) {
      out[i] = __fadd_rn(static_cast<float>(start), __fmul_rn(static_cast<float>(i), static_cast<float>(delta)));
    } else {  // float16/bfloat16: each operation in float, rounded to T
      const T step(__fmul_rn(static_cast<float>(T(static_cast<float>(i))), static_cast<float>(delta)));
      out[i] = T(__fadd_rn(static_cast<float>(start), static_cast<float>(step)));
    }
  }
}

// ---- launchers ------------------------------------------------------------------------------

void fill_kernel_fn(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  const int64_t n = out.size();
  if (n == 0) return;
  cudaStream_t stream = stream_of(ctx);
  const auto& attrs = ctx.attr<ops::FillAttrs>();
  visit_pod(out.dtype(), "Fill", [&]<typename T>() {
    T v = attrs.value.to<T>();
    fill_kernel<T><<<blocks_for(n), kThreads, 0, stream>>>(static_cast<T*>(out.raw_data()), n, v);
    TF_CUDA_LAUNCH_CHECK("fill_kernel");
  });
}

void range_kernel_fn(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  const int64_t n = out.size();
  if (n == 0) return;
  cudaStream_t stream = stream_of(ctx);
  const auto& a = ctx.attr<ops::RangeAttrs>();
  visit_numeric(out.dtype(), "Range", [&]<typename T>() {
    range_kernel<T><<<blocks_for(n), kThreads, 0, stream>>>(static_cast<T*>(out.raw_data()), n, a.start, a.delta,
                                                            a.istart, a.idelta);
    TF_CUDA_LAUNCH_CHECK("range_kernel");
  });
}

}  // namespace

void register_creation_kernels() {
  const DeviceType gpu = DeviceType::kGPU;
  register_kernel(ops::Fill, gpu, fill_kernel_fn);
  register_kernel(ops::Range, gpu, range_kernel_fn);
}

}  // namespace tapeflow::kernels::cuda
