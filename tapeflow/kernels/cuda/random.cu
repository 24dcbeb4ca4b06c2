// CUDA kernels of the random ops and dropout, mirroring kernels/cpu/random.cpp: one thread per
// output group, drawn straight from the Philox stream with the CPU's sampling code
// (kernels/philox.h), so a GPU tensor equals the CPU tensor of the same seeds bit for bit
// (Note [Counter-based random numbers], Note [Portable math]).
#include "tapeflow/core/ops/random.h"
#include "tapeflow/kernels/dropout.h"
#include "tapeflow/kernels/cuda/launch.cuh"
#include "tapeflow/kernels/cuda/registration.h"
#include "tapeflow/kernels/philox.h"

namespace tapeflow::kernels::cuda {
namespace {
namespace px = philox;

// ---- post-processing of a sample (the CPU kernels' lambdas) ------------------------------------

template <typename T> struct ScaleShift {
  T scale, shift;
  __device__ T operator()(T v) const { return px::scale_shift(v, scale, shift); }
};
template <typename T> struct Identity {
  __device__ T operator()(T v) const { return v; }
};
// ---- kernels ----------------------------------------------------------------------------------

/// out[i] = post(sample i): thread t draws groups t, t + stride, ... (samples of type S, kGroup
/// per group; the last group may be partial).
template <typename S, typename Out, typename Dist, typename Post>
__global__ void fill_groups_kernel(Out* __restrict__ out, int64_t n, px::Stream stream, Dist dist, Post post) {
  constexpr int kGroup = px::kGroupSize<S>;
  const int64_t groups = (n + kGroup - 1) / kGroup;
  for (int64_t g = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; g < groups; g += int64_t(gridDim.x) * blockDim.x) {
    S buf[kGroup];
    dist(stream, static_cast<uint64_t>(g), buf);
    const int64_t base = g * kGroup;
    const int m = static_cast<int>(min(int64_t(kGroup), n - base));
#pragma unroll
    for (int j = 0; j < kGroup; ++j)
      if (j < m) out[base + j] = post(buf[j]);
  }
}

/// out = keep ? x * scale : 0 over x's shape; x any strides, keep broadcast (offsets from ix).
template <typename T>
__global__ void dropout_apply_kernel(const T* __restrict__ x, const uint8_t* __restrict__ keep, T* __restrict__ out,
                                     int64_t n, StridedIndexer<2> ix, T scale) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[2];
    ix.offsets(i, off);
    out[i] = dropout_value(x[off[0]], keep[off[1]], scale);
  }
}

// ---- launchers --------------------------------------------------------------------------------

template <typename S, typename Out, typename Dist, typename Post>
void fill_groups(Out* out, int64_t n, const px::Stream& stream, const Dist& dist, const Post& post, cudaStream_t s) {
  if (n == 0) return;
  const int64_t groups = (n + px::kGroupSize<S> - 1) / px::kGroupSize<S>;
  fill_groups_kernel<S, Out, Dist, Post><<<blocks_for(groups), kThreads, 0, s>>>(out, n, stream, dist, post);
  TF_CUDA_LAUNCH_CHECK("fill_groups_kernel");
}

px::Stream stream_of_attrs(const ops::RandomAttrs& a) { return px::Stream(a.seed, a.seed2, a.offset); }

template <template <typename> class Dist> void floating_kernel(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  const auto& a = ctx.attr<ops::RandomAttrs>();
  cudaStream_t s = stream_of(ctx);
  visit_floating(out.dtype(), ctx.op.name, [&]<typename T>() {
    fill_groups<T>(static_cast<T*>(out.raw_data()), out.size(), stream_of_attrs(a), Dist<T>{},
                   ScaleShift<T>{T(a.scale), T(a.shift)}, s);
  });
}

void uniform_int_kernel(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  const auto& a = ctx.attr<ops::RandomAttrs>();
  cudaStream_t s = stream_of(ctx);
  auto run = [&]<typename T>() {
    using U = std::make_unsigned_t<T>;
    const px::UniformInt<T> dist{static_cast<T>(a.minval), static_cast<U>(a.range)};
    fill_groups<T>(static_cast<T*>(out.raw_data()), out.size(), stream_of_attrs(a), dist, Identity<T>{}, s);
  };
  if (out.dtype() == DType::kInt32)
    run.template operator()<int32_t>();
  else
    run.template operator()<int64_t>();
}

/// TF's _dropout, step for step: the mask uniform(noise_shape) >= rate first, then applied with
/// broadcasting (as the CPU kernel).
void dropout_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& out = ctx.output(0);
  const auto& a = ctx.attr<ops::DropoutAttrs>();
  if (out.size() == 0) return;
  cudaStream_t s = stream_of(ctx);
  visit_floating(x.dtype(), "Dropout", [&]<typename T>() {
    const T scale = T(1.0 / (1.0 - a.rate));
    Tensor keep = Tensor::empty(ops::dropout_noise_shape(a, x.shape()), DType::kUInt8, ctx.device);
    fill_groups<T>(static_cast<uint8_t*>(keep.raw_data()), keep.size(), px::Stream(a.seed, a.seed2, a.offset),
                   px::UniformUnit<T>{}, DropoutKeep<T>{T(a.rate)}, s);
    auto ix = make_indexer<2>(x.shape(), {x.strides(), broadcast_strides(keep, x.shape())}, "Dropout");
    dropout_apply_kernel<T><<<blocks_for(out.size()), kThreads, 0, s>>>(
        static_cast<const T*>(x.raw_data()), static_cast<const uint8_t*>(keep.raw_data()),
        static_cast<T*>(out.raw_data()), out.size(), ix, scale);
    TF_CUDA_LAUNCH_CHECK("dropout_apply_kernel");
  });
}

}  // namespace

void register_random_kernels() {
  const DeviceType gpu = DeviceType::kGPU;
  register_kernel(ops::RandomStandardNormal, gpu, floating_kernel<px::StandardNormal>);
  register_kernel(ops::TruncatedNormal, gpu, floating_kernel<px::TruncatedStandardNormal>);
  register_kernel(ops::RandomUniform, gpu, floating_kernel<px::UniformUnit>);
  register_kernel(ops::RandomUniformInt, gpu, uniform_int_kernel);
  register_kernel(ops::Dropout, gpu, dropout_kernel);
}

}  // namespace tapeflow::kernels::cuda
