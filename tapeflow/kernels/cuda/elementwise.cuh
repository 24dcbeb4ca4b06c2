// Elementwise kernel templates shared by binary.cu and unary.cu: one template over (functor,
// dtype), the functor the CPU loops use (kernels/functors.h). Dense operands (contiguous, or a
// single broadcast scalar) take a 16-byte vectorized path with a scalar tail; everything else
// (broadcasting, transposed or sliced views) goes through the strided indexer.
#pragma once
#include "tapeflow/kernels/cuda/launch.cuh"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cuda {

template <typename T, int N> struct alignas(sizeof(T) * N) Pack { T v[N]; };
/// Elements per 16-byte access of T.
template <typename T> inline constexpr int kVec = 16 / sizeof(T);

// ---- binary ------------------------------------------------------------------------------------

/// Dense case: each operand is contiguous (dense_x) or one value broadcast everywhere.
/// Threads handle N elements through 16-byte accesses; the last n % N elements one at a time.
template <int N, typename Fn, typename T, typename Out>
__global__ void binary_dense_kernel(const T* __restrict__ a, const T* __restrict__ b, Out* __restrict__ o, int64_t n,
                                    bool dense_a, bool dense_b, Fn fn) {
  using C = compute_t<T>;
  const C sa = dense_a ? C(0) : static_cast<C>(a[0]);
  const C sb = dense_b ? C(0) : static_cast<C>(b[0]);
  const int64_t n_vec = n / N;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  const int64_t tid = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  for (int64_t v = tid; v < n_vec; v += stride) {
    Pack<T, N> pa, pb;
    if (dense_a) pa = reinterpret_cast<const Pack<T, N>*>(a)[v];
    if (dense_b) pb = reinterpret_cast<const Pack<T, N>*>(b)[v];
    Pack<Out, N> po;
#pragma unroll
    for (int j = 0; j < N; ++j)
      po.v[j] = static_cast<Out>(fn(dense_a ? static_cast<C>(pa.v[j]) : sa, dense_b ? static_cast<C>(pb.v[j]) : sb));
    reinterpret_cast<Pack<Out, N>*>(o)[v] = po;
  }
  for (int64_t i = n_vec * N + tid; i < n; i += stride)
    o[i] = static_cast<Out>(fn(dense_a ? static_cast<C>(a[i]) : sa, dense_b ? static_cast<C>(b[i]) : sb));
}

template <typename Fn, typename T, typename Out>
__global__ void binary_strided_kernel(const T* __restrict__ a, const T* __restrict__ b, Out* __restrict__ o, int64_t n,
                                      StridedIndexer<2> ix, Fn fn) {
  using C = compute_t<T>;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[2];
    ix.offsets(i, off);
    o[i] = static_cast<Out>(fn(static_cast<C>(a[off[0]]), static_cast<C>(b[off[1]])));
  }
}

/// out = fn(a, b) with broadcasting; out is freshly allocated (contiguous).
template <typename Fn, typename T, typename Out>
void run_binary(const Tensor& a, const Tensor& b, Tensor& out, cudaStream_t stream, Fn fn = {}) {
  const int64_t n = out.size();
  if (n == 0) return;
  const T* pa = static_cast<const T*>(a.raw_data());
  const T* pb = static_cast<const T*>(b.raw_data());
  Out* po = static_cast<Out*>(out.raw_data());
  const bool dense_a = a.is_contiguous() && a.size() == n, dense_b = b.is_contiguous() && b.size() == n;
  if ((dense_a || a.size() == 1) && (dense_b || b.size() == 1)) {
    constexpr int N = kVec<T>;
    const bool aligned = (!dense_a || aligned16(pa)) && (!dense_b || aligned16(pb)) &&
                         reinterpret_cast<uintptr_t>(po) % (sizeof(Out) * N) == 0;
    if (aligned) {
      binary_dense_kernel<N, Fn, T, Out>
          <<<blocks_for(n, N), kThreads, 0, stream>>>(pa, pb, po, n, dense_a, dense_b, fn);
      TF_CUDA_LAUNCH_CHECK("binary_dense_kernel");
      return;
    }
  }
  auto ix =
      make_indexer<2>(out.shape(), {broadcast_strides(a, out.shape()), broadcast_strides(b, out.shape())}, "binary op");
  binary_strided_kernel<Fn, T, Out><<<blocks_for(n), kThreads, 0, stream>>>(pa, pb, po, n, ix, fn);
  TF_CUDA_LAUNCH_CHECK("binary_strided_kernel");
}

// ---- unary -------------------------------------------------------------------------------------

template <int N, typename Fn, typename T, typename Out>
__global__ void unary_dense_kernel(const T* __restrict__ x, Out* __restrict__ o, int64_t n, Fn fn) {
  using C = compute_t<T>;
  const int64_t n_vec = n / N;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  const int64_t tid = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  for (int64_t v = tid; v < n_vec; v += stride) {
    Pack<T, N> px = reinterpret_cast<const Pack<T, N>*>(x)[v];
    Pack<Out, N> po;
#pragma unroll
    for (int j = 0; j < N; ++j) po.v[j] = static_cast<Out>(fn(static_cast<C>(px.v[j])));
    reinterpret_cast<Pack<Out, N>*>(o)[v] = po;
  }
  for (int64_t i = n_vec * N + tid; i < n; i += stride) o[i] = static_cast<Out>(fn(static_cast<C>(x[i])));
}

template <typename Fn, typename T, typename Out>
__global__ void unary_strided_kernel(const T* __restrict__ x, Out* __restrict__ o, int64_t n, StridedIndexer<1> ix,
                                     Fn fn) {
  using C = compute_t<T>;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[1];
    ix.offsets(i, off);
    o[i] = static_cast<Out>(fn(static_cast<C>(x[off[0]])));
  }
}

template <typename Fn, typename T, typename Out>
void run_unary(const Tensor& x, Tensor& out, cudaStream_t stream, Fn fn = {}) {
  const int64_t n = out.size();
  if (n == 0) return;
  const T* px = static_cast<const T*>(x.raw_data());
  Out* po = static_cast<Out*>(out.raw_data());
  constexpr int N = kVec<T>;
  if (x.is_contiguous() && aligned16(px) && reinterpret_cast<uintptr_t>(po) % (sizeof(Out) * N) == 0) {
    unary_dense_kernel<N, Fn, T, Out><<<blocks_for(n, N), kThreads, 0, stream>>>(px, po, n, fn);
    TF_CUDA_LAUNCH_CHECK("unary_dense_kernel");
    return;
  }
  auto ix = make_indexer<1>(x.shape(), {x.strides()}, "unary op");
  unary_strided_kernel<Fn, T, Out><<<blocks_for(n), kThreads, 0, stream>>>(px, po, n, ix, fn);
  TF_CUDA_LAUNCH_CHECK("unary_strided_kernel");
}

}  // namespace tapeflow::kernels::cuda
