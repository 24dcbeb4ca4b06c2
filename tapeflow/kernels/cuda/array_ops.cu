// CUDA kernels of the copying shape ops, mirroring kernels/cpu/array_ops.cpp: concat and tile
// (strided copies into views of the output), pad (constant and mirror), gather, gather_nd,
// one_hot, strided-slice gradients and unsorted_segment_sum. Out-of-range gather indices give
// zeros here, as in TF's GPU kernels (the CPU kernels raise InvalidArgumentError): checking them
// on the host would cost a device-to-host synchronization per gather.
#include <type_traits>

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/kernels/array_geometry.h"
#include "tapeflow/kernels/cuda/launch.cuh"
#include "tapeflow/kernels/cuda/registration.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cuda {
namespace {

#define TF_GRID_STRIDE_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// ---- kernels ----------------------------------------------------------------------------------

struct PadGeometry {
  int rank;
  int64_t out_sizes[kMaxDims], in_sizes[kMaxDims], in_strides[kMaxDims], before[kMaxDims];
  int mode;  // 0 CONSTANT, 1 REFLECT, 2 SYMMETRIC
};

template <typename T>
__global__ void pad_kernel(const T* __restrict__ in, T* __restrict__ out, int64_t n, PadGeometry g, T fill) {
  TF_GRID_STRIDE_LOOP(o, n) {
    int64_t rem = o, src = 0;
    bool constant = false;
    for (int d = g.rank - 1; d >= 0; --d) {
      const int64_t i = pad_source(rem % g.out_sizes[d], g.in_sizes[d], g.before[d], g.mode);
      rem /= g.out_sizes[d];
      if (i < 0) {
        constant = true;
        continue;
      }
      src += i * g.in_strides[d];
    }
    out[o] = constant ? fill : in[src];
  }
}

/// out (batch, pre, per_batch, inner) = params (batch, pre, limit, inner) at indices (batch, per_batch).
template <typename W, typename I>
__global__ void gather_kernel(const W* __restrict__ params, const I* __restrict__ idx, W* __restrict__ out, int64_t n,
                              int64_t pre, int64_t limit, int64_t per_batch, int64_t inner) {
  TF_GRID_STRIDE_LOOP(o, n) {
    const int64_t k = o % inner;
    int64_t t = o / inner;
    const int64_t j = t % per_batch;
    t /= per_batch;
    const int64_t p = t % pre, b = t / pre;
    const int64_t v = static_cast<int64_t>(idx[b * per_batch + j]);
    out[o] = (v >= 0 && v < limit) ? params[((b * pre + p) * limit + v) * inner + k] : W(0);
  }
}

struct NdGeometry {
  int k;  // index depth
  int64_t sizes[kMaxDims], strides[kMaxDims];
};

template <typename W, typename I>
__global__ void gather_nd_kernel(const W* __restrict__ params, const I* __restrict__ idx, W* __restrict__ out,
                                 int64_t n, int64_t inner, NdGeometry g) {
  TF_GRID_STRIDE_LOOP(o, n) {
    const int64_t r = o / inner, e = o % inner;
    int64_t src = 0;
    bool ok = true;
    for (int d = 0; d < g.k; ++d) {
      const int64_t v = static_cast<int64_t>(idx[r * g.k + d]);
      ok &= v >= 0 && v < g.sizes[d];
      src += v * g.strides[d];
    }
    out[o] = ok ? params[src + e] : W(0);
  }
}

/// out (outer, depth, inner) = on where the index of (outer, inner) equals the depth position.
template <typename T, typename I>
__global__ void one_hot_kernel(const I* __restrict__ idx, T* __restrict__ out, int64_t n, int64_t depth, int64_t inner,
                               T on, T off) {
  TF_GRID_STRIDE_LOOP(o, n) {
    const int64_t i = o % inner, t = o / inner;
    const int64_t d = t % depth, b = t / depth;
    out[o] = static_cast<int64_t>(idx[b * inner + i]) == d ? on : off;
  }
}

template <typename T, typename Acc, typename I>
__global__ void segment_sum_kernel(const T* __restrict__ data, const I* __restrict__ ids, Acc* __restrict__ acc,
                                   int64_t n, int64_t inner, int64_t segments) {
  TF_GRID_STRIDE_LOOP(i, n) {
    const int64_t s = static_cast<int64_t>(ids[i / inner]);
    if (s < 0 || s >= segments) continue;
    Acc v;
    if constexpr (std::is_integral_v<T>)
      v = static_cast<Acc>(static_cast<int64_t>(data[i]));
    else
      v = static_cast<Acc>(static_cast<compute_t<T>>(data[i]));
    atomicAdd(&acc[s * inner + i % inner], v);
  }
}

template <typename T, typename Acc>
__global__ void store_acc_kernel(const Acc* __restrict__ acc, T* __restrict__ out, int64_t n) {
  TF_GRID_STRIDE_LOOP(i, n) {
    if constexpr (std::is_integral_v<T>)
      out[i] = static_cast<T>(static_cast<int64_t>(acc[i]));
    else
      out[i] = T(static_cast<compute_t<T>>(acc[i]));
  }
}

// ---- launchers --------------------------------------------------------------------------------

void concat_kernel(KernelContext& ctx) {
  cudaStream_t s = stream_of(ctx);
  concat_slots(ctx.inputs, ctx.output(0), ctx.attr<ops::AxisAttrs>().axis,
               [s](const Tensor& in, const Tensor& slot) { copy_into(in, slot, s); });
}

void tile_kernel(KernelContext& ctx) {
  if (ctx.output(0).size() == 0) return;
  auto [src, dst] = tile_views(ctx.input(0), ctx.output(0), ctx.attr<ops::TileAttrs>().multiples);
  copy_into(src, dst, stream_of(ctx));
}

void pad_kernel_fn(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& out = ctx.output(0);
  const int64_t n = out.size();
  if (n == 0) return;
  const auto& a = ctx.attr<ops::PadAttrs>();
  TF_CHECK_TYPED(x.ndim() <= kMaxDims, UnimplementedError, ctx.op.name, "pad on GPU supports rank <= ", kMaxDims);
  PadGeometry g{};
  g.rank = x.ndim();
  g.mode = a.mode;
  for (int d = 0; d < g.rank; ++d) {
    g.out_sizes[d] = out.shape()[d];
    g.in_sizes[d] = x.shape()[d];
    g.in_strides[d] = x.strides()[static_cast<std::size_t>(d)];
    g.before[d] = a.paddings[static_cast<std::size_t>(d)].first;
  }
  cudaStream_t s = stream_of(ctx);
  visit_pod(x.dtype(), ctx.op.name, [&]<typename T>() {
    pad_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(static_cast<const T*>(x.raw_data()),
                                                     static_cast<T*>(out.raw_data()), n, g, a.constant_value.to<T>());
    TF_CUDA_LAUNCH_CHECK("pad_kernel");
  });
}

/// Calls f.template operator()<I>() for an int32/int64/uint8 index tensor.
template <typename F> void visit_index(DType dt, const char* op, F&& f) {
  switch (dt) {
    case DType::kInt32: return f.template operator()<int32_t>();
    case DType::kInt64: return f.template operator()<int64_t>();
    case DType::kUInt8: return f.template operator()<uint8_t>();
    default: detail::throw_bad_dtype(op, dt, "int32 or int64 indices");
  }
}
/// Calls f.template operator()<W>() with W an unsigned type of the element size (values are moved, not read).
template <typename F> void visit_width(DType dt, F&& f) {
  switch (dtype_size(dt)) {
    case 1: return f.template operator()<uint8_t>();
    case 2: return f.template operator()<uint16_t>();
    case 4: return f.template operator()<uint32_t>();
    default: return f.template operator()<uint64_t>();
  }
}

void gather_kernel_fn(KernelContext& ctx) {
  const Tensor params = ctx.input(0).contiguous();
  const Tensor indices = ctx.input(1).contiguous();
  Tensor& out = ctx.output(0);
  const int64_t n = out.size();
  if (n == 0) return;
  const auto& a = ctx.attr<ops::AxisAttrs>();
  int64_t batch = 1, pre = 1, inner = 1;
  for (int i = 0; i < a.batch_dims; ++i) batch *= params.shape()[i];
  for (int i = a.batch_dims; i < a.axis; ++i) pre *= params.shape()[i];
  for (int i = a.axis + 1; i < params.ndim(); ++i) inner *= params.shape()[i];
  const int64_t limit = params.shape()[a.axis];
  const int64_t per_batch = indices.size() / batch;
  cudaStream_t s = stream_of(ctx);
  visit_width(params.dtype(), [&]<typename W>() {
    visit_index(indices.dtype(), "GatherV2", [&]<typename I>() {
      gather_kernel<W, I><<<blocks_for(n), kThreads, 0, s>>>(
          static_cast<const W*>(params.raw_data()), static_cast<const I*>(indices.raw_data()),
          static_cast<W*>(out.raw_data()), n, pre, limit, per_batch, inner);
      TF_CUDA_LAUNCH_CHECK("gather_kernel");
    });
  });
}

void gather_nd_kernel_fn(KernelContext& ctx) {
  const Tensor params = ctx.input(0).contiguous();
  const Tensor indices = ctx.input(1).contiguous();
  Tensor& out = ctx.output(0);
  const int64_t n = out.size();
  if (n == 0) return;
  NdGeometry g{};
  g.k = static_cast<int>(indices.shape().dim(-1));
  TF_CHECK_TYPED(g.k <= kMaxDims, UnimplementedError, "GatherNd", "GatherNd on GPU supports index depth <= ", kMaxDims);
  DimVector st = contiguous_strides(params.shape());
  int64_t inner = 1;
  for (int d = 0; d < params.ndim(); ++d) {
    if (d < g.k) {
      g.sizes[d] = params.shape()[d];
      g.strides[d] = st[static_cast<std::size_t>(d)];
    } else {
      inner *= params.shape()[d];
    }
  }
  cudaStream_t s = stream_of(ctx);
  visit_width(params.dtype(), [&]<typename W>() {
    visit_index(indices.dtype(), "GatherNd", [&]<typename I>() {
      gather_nd_kernel<W, I><<<blocks_for(n), kThreads, 0, s>>>(static_cast<const W*>(params.raw_data()),
                                                                static_cast<const I*>(indices.raw_data()),
                                                                static_cast<W*>(out.raw_data()), n, inner, g);
      TF_CUDA_LAUNCH_CHECK("gather_nd_kernel");
    });
  });
}

void one_hot_kernel_fn(KernelContext& ctx) {
  const auto& a = ctx.attr<ops::OneHotAttrs>();
  const Tensor indices = ctx.input(0).contiguous();
  Tensor& out = ctx.output(0);
  const int64_t n = out.size();
  if (n == 0) return;
  int64_t inner = 1;
  for (int i = a.axis + 1; i < out.ndim(); ++i) inner *= out.shape()[i];
  cudaStream_t s = stream_of(ctx);
  visit_pod(out.dtype(), "OneHot", [&]<typename T>() {
    visit_index(indices.dtype(), "OneHot", [&]<typename I>() {
      one_hot_kernel<T, I><<<blocks_for(n), kThreads, 0, s>>>(static_cast<const I*>(indices.raw_data()),
                                                              static_cast<T*>(out.raw_data()), n, a.depth, inner,
                                                              a.on.to<T>(), a.off.to<T>());
      TF_CUDA_LAUNCH_CHECK("one_hot_kernel");
    });
  });
}

void strided_slice_grad_kernel(KernelContext& ctx) {
  const auto& a = ctx.attr<ops::SliceGradAttrs>();
  Tensor& out = ctx.output(0);
  cudaStream_t s = stream_of(ctx);
  if (out.size() == 0) return;
  TF_CUDA_CHECK(cudaMemsetAsync(out.raw_data(), 0, static_cast<std::size_t>(out.size()) * dtype_size(out.dtype()), s));
  // The forward slice's view of `out` receives the incoming gradient.
  TensorList view;
  KernelContext slice_ctx{ops::StridedSlice, std::span<const Tensor>(&out, 1), a.slice.get(), {}, view, ctx.device,
                          ctx.stream};
  ops::StridedSlice.kernels[static_cast<int>(DeviceType::kGPU)](slice_ctx);
  copy_into(ctx.input(0), view[0], s);
}

void segment_sum_kernel_fn(KernelContext& ctx) {
  const Tensor data = ctx.input(0).contiguous();
  const Tensor ids = ctx.input(1).contiguous();
  Tensor& out = ctx.output(0);
  if (out.size() == 0) return;
  const int64_t segments = out.shape()[0];
  const int64_t inner = segments ? out.size() / segments : 0;
  const int64_t n = data.size();
  cudaStream_t s = stream_of(ctx);
  visit_numeric(data.dtype(), "UnsortedSegmentSum", [&]<typename T>() {
    // Atomics need a native type: float (float16/bfloat16/float32), double, or 64-bit integers
    // (which wrap like the CPU's integer sums).
    using Acc = std::conditional_t<std::is_integral_v<T>, unsigned long long,
                                   std::conditional_t<std::is_same_v<T, double>, double, float>>;
    Tensor acc = Tensor::empty(Shape{out.size() * static_cast<int64_t>(sizeof(Acc))}, DType::kUInt8, ctx.device);
    Acc* pa = static_cast<Acc*>(acc.raw_data());
    TF_CUDA_CHECK(cudaMemsetAsync(pa, 0, static_cast<std::size_t>(out.size()) * sizeof(Acc), s));
    if (n > 0 && inner > 0) {
      visit_index(ids.dtype(), "UnsortedSegmentSum", [&]<typename I>() {
        segment_sum_kernel<T, Acc, I><<<blocks_for(n), kThreads, 0, s>>>(
            static_cast<const T*>(data.raw_data()), static_cast<const I*>(ids.raw_data()), pa, n, inner, segments);
        TF_CUDA_LAUNCH_CHECK("segment_sum_kernel");
      });
    }
    store_acc_kernel<T, Acc>
        <<<blocks_for(out.size()), kThreads, 0, s>>>(pa, static_cast<T*>(out.raw_data()), out.size());
    TF_CUDA_LAUNCH_CHECK("store_acc_kernel");
  });
}

}  // namespace

void register_array_kernels() {
  const DeviceType gpu = DeviceType::kGPU;
  register_kernel(ops::ConcatV2, gpu, concat_kernel);
  register_kernel(ops::Tile, gpu, tile_kernel);
  register_kernel(ops::PadV2, gpu, pad_kernel_fn);
  register_kernel(ops::MirrorPad, gpu, pad_kernel_fn);
  register_kernel(ops::GatherV2, gpu, gather_kernel_fn);
  register_kernel(ops::GatherNd, gpu, gather_nd_kernel_fn);
  register_kernel(ops::OneHot, gpu, one_hot_kernel_fn);
  register_kernel(ops::StridedSliceGrad, gpu, strided_slice_grad_kernel);
  register_kernel(ops::UnsortedSegmentSum, gpu, segment_sum_kernel_fn);
}

}  // namespace tapeflow::kernels::cuda
