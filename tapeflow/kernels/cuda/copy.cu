// CUDA kernel of Copy (making a strided view contiguous) and copy_into, the strided copy other
// kernels write views with. Mirrors kernels/cpu/copy.cpp.
#include "tapeflow/core/ops/copy.h"
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

// ---- launchers ------------------------------------------------------------------------------

template <typename W> void launch_strided_copy(const Tensor& src, const Tensor& dst, cudaStream_t stream) {
  const int64_t n = src.size();
  auto ix = make_indexer<2>(src.shape(), {src.strides(), dst.strides()}, "Copy");
  strided_copy_kernel<W><<<blocks_for(n), kThreads, 0, stream>>>(static_cast<const W*>(src.raw_data()),
                                                                 static_cast<W*>(dst.raw_data()), n, ix);
  TF_CUDA_LAUNCH_CHECK("strided_copy_kernel");
}

void copy_kernel(KernelContext& ctx) { copy_into(ctx.input(0), ctx.output(0), stream_of(ctx)); }

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
}

}  // namespace tapeflow::kernels::cuda
