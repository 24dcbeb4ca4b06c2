// CUDA kernels of MaxPool, AvgPool and their gradients (MaxPoolGrad, MaxPoolGradGrad,
// AvgPoolGrad) over NHWC, mirroring kernels/cpu/pooling.cpp exactly rather than calling cuDNN
// (why: TF's semantics are the CPU kernel's — ties go to the first maximum in row-major order,
// SAME padding may be one larger at the bottom/right, and AvgPool divides by the elements inside
// the input — which cuDNN's pooling only approximates; pooling is memory-bound, so a direct
// kernel loses nothing). Gradients gather instead of scatter: each input pixel sums the windows
// that cover it in the CPU kernel's order, so results are deterministic and need no atomics.
// float16/bfloat16 compute in float and round once, as on the CPU.
#include <limits>

#include "tapeflow/core/ops/conv.h"
#include "tapeflow/core/ops/pooling.h"
#include "tapeflow/kernels/cuda/launch.cuh"
#include "tapeflow/kernels/cuda/registration.h"
#include "tapeflow/kernels/functors.h"
#include "tapeflow/kernels/pooling_window.h"

namespace tapeflow::kernels::cuda {
namespace {
using ops::Window2D;

/// Output rows (or columns) whose windows cover input row `i`: [lo, hi].
__device__ void covering(int64_t i, int64_t pad, int64_t k, int64_t stride, int64_t out, int64_t& lo, int64_t& hi) {
  const int64_t a = i + pad - k + 1;  // the first window start that still reaches i
  lo = a <= 0 ? 0 : (a + stride - 1) / stride;
  hi = min(out - 1, (i + pad) / stride);
}

/// a * b rounded on its own (why: kept out of an FMA so that sums match the CPU's bit for bit).
__device__ __forceinline__ float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ double mul_rn(double a, double b) { return __dmul_rn(a, b); }

/// The input pixel (ih * in_w + iw) of the first maximum of channel ch in window (oh, ow) of
/// image `x` (NHWC of one image): strictly greater wins, NaN never wins, as the CPU kernel.
template <typename T>
__device__ int64_t window_argmax(const Window2D& w, const T* __restrict__ x, int64_t oh, int64_t ow, int64_t ch) {
  using C = compute_t<T>;
  const Span2D s = window_span(w, oh, ow);
  C best = -std::numeric_limits<C>::infinity();
  int64_t arg = s.h0 * w.in_w + s.w0;
  for (int64_t ih = s.h0; ih < s.h1; ++ih)
    for (int64_t iw = s.w0; iw < s.w1; ++iw) {
      const int64_t pix = ih * w.in_w + iw;
      const C v = static_cast<C>(x[pix * w.channels + ch]);
      if (v > best) {
        best = v;
        arg = pix;
      }
    }
  return arg;
}

/// Splits a linear NHWC index over (batch, rows, cols, channels).
struct Nhwc {
  int64_t n, h, w, c;
  __device__ Nhwc(int64_t i, int64_t rows, int64_t cols, int64_t channels) {
    c = i % channels;
    i /= channels;
    w = i % cols;
    i /= cols;
    h = i % rows;
    n = i / rows;
  }
};

#define TF_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// y: (N, OH, OW, C).
template <bool kMax, typename T>
__global__ void pool_kernel(Window2D w, const T* __restrict__ x, T* __restrict__ y, int64_t total) {
  using C = compute_t<T>;
  TF_GRID_LOOP(i, total) {
    const Nhwc o(i, w.out_h, w.out_w, w.channels);
    const Span2D s = window_span(w, o.h, o.w);
    const T* image = x + o.n * w.in_h * w.in_w * w.channels;
    C acc = kMax ? -std::numeric_limits<C>::infinity() : C(0);
    for (int64_t ih = s.h0; ih < s.h1; ++ih)
      for (int64_t iw = s.w0; iw < s.w1; ++iw) {
        const C v = static_cast<C>(image[(ih * w.in_w + iw) * w.channels + o.c]);
        if constexpr (kMax)
          acc = v > acc ? v : acc;
        else
          acc += v;
      }
    if constexpr (!kMax) acc *= C(1) / static_cast<C>(s.count());  // only the elements inside the input
    y[i] = static_cast<T>(acc);
  }
}

// dx (N, H, W, C): the sum of grad over the windows whose first maximum is this pixel.
template <typename T>
__global__ void max_pool_grad_kernel(Window2D w, const T* __restrict__ x, const T* __restrict__ grad,
                                     T* __restrict__ dx, int64_t total) {
  using C = compute_t<T>;
  TF_GRID_LOOP(i, total) {
    const Nhwc p(i, w.in_h, w.in_w, w.channels);
    const T* image = x + p.n * w.in_h * w.in_w * w.channels;
    const T* g = grad + p.n * w.out_h * w.out_w * w.channels;
    const int64_t pix = p.h * w.in_w + p.w;
    int64_t oh0, oh1, ow0, ow1;
    covering(p.h, w.pad_top, w.k_h, w.stride_h, w.out_h, oh0, oh1);
    covering(p.w, w.pad_left, w.k_w, w.stride_w, w.out_w, ow0, ow1);
    C acc = C(0);
    for (int64_t oh = oh0; oh <= oh1; ++oh)
      for (int64_t ow = ow0; ow <= ow1; ++ow)
        if (window_argmax(w, image, oh, ow, p.c) == pix)
          acc += static_cast<C>(g[(oh * w.out_w + ow) * w.channels + p.c]);
    dx[i] = static_cast<T>(acc);
  }
}

// out (N, OH, OW, C) = grad (N, H, W, C) read at each window's first maximum.
template <typename T>
__global__ void max_pool_grad_grad_kernel(Window2D w, const T* __restrict__ x, const T* __restrict__ grad,
                                          T* __restrict__ out, int64_t total) {
  TF_GRID_LOOP(i, total) {
    const Nhwc o(i, w.out_h, w.out_w, w.channels);
    const int64_t image = o.n * w.in_h * w.in_w * w.channels;
    const int64_t arg = window_argmax(w, x + image, o.h, o.w, o.c);
    out[i] = grad[image + arg * w.channels + o.c];
  }
}

// dx (N, H, W, C): the sum of grad / window size over the windows covering this pixel.
template <typename T>
__global__ void avg_pool_grad_kernel(Window2D w, const T* __restrict__ grad, T* __restrict__ dx, int64_t total) {
  using C = compute_t<T>;
  TF_GRID_LOOP(i, total) {
    const Nhwc p(i, w.in_h, w.in_w, w.channels);
    const T* g = grad + p.n * w.out_h * w.out_w * w.channels;
    int64_t oh0, oh1, ow0, ow1;
    covering(p.h, w.pad_top, w.k_h, w.stride_h, w.out_h, oh0, oh1);
    covering(p.w, w.pad_left, w.k_w, w.stride_w, w.out_w, ow0, ow1);
    C acc = C(0);
    for (int64_t oh = oh0; oh <= oh1; ++oh)
      for (int64_t ow = ow0; ow <= ow1; ++ow) {
        const C inv = C(1) / static_cast<C>(window_span(w, oh, ow).count());
        acc += mul_rn(static_cast<C>(g[(oh * w.out_w + ow) * w.channels + p.c]), inv);
      }
    dx[i] = static_cast<T>(acc);
  }
}

const ops::PoolAttrs& pool_attrs(KernelContext& ctx) { return ctx.attr<ops::PoolAttrs>(); }

template <bool kMax> void pool(KernelContext& ctx) {
  const Tensor x = ctx.input(0).contiguous();
  const Window2D w = ops::pool_window(x.shape(), pool_attrs(ctx));
  Tensor& y = ctx.output(0);
  const int64_t total = y.size();
  if (total == 0) return;
  cudaStream_t s = stream_of(ctx);
  visit_floating(x.dtype(), ctx.op.name, [&]<typename T>() {
    pool_kernel<kMax, T><<<blocks_for(total), kThreads, 0, s>>>(w, static_cast<const T*>(x.raw_data()),
                                                                static_cast<T*>(y.raw_data()), total);
    TF_CUDA_LAUNCH_CHECK("pool_kernel");
  });
}

// Inputs orig_input, orig_output, grad; the maxima are found again from orig_input, as TF's CPU kernel.
template <bool kGradGrad> void max_pool_grad(KernelContext& ctx) {
  const Tensor x = ctx.input(0).contiguous(), g = ctx.input(2).contiguous();
  const Window2D w = ops::pool_window(x.shape(), pool_attrs(ctx));
  Tensor& out = ctx.output(0);
  const int64_t total = out.size();
  if (total == 0) return;
  cudaStream_t s = stream_of(ctx);
  visit_floating(x.dtype(), ctx.op.name, [&]<typename T>() {
    const T* px = static_cast<const T*>(x.raw_data());
    const T* pg = static_cast<const T*>(g.raw_data());
    T* po = static_cast<T*>(out.raw_data());
    if constexpr (kGradGrad) {
      max_pool_grad_grad_kernel<T><<<blocks_for(total), kThreads, 0, s>>>(w, px, pg, po, total);
      TF_CUDA_LAUNCH_CHECK("max_pool_grad_grad_kernel");
    } else {
      max_pool_grad_kernel<T><<<blocks_for(total), kThreads, 0, s>>>(w, px, pg, po, total);
      TF_CUDA_LAUNCH_CHECK("max_pool_grad_kernel");
    }
  });
}

void avg_pool_grad(KernelContext& ctx) {
  const Tensor g = ctx.input(0).contiguous();
  const Window2D w = ops::pool_window(pool_attrs(ctx).sizes, pool_attrs(ctx));
  Tensor& dx = ctx.output(0);
  const int64_t total = dx.size();
  if (total == 0) return;
  cudaStream_t s = stream_of(ctx);
  visit_floating(g.dtype(), ctx.op.name, [&]<typename T>() {
    avg_pool_grad_kernel<T><<<blocks_for(total), kThreads, 0, s>>>(w, static_cast<const T*>(g.raw_data()),
                                                                   static_cast<T*>(dx.raw_data()), total);
    TF_CUDA_LAUNCH_CHECK("avg_pool_grad_kernel");
  });
}

}  // namespace

void register_pooling_kernels() {
  const DeviceType gpu = DeviceType::kGPU;
  register_kernel(ops::MaxPool, gpu, pool<true>);
  register_kernel(ops::MaxPoolGrad, gpu, max_pool_grad<false>);
  register_kernel(ops::MaxPoolGradGrad, gpu, max_pool_grad<true>);
  register_kernel(ops::AvgPool, gpu, pool<false>);
  register_kernel(ops::AvgPoolGrad, gpu, avg_pool_grad);
}

}  // namespace tapeflow::kernels::cuda
