// CUDA kernels of Softmax, LogSoftmax, the softmax cross-entropies and the softmax gradients
// (_SoftmaxGrad, _LogSoftmaxGrad), mirroring kernels/cpu/softmax.cpp with the same math
// (kernels/softmax.h). A row over the last axis is handled by one warp (rows up to
// kWarpRowLimit) or one block; its threads push their elements into SoftmaxStats (or a sum) and
// merge them in a fixed order, so every thread of the row sees the same stats. Softmax and its
// gradients over a middle axis run one thread per lane (o, k), reading x[o, :, k] in order
// exactly as the CPU does. Out-of-range sparse labels give NaN loss and gradient rows, as
// TF's GPU kernel does (the CPU kernel raises InvalidArgumentError): checking them on the host
// would cost a device-to-host synchronization per call.
#include <limits>
#include <type_traits>

#include "tapeflow/core/ops/softmax.h"
#include "tapeflow/kernels/cuda/launch.cuh"
#include "tapeflow/kernels/cuda/registration.h"
#include "tapeflow/kernels/functors.h"
#include "tapeflow/kernels/softmax.h"

namespace tapeflow::kernels::cuda {
namespace {

/// Rows up to this length take a warp each (why: at most 32 elements per lane keeps a warp busy
/// without leaving 224 of a block's 256 threads idle on short rows); longer rows take a block.
constexpr int64_t kWarpRowLimit = 1024;
constexpr int kWarp = 32;
constexpr unsigned kFullMask = 0xffffffffu;

// ---- group reductions: kGroup = 32 (a warp per row) or kThreads (a block per row) -------------

template <typename C> __device__ SoftmaxStats<C> warp_merge(SoftmaxStats<C> s) {
  for (int off = kWarp / 2; off > 0; off >>= 1) {
    SoftmaxStats<C> o;
    o.max = __shfl_xor_sync(kFullMask, s.max, off);
    o.sum = __shfl_xor_sync(kFullMask, s.sum, off);
    s.merge(o);
  }
  // Lane 0's result for everyone, so no lane can differ by a rounding.
  s.max = __shfl_sync(kFullMask, s.max, 0);
  s.sum = __shfl_sync(kFullMask, s.sum, 0);
  return s;
}

template <int kGroup, typename C> __device__ SoftmaxStats<C> group_merge(SoftmaxStats<C> s) {
  s = warp_merge(s);
  if constexpr (kGroup > kWarp) {
    __shared__ C maxes[kGroup / kWarp], sums[kGroup / kWarp];
    if (threadIdx.x % kWarp == 0) {
      maxes[threadIdx.x / kWarp] = s.max;
      sums[threadIdx.x / kWarp] = s.sum;
    }
    __syncthreads();
    SoftmaxStats<C> t;  // every thread merges the warps in the same order: the same result
    for (int w = 0; w < kGroup / kWarp; ++w) {
      SoftmaxStats<C> o;
      o.max = maxes[w];
      o.sum = sums[w];
      t.merge(o);
    }
    __syncthreads();  // the buffers are reused by the block's next row
    s = t;
  }
  return s;
}

template <int kGroup, typename C> __device__ C group_sum(C v) {
  for (int off = kWarp / 2; off > 0; off >>= 1) v += __shfl_xor_sync(kFullMask, v, off);
  v = __shfl_sync(kFullMask, v, 0);
  if constexpr (kGroup > kWarp) {
    __shared__ C parts[kGroup / kWarp];
    if (threadIdx.x % kWarp == 0) parts[threadIdx.x / kWarp] = v;
    __syncthreads();
    C t = C(0);
    for (int w = 0; w < kGroup / kWarp; ++w) t += parts[w];
    __syncthreads();
    v = t;
  }
  return v;
}

/// The row this thread's group handles first, the step to its next row, and its rank in the group.
template <int kGroup> struct RowLoop {
  int64_t first, step;
  int lane;
  __device__ RowLoop() {
    constexpr int per_block = kThreads / kGroup;
    first = int64_t(blockIdx.x) * per_block + threadIdx.x / kGroup;
    step = int64_t(gridDim.x) * per_block;
    lane = static_cast<int>(threadIdx.x % kGroup);
  }
};

template <int kGroup, typename T, typename C = compute_t<T>>
__device__ SoftmaxStats<C> row_stats(const T* __restrict__ x, int64_t n, int lane) {
  SoftmaxStats<C> s;
  for (int64_t j = lane; j < n; j += kGroup) s.push(static_cast<C>(x[j]));
  return group_merge<kGroup>(s);
}

// ---- kernels ----------------------------------------------------------------------------------

/// x, y: (rows, n), softmax over n.
template <int kGroup, bool kLog, typename T>
__global__ void softmax_rows_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows, int64_t n) {
  using C = compute_t<T>;
  const RowLoop<kGroup> loop;
  for (int64_t r = loop.first; r < rows; r += loop.step) {  // uniform over the group
    const T* xr = x + r * n;
    const SoftmaxStats<C> s = row_stats<kGroup>(xr, n, loop.lane);
    T* yr = y + r * n;
    if constexpr (kLog) {
      const C lse = s.log_sum_exp();
      for (int64_t j = loop.lane; j < n; j += kGroup) yr[j] = T(LogSoftmaxFn{}(static_cast<C>(xr[j]), lse));
    } else {
      const C inv = C(1) / s.sum;
      for (int64_t j = loop.lane; j < n; j += kGroup) yr[j] = T(std::exp(static_cast<C>(xr[j]) - s.max) * inv);
    }
  }
}

/// x, y: (outer, n, inner), softmax over n; one thread per lane (o, k), as the CPU's lanes.
template <bool kLog, typename T>
__global__ void softmax_lanes_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t outer, int64_t n,
                                     int64_t inner) {
  using C = compute_t<T>;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < outer * inner;
       t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = t / inner, k = t % inner;
    const T* xo = x + o * n * inner + k;
    T* yo = y + o * n * inner + k;
    SoftmaxStats<C> s;
    for (int64_t j = 0; j < n; ++j) s.push(static_cast<C>(xo[j * inner]));
    const C lse = s.log_sum_exp();
    for (int64_t j = 0; j < n; ++j) {
      const C v = static_cast<C>(xo[j * inner]);
      yo[j * inner] = kLog ? T(LogSoftmaxFn{}(v, lse)) : T(SoftmaxFn{}(v, s));
    }
  }
}

/// Dense labels z (rows, n): loss (rows), backprop (rows, n).
template <int kGroup, typename T>
__global__ void xent_rows_kernel(const T* __restrict__ x, const T* __restrict__ z, T* __restrict__ loss,
                                 T* __restrict__ backprop, int64_t rows, int64_t n) {
  using C = compute_t<T>;
  const RowLoop<kGroup> loop;
  for (int64_t r = loop.first; r < rows; r += loop.step) {
    const T* xr = x + r * n;
    const T* zr = z + r * n;
    const C lse = row_stats<kGroup>(xr, n, loop.lane).log_sum_exp();
    C part = C(0);
    for (int64_t j = loop.lane; j < n; j += kGroup) {
      const C v = static_cast<C>(xr[j]), label = static_cast<C>(zr[j]);
      part += XentLossTermFn{}(v, label, lse);
      backprop[r * n + j] = T(XentBackpropFn{}(v, label, lse));
    }
    const C total = group_sum<kGroup>(part);
    if (loop.lane == 0) loss[r] = T(total);
  }
}

/// Sparse labels (rows) of type I: loss (rows), backprop (rows, n).
template <int kGroup, typename T, typename I>
__global__ void sparse_xent_rows_kernel(const T* __restrict__ x, const I* __restrict__ labels, T* __restrict__ loss,
                                        T* __restrict__ backprop, int64_t rows, int64_t n) {
  using C = compute_t<T>;
  const RowLoop<kGroup> loop;
  for (int64_t r = loop.first; r < rows; r += loop.step) {
    const T* xr = x + r * n;
    const C lse = row_stats<kGroup>(xr, n, loop.lane).log_sum_exp();
    const int64_t label = static_cast<int64_t>(labels[r]);
    const bool valid = label >= 0 && label < n;
    const C nan = std::numeric_limits<C>::quiet_NaN();
    for (int64_t j = loop.lane; j < n; j += kGroup)
      backprop[r * n + j] = valid ? T(XentBackpropFn{}(static_cast<C>(xr[j]), j == label ? C(1) : C(0), lse)) : T(nan);
    if (loop.lane == 0) loss[r] = valid ? T(XentLossTermFn{}(static_cast<C>(xr[label]), C(1), lse)) : T(nan);
  }
}

/// _SoftmaxGrad (kLog false: dx = (dy - sum(dy * y)) * y) or _LogSoftmaxGrad (dx = dy - exp(y) *
/// sum(dy)) of rows (rows, n) over n, as the CPU's Note [Softmax gradients in one pass]: the group
/// reduces its row once (lanes merged in group_sum's fixed order, so every thread holds the same
/// sum), then writes dx from the same reads, which the row's group just brought into cache.
template <int kGroup, bool kLog, typename T>
__global__ void softmax_grad_rows_kernel(const T* __restrict__ y, const T* __restrict__ dy, T* __restrict__ dx,
                                         int64_t rows, int64_t n) {
  using C = compute_t<T>;
  const RowLoop<kGroup> loop;
  for (int64_t r = loop.first; r < rows; r += loop.step) {  // uniform over the group
    const T* yr = y + r * n;
    const T* dr = dy + r * n;
    C part = C(0);
    for (int64_t j = loop.lane; j < n; j += kGroup)
      part += kLog ? static_cast<C>(dr[j]) : static_cast<C>(dr[j]) * static_cast<C>(yr[j]);
    const C sum = group_sum<kGroup>(part);
    T* xr = dx + r * n;
    for (int64_t j = loop.lane; j < n; j += kGroup) {
      const C yv = static_cast<C>(yr[j]), dv = static_cast<C>(dr[j]);
      xr[j] = kLog ? T(dv - std::exp(yv) * sum) : T((dv - sum) * yv);
    }
  }
}

/// The same over a middle axis: y, dy, dx (outer, n, inner), one thread per lane (o, k) summing in
/// double, in order along the axis, as the CPU's scalar path.
template <bool kLog, typename T>
__global__ void softmax_grad_lanes_kernel(const T* __restrict__ y, const T* __restrict__ dy, T* __restrict__ dx,
                                          int64_t outer, int64_t n, int64_t inner) {
  using C = compute_t<T>;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < outer * inner;
       t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = t / inner, k = t % inner, base = o * n * inner + k;
    double acc = 0;
    for (int64_t j = 0; j < n; ++j) {
      const double dv = static_cast<double>(static_cast<C>(dy[base + j * inner]));
      acc += kLog ? dv : dv * static_cast<double>(static_cast<C>(y[base + j * inner]));
    }
    const C sum = static_cast<C>(acc);
    for (int64_t j = 0; j < n; ++j) {
      const int64_t i = base + j * inner;
      const C yv = static_cast<C>(y[i]), dv = static_cast<C>(dy[i]);
      dx[i] = kLog ? T(dv - std::exp(yv) * sum) : T((dv - sum) * yv);
    }
  }
}

// ---- launchers --------------------------------------------------------------------------------

/// Blocks for `rows` rows handled `per_block` at a time.
unsigned row_blocks(int64_t rows, int per_block) {
  return static_cast<unsigned>(std::clamp<int64_t>((rows + per_block - 1) / per_block, 1, 65535));
}

template <bool kLog> void softmax_kernel(KernelContext& ctx) {
  const int axis = ctx.attr<ops::SoftmaxAttrs>().axis;
  const Tensor x = ctx.input(0).contiguous();
  Tensor& out = ctx.output(0);
  if (out.size() == 0) return;
  cudaStream_t s = stream_of(ctx);
  int64_t outer = 1, inner = 1;
  const int64_t n = x.shape()[axis];
  for (int i = 0; i < axis; ++i) outer *= x.shape()[i];
  for (int i = axis + 1; i < x.ndim(); ++i) inner *= x.shape()[i];
  visit_floating(x.dtype(), ctx.op.name, [&]<typename T>() {
    const T* px = static_cast<const T*>(x.raw_data());
    T* py = static_cast<T*>(out.raw_data());
    if (inner > 1) {
      softmax_lanes_kernel<kLog, T><<<blocks_for(outer * inner), kThreads, 0, s>>>(px, py, outer, n, inner);
      TF_CUDA_LAUNCH_CHECK("softmax_lanes_kernel");
    } else if (n <= kWarpRowLimit) {
      softmax_rows_kernel<kWarp, kLog, T><<<row_blocks(outer, kThreads / kWarp), kThreads, 0, s>>>(px, py, outer, n);
      TF_CUDA_LAUNCH_CHECK("softmax_rows_kernel");
    } else {
      softmax_rows_kernel<kThreads, kLog, T><<<row_blocks(outer, 1), kThreads, 0, s>>>(px, py, outer, n);
      TF_CUDA_LAUNCH_CHECK("softmax_rows_kernel");
    }
  });
}

/// _SoftmaxGrad / _LogSoftmaxGrad (y, dy) -> dx: rows by a warp or a block as the forward, a
/// middle axis by lanes.
template <bool kLog> void softmax_grad_kernel(KernelContext& ctx) {
  const int axis = ctx.attr<ops::SoftmaxAttrs>().axis;
  const Tensor y = ctx.input(0).contiguous(), dy = ctx.input(1).contiguous();
  Tensor& out = ctx.output(0);
  if (out.size() == 0) return;
  cudaStream_t s = stream_of(ctx);
  int64_t outer = 1, inner = 1;
  const int64_t n = y.shape()[axis];
  for (int i = 0; i < axis; ++i) outer *= y.shape()[i];
  for (int i = axis + 1; i < y.ndim(); ++i) inner *= y.shape()[i];
  visit_floating(y.dtype(), ctx.op.name, [&]<typename T>() {
    const T* py = static_cast<const T*>(y.raw_data());
    const T* pdy = static_cast<const T*>(dy.raw_data());
    T* pdx = static_cast<T*>(out.raw_data());
    if (inner > 1) {
      softmax_grad_lanes_kernel<kLog, T><<<blocks_for(outer * inner), kThreads, 0, s>>>(py, pdy, pdx, outer, n, inner);
      TF_CUDA_LAUNCH_CHECK("softmax_grad_lanes_kernel");
    } else if (n <= kWarpRowLimit) {
      softmax_grad_rows_kernel<kWarp, kLog, T>
          <<<row_blocks(outer, kThreads / kWarp), kThreads, 0, s>>>(py, pdy, pdx, outer, n);
      TF_CUDA_LAUNCH_CHECK("softmax_grad_rows_kernel");
    } else {
      softmax_grad_rows_kernel<kThreads, kLog, T><<<row_blocks(outer, 1), kThreads, 0, s>>>(py, pdy, pdx, outer, n);
      TF_CUDA_LAUNCH_CHECK("softmax_grad_rows_kernel");
    }
  });
}

void xent_kernel(KernelContext& ctx) {
  const Tensor logits = ctx.input(0).contiguous(), labels = ctx.input(1).contiguous();
  const int64_t n = logits.shape().dim(-1), rows = ctx.output(0).size();
  if (rows == 0) return;
  cudaStream_t s = stream_of(ctx);
  visit_floating(logits.dtype(), ctx.op.name, [&]<typename T>() {
    const T* x = static_cast<const T*>(logits.raw_data());
    const T* z = static_cast<const T*>(labels.raw_data());
    T* loss = static_cast<T*>(ctx.output(0).raw_data());
    T* backprop = static_cast<T*>(ctx.output(1).raw_data());
    if (n <= kWarpRowLimit) {
      xent_rows_kernel<kWarp, T><<<row_blocks(rows, kThreads / kWarp), kThreads, 0, s>>>(x, z, loss, backprop, rows, n);
    } else {
      xent_rows_kernel<kThreads, T><<<row_blocks(rows, 1), kThreads, 0, s>>>(x, z, loss, backprop, rows, n);
    }
    TF_CUDA_LAUNCH_CHECK("xent_rows_kernel");
  });
}

void sparse_xent_kernel(KernelContext& ctx) {
  const Tensor logits = ctx.input(0).contiguous(), labels = ctx.input(1).contiguous();
  const int64_t n = logits.shape().dim(-1), rows = labels.size();
  if (rows == 0) return;
  cudaStream_t s = stream_of(ctx);
  auto run = [&]<typename I>() {
    const I* z = static_cast<const I*>(labels.raw_data());
    visit_floating(logits.dtype(), ctx.op.name, [&]<typename T>() {
      const T* x = static_cast<const T*>(logits.raw_data());
      T* loss = static_cast<T*>(ctx.output(0).raw_data());
      T* backprop = static_cast<T*>(ctx.output(1).raw_data());
      if (n <= kWarpRowLimit) {
        sparse_xent_rows_kernel<kWarp, T, I>
            <<<row_blocks(rows, kThreads / kWarp), kThreads, 0, s>>>(x, z, loss, backprop, rows, n);
      } else {
        sparse_xent_rows_kernel<kThreads, T, I><<<row_blocks(rows, 1), kThreads, 0, s>>>(x, z, loss, backprop, rows, n);
      }
      TF_CUDA_LAUNCH_CHECK("sparse_xent_rows_kernel");
    });
  };
  if (labels.dtype() == DType::kInt64)
    run.template operator()<int64_t>();
  else
    run.template operator()<int32_t>();
}

}  // namespace

void register_softmax_kernels() {
  const DeviceType gpu = DeviceType::kGPU;
  register_kernel(ops::Softmax, gpu, softmax_kernel<false>);
  register_kernel(ops::LogSoftmax, gpu, softmax_kernel<true>);
  register_kernel(ops::SoftmaxCrossEntropyWithLogits, gpu, xent_kernel);
  register_kernel(ops::SparseSoftmaxCrossEntropyWithLogits, gpu, sparse_xent_kernel);
  register_kernel(ops::SoftmaxGrad, gpu, softmax_grad_kernel<false>);
  register_kernel(ops::LogSoftmaxGrad, gpu, softmax_grad_kernel<true>);
}

}  // namespace tapeflow::kernels::cuda
