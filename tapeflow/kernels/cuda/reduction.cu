// CUDA kernels of the reductions, mirroring kernels/cpu/reduction.cpp; the reducers of both are
// kernels/reduction.h. The input is viewed as (outer, reduced) rows (reduced axes moved last,
// copied only when that view is not contiguous) or as (reduced, outer) columns (reduced axes
// leading a contiguous tensor). Long reductions are split into chunks whose partial accumulators
// a second kernel combines in a fixed order, so results are deterministic run to run. TopKV2 takes a block per row and
// selects its k entries one after another (O(k n) per row: meant for the usual small k).
#include <algorithm>
#include <limits>
#include <type_traits>

#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/kernels/cuda/launch.cuh"
#include "tapeflow/kernels/cuda/registration.h"
#include "tapeflow/kernels/functors.h"
#include "tapeflow/kernels/reduction.h"

namespace tapeflow::kernels::cuda {
namespace {

// ---- kernels ----------------------------------------------------------------------------------

template <typename R> __device__ typename R::Acc block_reduce(typename R::Acc v) {
  __shared__ typename R::Acc buf[kThreads];
  const unsigned t = threadIdx.x;
  buf[t] = v;
  __syncthreads();
  for (unsigned s = kThreads / 2; s > 0; s >>= 1) {
    if (t < s) buf[t] = R::combine(buf[t], buf[t + s]);
    __syncthreads();
  }
  typename R::Acc r = buf[0];
  __syncthreads();  // buf is reused by the caller's next row
  return r;
}

/// Rows: block (chunk, row) reduces in[row, chunk range]; with one chunk it writes the result.
template <typename R, typename T, typename Out>
__global__ void reduce_rows_kernel(const T* __restrict__ in, int64_t outer, int64_t inner, int64_t chunk_len,
                                   typename R::Acc* __restrict__ partial, Out* __restrict__ out) {
  const int64_t c = blockIdx.x, chunks = gridDim.x;
  const int64_t begin = c * chunk_len, end = min(inner, begin + chunk_len);
  for (int64_t row = blockIdx.y; row < outer; row += gridDim.y) {
    const T* p = in + row * inner;
    typename R::Acc acc = R::init();
    for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) acc = R::step(acc, p[i], i);
    acc = block_reduce<R>(acc);
    if (threadIdx.x == 0) {
      if (chunks == 1)
        out[row] = static_cast<Out>(R::finish(acc, inner));
      else
        partial[row * chunks + c] = acc;
    }
  }
}

/// Short rows (why: a block per 10-element row would leave 246 of 256 threads idle).
template <typename R, typename T, typename Out>
__global__ void reduce_short_rows_kernel(const T* __restrict__ in, int64_t outer, int64_t inner,
                                         Out* __restrict__ out) {
  for (int64_t row = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; row < outer;
       row += int64_t(gridDim.x) * blockDim.x) {
    typename R::Acc acc = R::init();
    for (int64_t i = 0; i < inner; ++i) acc = R::step(acc, in[row * inner + i], i);
    out[row] = static_cast<Out>(R::finish(acc, inner));
  }
}

/// Columns: in is (inner, outer); thread j of chunk c reduces rows of the chunk at column j
/// (neighbouring threads read neighbouring addresses).
template <typename R, typename T, typename Out>
__global__ void reduce_cols_kernel(const T* __restrict__ in, int64_t outer, int64_t inner, int64_t chunk_len,
                                   typename R::Acc* __restrict__ partial, Out* __restrict__ out) {
  const int64_t c = blockIdx.y, chunks = gridDim.y;
  const int64_t begin = c * chunk_len, end = min(inner, begin + chunk_len);
  for (int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; j < outer; j += int64_t(gridDim.x) * blockDim.x) {
    typename R::Acc acc = R::init();
    for (int64_t i = begin; i < end; ++i) acc = R::step(acc, in[i * outer + j], i);
    if (chunks == 1)
      out[j] = static_cast<Out>(R::finish(acc, inner));
    else
      partial[c * outer + j] = acc;
  }
}

/// Combines each output's chunk partials in chunk order.
template <typename R, typename Out>
__global__ void finish_partials_kernel(const typename R::Acc* __restrict__ partial, int64_t outer, int64_t chunks,
                                       int64_t chunk_stride, int64_t out_stride, int64_t inner, Out* __restrict__ out) {
  for (int64_t o = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; o < outer; o += int64_t(gridDim.x) * blockDim.x) {
    typename R::Acc acc = R::init();
    for (int64_t k = 0; k < chunks; ++k) acc = R::combine(acc, partial[k * chunk_stride + o * out_stride]);
    out[o] = static_cast<Out>(R::finish(acc, inner));
  }
}

template <typename T, bool kProd>
__global__ void scan_kernel(const T* __restrict__ in, T* __restrict__ out, int64_t outer, int64_t len, int64_t inner,
                            bool exclusive, bool reverse) {
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < outer * inner;
       t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t line = (t / inner) * len * inner + t % inner;
    scan_line<T, kProd>(in + line, out + line, len, inner, exclusive, reverse);
  }
}

/// x (rows, n) -> values, indices (rows, k). Selection kk is the best entry ranked after
/// selection kk - 1, so nothing has to be marked as taken.
template <typename T>
__global__ void top_k_kernel(const T* __restrict__ in, T* __restrict__ values, int32_t* __restrict__ indices,
                             int64_t rows, int64_t n, int k) {
  using C = compute_t<T>;
  __shared__ C best_v[kThreads];
  __shared__ int64_t best_i[kThreads];
  const unsigned t = threadIdx.x;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* x = in + row * n;
    C prev_v = C(0);
    int64_t prev_i = -1;  // -1: nothing selected yet
    for (int kk = 0; kk < k; ++kk) {
      C bv = C(0);
      int64_t bi = -1;  // -1: no candidate
      for (int64_t j = t; j < n; j += blockDim.x) {
        const C v = static_cast<C>(x[j]);
        if (prev_i >= 0 && !ranks_before(prev_v, prev_i, v, j)) continue;  // already selected
        if (bi < 0 || ranks_before(v, j, bv, bi)) {
          bv = v;
          bi = j;
        }
      }
      best_v[t] = bv;
      best_i[t] = bi;
      __syncthreads();
      for (unsigned s = kThreads / 2; s > 0; s >>= 1) {
        if (t < s && best_i[t + s] >= 0 &&
            (best_i[t] < 0 || ranks_before(best_v[t + s], best_i[t + s], best_v[t], best_i[t]))) {
          best_v[t] = best_v[t + s];
          best_i[t] = best_i[t + s];
        }
        __syncthreads();
      }
      prev_v = best_v[0];
      prev_i = best_i[0];
      __syncthreads();  // best_* are rewritten by the next selection
      if (t == 0) {
        values[row * k + kk] = x[prev_i];
        indices[row * k + kk] = static_cast<int32_t>(prev_i);
      }
    }
  }
}

// ---- launchers ----------------------------------------------------------------------------------

using Plan = ReductionPlan;

/// Chunks per output so that the grid has enough blocks to fill the GPU (~2K blocks of work)
/// while each chunk stays long enough (>= 4K elements) to amortize its partial.
int64_t chunk_count(int64_t outer_blocks, int64_t inner) {
  int64_t by_work = (inner + 4095) / 4096;
  int64_t by_fill = (2048 + outer_blocks - 1) / std::max<int64_t>(outer_blocks, 1);
  return std::clamp<int64_t>(std::min(by_work, by_fill), 1, 1024);
}

template <typename R, typename T, typename Out>
void run_reduce(const Tensor& x, const std::vector<int>& axes, Tensor& out, Device device, cudaStream_t s) {
  using Acc = typename R::Acc;
  Plan p = make_reduction_plan(x, axes);
  if (p.outer == 0) return;
  const T* in = static_cast<const T*>(p.data.raw_data());
  Out* o = static_cast<Out*>(out.raw_data());
  if (!p.columns && p.inner <= 32 && p.outer > 1) {
    reduce_short_rows_kernel<R, T, Out><<<blocks_for(p.outer), kThreads, 0, s>>>(in, p.outer, p.inner, o);
    TF_CUDA_LAUNCH_CHECK("reduce_short_rows_kernel");
    return;
  }
  const int64_t outer_blocks = p.columns ? (p.outer + kThreads - 1) / kThreads : p.outer;
  const int64_t chunks = chunk_count(outer_blocks, p.inner);
  const int64_t chunk_len = (p.inner + chunks - 1) / chunks;
  Tensor partial;
  Acc* part = nullptr;
  if (chunks > 1) {
    partial = Tensor::empty(Shape{static_cast<int64_t>(sizeof(Acc)) * chunks * p.outer}, DType::kUInt8, device);
    part = static_cast<Acc*>(partial.raw_data());
  }
  if (p.columns) {
    dim3 grid(static_cast<unsigned>(std::min<int64_t>(outer_blocks, 65535)), static_cast<unsigned>(chunks));
    reduce_cols_kernel<R, T, Out><<<grid, kThreads, 0, s>>>(in, p.outer, p.inner, chunk_len, part, o);
    TF_CUDA_LAUNCH_CHECK("reduce_cols_kernel");
  } else {
    dim3 grid(static_cast<unsigned>(chunks), static_cast<unsigned>(std::min<int64_t>(p.outer, 65535)));
    reduce_rows_kernel<R, T, Out><<<grid, kThreads, 0, s>>>(in, p.outer, p.inner, chunk_len, part, o);
    TF_CUDA_LAUNCH_CHECK("reduce_rows_kernel");
  }
  if (chunks > 1) {
    const int64_t chunk_stride = p.columns ? p.outer : 1, out_stride = p.columns ? 1 : chunks;
    finish_partials_kernel<R, Out>
        <<<blocks_for(p.outer), kThreads, 0, s>>>(part, p.outer, chunks, chunk_stride, out_stride, p.inner, o);
    TF_CUDA_LAUNCH_CHECK("finish_partials_kernel");
  }
}

template <template <typename> class R> void numeric_reduce_kernel(KernelContext& ctx) {
  const auto& attrs = ctx.attr<ops::ReduceAttrs>();
  cudaStream_t s = stream_of(ctx);
  visit_numeric(ctx.input(0).dtype(), ctx.op.name,
                [&]<typename T>() { run_reduce<R<T>, T, T>(ctx.input(0), attrs.axes, ctx.output(0), ctx.device, s); });
}

template <typename R> void bool_reduce_kernel(KernelContext& ctx) {
  run_reduce<R, bool, bool>(ctx.input(0), ctx.attr<ops::ReduceAttrs>().axes, ctx.output(0), ctx.device, stream_of(ctx));
}

template <bool kMax> void arg_kernel(KernelContext& ctx) {
  const int axis = ctx.attr<ops::ArgReduceAttrs>().axis;
  cudaStream_t s = stream_of(ctx);
  Tensor& out = ctx.output(0);
  visit_numeric(ctx.input(0).dtype(), ctx.op.name, [&]<typename T>() {
    if (out.dtype() == DType::kInt64)
      run_reduce<ArgR<T, kMax>, T, int64_t>(ctx.input(0), {axis}, out, ctx.device, s);
    else
      run_reduce<ArgR<T, kMax>, T, int32_t>(ctx.input(0), {axis}, out, ctx.device, s);
  });
}

template <bool kProd> void scan_kernel_fn(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto& a = ctx.attr<ops::ScanAttrs>();
  Tensor& out = ctx.output(0);
  if (x.size() == 0) return;
  cudaStream_t s = stream_of(ctx);
  Tensor c = x.contiguous();
  int64_t len = x.shape()[a.axis], inner = 1, outer = 1;
  for (int i = a.axis + 1; i < x.ndim(); ++i) inner *= x.shape()[i];
  for (int i = 0; i < a.axis; ++i) outer *= x.shape()[i];
  visit_numeric(x.dtype(), ctx.op.name, [&]<typename T>() {
    scan_kernel<T, kProd><<<blocks_for(outer * inner), kThreads, 0, s>>>(static_cast<const T*>(c.raw_data()),
                                                                         static_cast<T*>(out.raw_data()), outer, len,
                                                                         inner, a.exclusive, a.reverse);
    TF_CUDA_LAUNCH_CHECK("scan_kernel");
  });
}

void top_k_kernel_fn(KernelContext& ctx) {
  const Tensor x = ctx.input(0).contiguous();
  const int k = ctx.attr<ops::TopKAttrs>().k;
  const int64_t n = x.ndim() ? x.shape().dim(-1) : 1, rows = n ? x.size() / n : 0;
  if (rows == 0 || k == 0) return;
  cudaStream_t s = stream_of(ctx);
  visit_numeric(x.dtype(), ctx.op.name, [&]<typename T>() {
    top_k_kernel<T><<<static_cast<unsigned>(std::min<int64_t>(rows, 65535)), kThreads, 0, s>>>(
        static_cast<const T*>(x.raw_data()), static_cast<T*>(ctx.output(0).raw_data()),
        static_cast<int32_t*>(ctx.output(1).raw_data()), rows, n, k);
    TF_CUDA_LAUNCH_CHECK("top_k_kernel");
  });
}

}  // namespace

void register_reduction_kernels() {
  const DeviceType gpu = DeviceType::kGPU;
  register_kernel(ops::Sum, gpu, numeric_reduce_kernel<SumR>);
  register_kernel(ops::Mean, gpu, numeric_reduce_kernel<MeanR>);
  register_kernel(ops::Prod, gpu, numeric_reduce_kernel<ProdR>);
  register_kernel(ops::Max, gpu, numeric_reduce_kernel<MaxR>);
  register_kernel(ops::Min, gpu, numeric_reduce_kernel<MinR>);
  register_kernel(ops::Any, gpu, bool_reduce_kernel<AnyR>);
  register_kernel(ops::All, gpu, bool_reduce_kernel<AllR>);
  register_kernel(ops::ArgMax, gpu, arg_kernel<true>);
  register_kernel(ops::ArgMin, gpu, arg_kernel<false>);
  register_kernel(ops::Cumsum, gpu, scan_kernel_fn<false>);
  register_kernel(ops::Cumprod, gpu, scan_kernel_fn<true>);
  register_kernel(ops::TopKV2, gpu, top_k_kernel_fn);
}

}  // namespace tapeflow::kernels::cuda
