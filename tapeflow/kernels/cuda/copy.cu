// CUDA kernels that move or produce values without arithmetic: strided Copy (making a view
// contiguous, or writing into a view), Cast, Fill and Range. Mirrors kernels/cpu/copy.cpp.
#include <limits>
#include <type_traits>

#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/copy.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/kernels/cuda/launch.cuh"
#include "tapeflow/kernels/cuda/registration.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cuda {
namespace {

// ---- kernels ------------------------------------------------------------------------------

/// dst[offset_dst(i)] = src[offset_src(i)] for elements of W bytes (values are not interpreted).
template <typename W>
__global__ void strided_copy_kernel(const W* __restrict__ src, W* __restrict__ dst, int64_t n, StridedIndexer<2> ix) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[2];
    ix.offsets(i, off);
    dst[off[1]] = src[off[0]];
  }
}

template <typename From, typename To>
__device__ __forceinline__ To convert(From v) {
  using CF = compute_t<From>;
  CF c = static_cast<CF>(v);
  if constexpr (std::is_same_v<To, bool>) {
    return c != CF(0);
  } else if constexpr (std::is_integral_v<To> && !std::is_integral_v<CF>) {
    // Float to int truncates toward zero; NaN and out-of-range become 0, as on CPU.
    double d = static_cast<double>(c);
    if (!(d >= static_cast<double>(std::numeric_limits<To>::min()) &&
          d < static_cast<double>(std::numeric_limits<To>::max()) + 1.0))
      return To(0);
    return static_cast<To>(d);
  } else if constexpr (std::is_arithmetic_v<To>) {
    return static_cast<To>(c);
  } else {
    return To(static_cast<float>(c));
  }
}

template <typename From, typename To>
__global__ void cast_kernel(const From* __restrict__ in, To* __restrict__ out, int64_t n, bool contiguous,
                            StridedIndexer<1> ix) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[1] = {i};
    if (!contiguous) ix.offsets(i, off);
    out[i] = convert<From, To>(in[off[0]]);
  }
}

template <typename T>
__global__ void fill_kernel(T* __restrict__ out, int64_t n, T value) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = value;
}

template <typename T>
__global__ void range_kernel(T* __restrict__ out, int64_t n, double start, double delta, int64_t istart,
                             int64_t idelta) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    if constexpr (std::is_integral_v<T>) out[i] = static_cast<T>(istart + i * idelta);
    else out[i] = T(start + static_cast<double>(i) * delta);
  }
}

// ---- launchers ------------------------------------------------------------------------------

template <typename W>
void launch_strided_copy(const Tensor& src, const Tensor& dst, cudaStream_t stream) {
  const int64_t n = src.size();
  auto ix = make_indexer<2>(src.shape(), {src.strides(), dst.strides()}, "Copy");
  strided_copy_kernel<W><<<blocks_for(n), kThreads, 0, stream>>>(static_cast<const W*>(src.raw_data()),
                                                                    static_cast<W*>(dst.raw_data()), n, ix);
  TF_CUDA_LAUNCH_CHECK("strided_copy_kernel");
}

void copy_kernel(KernelContext& ctx) { copy_into(ctx.input(0), ctx.output(0), stream_of(ctx)); }

void cast_kernel_fn(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.output(0);
  const int64_t n = in.size();
  if (n == 0) return;
  cudaStream_t stream = stream_of(ctx);
  StridedIndexer<1> ix{};
  if (!in.is_contiguous()) ix = make_indexer<1>(in.shape(), {in.strides()}, "Cast");
  visit_pod(in.dtype(), "Cast", [&]<typename From>() {
    visit_pod(out.dtype(), "Cast", [&]<typename To>() {
      cast_kernel<From, To><<<blocks_for(n), kThreads, 0, stream>>>(
          static_cast<const From*>(in.raw_data()), static_cast<To*>(out.raw_data()), n, in.is_contiguous(), ix);
      TF_CUDA_LAUNCH_CHECK("cast_kernel");
    });
  });
}

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

void copy_into(const Tensor& src, const Tensor& dst, cudaStream_t stream) {
  if (src.size() == 0) return;
  const std::size_t es = dtype_size(src.dtype());
  if (src.is_contiguous() && dst.is_contiguous()) {
    TF_CUDA_CHECK(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), static_cast<std::size_t>(src.size()) * es,
                                  cudaMemcpyDeviceToDevice, stream));
    return;
  }
  switch (es) {
    case 1: launch_strided_copy<uint8_t>(src, dst, stream); break;
    case 2: launch_strided_copy<uint16_t>(src, dst, stream); break;
    case 4: launch_strided_copy<uint32_t>(src, dst, stream); break;
    default: launch_strided_copy<uint64_t>(src, dst, stream); break;
  }
}

void register_copy_kernels() {
  const DeviceType gpu = DeviceType::kGPU;
  register_kernel(ops::Copy, gpu, copy_kernel);
  register_kernel(ops::Cast, gpu, cast_kernel_fn);
  register_kernel(ops::Fill, gpu, fill_kernel_fn);
  register_kernel(ops::Range, gpu, range_kernel_fn);
}

}  // namespace tapeflow::kernels::cuda
