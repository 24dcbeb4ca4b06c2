// Kernels of batch_norm_stats.h: per-channel statistics around cuDNN's batch norm, and the
// frozen-statistics gradient, in double like the CPU kernel (kernels/cpu/batch_norm.cpp).
#include <cmath>
#include <type_traits>

#include "tapeflow/kernels/batch_norm.h"
#include "tapeflow/kernels/cuda/batch_norm_stats.h"
#include "tapeflow/kernels/cuda/channel_sums.cuh"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cuda {
namespace {

template <typename U>
__global__ void finalize_kernel(const U* __restrict__ mean, const U* __restrict__ inv_std,
                                const U* __restrict__ old_mean, const U* __restrict__ old_var, U* __restrict__ out_mean,
                                U* __restrict__ out_var, U* __restrict__ reserve_var, int64_t c, double bessel,
                                double epsilon, double factor) {
  for (int64_t ch = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; ch < c; ch += int64_t(gridDim.x) * blockDim.x) {
    const double m = static_cast<double>(mean[ch]), inv = static_cast<double>(inv_std[ch]);
    const double var = fmax(0.0, 1.0 / (inv * inv) - epsilon);
    reserve_var[ch] = static_cast<U>(var);
    const bool averaged = factor != 1.0;  // else the running inputs are empty
    const double running_mean = averaged ? static_cast<double>(old_mean[ch]) : 0.0;
    const double running_var = averaged ? static_cast<double>(old_var[ch]) : 0.0;
    out_mean[ch] = static_cast<U>(running_average(running_mean, m, factor));
    out_var[ch] = static_cast<U>(running_average(running_var, var * bessel, factor));
  }
}

template <typename U>
__global__ void inv_std_kernel(const U* __restrict__ var, U* __restrict__ inv_std, int64_t c, double epsilon) {
  for (int64_t ch = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; ch < c; ch += int64_t(gridDim.x) * blockDim.x)
    inv_std[ch] = static_cast<U>(1.0 / sqrt(static_cast<double>(var[ch]) + epsilon));
}

// sums[0] = sum(dy), sums[1] = sum(dy * (x - mean)).
template <typename T, typename U> struct FrozenTerm {
  const T* dy;
  const T* x;
  const U* mean;
  int64_t c;
  __device__ void operator()(int64_t r, int64_t ch, double (&acc)[2]) const {
    const double g = static_cast<double>(static_cast<compute_t<T>>(dy[r * c + ch]));
    acc[0] += g;
    acc[1] += g * (static_cast<double>(static_cast<compute_t<T>>(x[r * c + ch])) - static_cast<double>(mean[ch]));
  }
};
template <typename U> struct FrozenFinish {
  const U* scale;
  const U* var;
  U* d_scale;
  U* d_offset;
  double* dx_scale;  // scale * inv_std per channel, for the dx pass
  double epsilon;
  __device__ void operator()(int64_t ch, const double (&s)[2]) const {
    const double inv = 1.0 / sqrt(static_cast<double>(var[ch]) + epsilon);
    d_offset[ch] = static_cast<U>(s[0]);
    d_scale[ch] = static_cast<U>(s[1] * inv);
    dx_scale[ch] = static_cast<double>(scale[ch]) * inv;
  }
};

template <typename T>
__global__ void scale_rows_kernel(const T* __restrict__ dy, const double* __restrict__ a, T* __restrict__ dx, int64_t n,
                                  int64_t c) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    dx[i] = T(static_cast<compute_t<T>>(__dmul_rn(a[i % c], static_cast<double>(static_cast<compute_t<T>>(dy[i])))));
}

/// Calls f.template operator()<U>() with U = double for float64 vectors, else float.
template <typename F> void visit_u(DType u, F&& f) {
  if (u == DType::kFloat64)
    f.template operator()<double>();
  else
    f.template operator()<float>();
}

}  // namespace

void batch_norm_finalize(DType u, const void* mean, const void* inv_std, const void* old_mean, const void* old_var,
                         void* out_mean, void* out_var, void* reserve_var, int64_t channels, int64_t rows,
                         double epsilon, double factor, cudaStream_t stream) {
  if (channels == 0) return;
  const double bessel = bessel_correction(rows);
  visit_u(u, [&]<typename U>() {
    finalize_kernel<U><<<blocks_for(channels), kThreads, 0, stream>>>(
        static_cast<const U*>(mean), static_cast<const U*>(inv_std), static_cast<const U*>(old_mean),
        static_cast<const U*>(old_var), static_cast<U*>(out_mean), static_cast<U*>(out_var),
        static_cast<U*>(reserve_var), channels, bessel, epsilon, factor);
    TF_CUDA_LAUNCH_CHECK("batch_norm finalize_kernel");
  });
}

void batch_norm_inv_std(DType u, const void* var, void* inv_std, int64_t channels, double epsilon,
                        cudaStream_t stream) {
  if (channels == 0) return;
  visit_u(u, [&]<typename U>() {
    inv_std_kernel<U><<<blocks_for(channels), kThreads, 0, stream>>>(static_cast<const U*>(var),
                                                                     static_cast<U*>(inv_std), channels, epsilon);
    TF_CUDA_LAUNCH_CHECK("batch_norm inv_std_kernel");
  });
}

void batch_norm_frozen_grad(DType t, const void* dy, const void* x, const void* scale, const void* mean,
                            const void* var, void* dx, void* d_scale, void* d_offset, int64_t rows, int64_t channels,
                            double epsilon, int device, cudaStream_t stream) {
  if (channels == 0) return;
  const Device gpu(DeviceType::kGPU, device);
  const Tensor coef = Tensor::empty(Shape{channels}, DType::kFloat64, gpu);
  double* a = static_cast<double*>(coef.raw_data());
  visit_floating(t, "FusedBatchNormGradV3", [&]<typename T>() {
    visit_u(t == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32, [&]<typename U>() {
      channel_sums<double, 2>(
          rows, channels,
          FrozenTerm<T, U>{static_cast<const T*>(dy), static_cast<const T*>(x), static_cast<const U*>(mean), channels},
          FrozenFinish<U>{static_cast<const U*>(scale), static_cast<const U*>(var), static_cast<U*>(d_scale),
                          static_cast<U*>(d_offset), a, epsilon},
          gpu, stream);
    });
    const int64_t n = rows * channels;
    if (n == 0) return;
    scale_rows_kernel<T>
        <<<blocks_for(n), kThreads, 0, stream>>>(static_cast<const T*>(dy), a, static_cast<T*>(dx), n, channels);
    TF_CUDA_LAUNCH_CHECK("batch_norm scale_rows_kernel");
  });
}

}  // namespace tapeflow::kernels::cuda
