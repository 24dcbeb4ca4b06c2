// CUDA kernels of BiasAdd (value (..., C) + bias (C,)) and BiasAddGrad (the sum of a gradient
// over all but its last axis), mirroring kernels/cpu/bias_add.cpp: halves add in float, floating
// sums accumulate in double, integer sums wrap as TF's. BiasAdd reads and writes 16 bytes per
// access when C is a multiple of the vector width.
#include <type_traits>

#include "tapeflow/core/ops/bias_add.h"
#include "tapeflow/kernels/cuda/channel_sums.cuh"
#include "tapeflow/kernels/cuda/elementwise.cuh"
#include "tapeflow/kernels/cuda/registration.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cuda {
namespace {

/// y = x + bias[i % c], N elements per 16-byte access (c % N == 0, so a pack never leaves its row).
template <int N, typename T>
__global__ void bias_add_vec_kernel(const T* __restrict__ x, const T* __restrict__ bias, T* __restrict__ y,
                                    int64_t packs, int64_t c) {
  using C = compute_t<T>;
  for (int64_t v = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; v < packs; v += int64_t(gridDim.x) * blockDim.x) {
    const Pack<T, N> px = reinterpret_cast<const Pack<T, N>*>(x)[v];
    const int64_t ch0 = (v * N) % c;
    Pack<T, N> py;
#pragma unroll
    for (int j = 0; j < N; ++j) py.v[j] = static_cast<T>(static_cast<C>(px.v[j]) + static_cast<C>(bias[ch0 + j]));
    reinterpret_cast<Pack<T, N>*>(y)[v] = py;
  }
}

template <typename T>
__global__ void bias_add_kernel(const T* __restrict__ x, const T* __restrict__ bias, T* __restrict__ y, int64_t n,
                                int64_t c) {
  using C = compute_t<T>;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = static_cast<T>(static_cast<C>(x[i]) + static_cast<C>(bias[i % c]));
}

/// Integers sum modulo 2^64 then truncate (the bits of a wrapping sum in T); floats in double.
template <typename T> using BiasSum = std::conditional_t<std::is_integral_v<T>, uint64_t, double>;

template <typename T> struct GradTerm {
  const T* g;
  int64_t c;
  __device__ void operator()(int64_t r, int64_t ch, BiasSum<T> (&acc)[1]) const {
    acc[0] += static_cast<BiasSum<T>>(g[r * c + ch]);
  }
};
template <typename T> struct GradFinish {
  T* out;
  __device__ void operator()(int64_t ch, const BiasSum<T> (&s)[1]) const {
    if constexpr (std::is_integral_v<T>)
      out[ch] = static_cast<T>(s[0]);
    else
      out[ch] = T(static_cast<compute_t<T>>(s[0]));
  }
};

void bias_add(KernelContext& ctx) {
  const Tensor x = ctx.input(0).contiguous(), bias = ctx.input(1).contiguous();
  Tensor& y = ctx.output(0);
  const int64_t n = x.size(), c = x.shape().dim(-1);
  if (n == 0) return;
  cudaStream_t s = stream_of(ctx);
  visit_numeric(x.dtype(), ctx.op.name, [&]<typename T>() {
    const T* px = static_cast<const T*>(x.raw_data());
    const T* pb = static_cast<const T*>(bias.raw_data());
    T* py = static_cast<T*>(y.raw_data());
    constexpr int N = kVec<T>;
    if (c % N == 0 && aligned16(px) && aligned16(py)) {
      bias_add_vec_kernel<N, T><<<blocks_for(n / N), kThreads, 0, s>>>(px, pb, py, n / N, c);
      TF_CUDA_LAUNCH_CHECK("bias_add_vec_kernel");
    } else {
      bias_add_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(px, pb, py, n, c);
      TF_CUDA_LAUNCH_CHECK("bias_add_kernel");
    }
  });
}

void bias_add_grad(KernelContext& ctx) {
  const Tensor g = ctx.input(0).contiguous();
  const int64_t c = g.shape().dim(-1), rows = c ? g.size() / c : 0;
  cudaStream_t s = stream_of(ctx);
  visit_numeric(g.dtype(), ctx.op.name, [&]<typename T>() {
    channel_sums<BiasSum<T>, 1>(rows, c, GradTerm<T>{static_cast<const T*>(g.raw_data()), c},
                                GradFinish<T>{static_cast<T*>(ctx.output(0).raw_data())}, ctx.device, s);
  });
}

}  // namespace

void register_bias_add_kernels() {
  register_kernel(ops::BiasAdd, DeviceType::kGPU, bias_add);
  register_kernel(ops::BiasAddGrad, DeviceType::kGPU, bias_add_grad);
}

}  // namespace tapeflow::kernels::cuda
