// CUDA kernel of Cast: every dtype pair, any strides (kernels/cast.h holds the conversion).
// Mirrors kernels/cpu/cast.cpp.
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/kernels/cast.h"
#include "tapeflow/kernels/cuda/launch.cuh"
#include "tapeflow/kernels/cuda/registration.h"

namespace tapeflow::kernels::cuda {
namespace {

// ---- kernels ------------------------------------------------------------------------------

template <typename From, typename To>
__global__ void cast_kernel(const From* __restrict__ in, To* __restrict__ out, int64_t n, bool contiguous,
                            StridedIndexer<1> ix) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[1] = {i};
    if (!contiguous) ix.offsets(i, off);
    out[i] = cast_value<From, To>(in[off[0]]);
  }
}

// ---- launchers ------------------------------------------------------------------------------

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

}  // namespace

void register_cast_kernels() { register_kernel(ops::Cast, DeviceType::kGPU, cast_kernel_fn); }

}  // namespace tapeflow::kernels::cuda
