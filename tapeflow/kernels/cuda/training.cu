// CUDA kernels of the fused training ops (core/ops/training.h), mirroring
// kernels/cpu/training.cpp with the same per-element updates (kernels/training.h). One launch
// updates every variable of a step: the launch's parameters carry the tensors' pointers and
// sizes and a table mapping each block to a (tensor, chunk) pair, as PyTorch's
// multi_tensor_apply does, so no metadata is copied to the device and nothing synchronizes.
#include <type_traits>

#include "tapeflow/core/ops/training.h"
#include "tapeflow/kernels/cuda/launch.cuh"
#include "tapeflow/kernels/cuda/registration.h"
#include "tapeflow/kernels/training.h"

namespace tapeflow::kernels::cuda {
namespace {

/// Elements per block: 64 per thread of a 256-thread block, enough work to amortize a block's
/// start and small enough that a 100x784 kernel still spreads over 5 blocks.
constexpr int64_t kChunk = 16384;
/// Tensors and blocks per launch: with 5 lists of 32 pointers, 32 sizes and a 160-entry block
/// table the parameters stay under the 4 KiB every CUDA version accepts.
constexpr int kMaxTensors = ops::kFusedApplyMaxTensors;
constexpr int kMaxBlocks = 160;

template <typename T, int kLists> struct TensorLists {
  T* ptrs[kLists][kMaxTensors];
  int64_t sizes[kMaxTensors];
  unsigned char block_tensor[kMaxBlocks];  // the tensor of each block
  int block_chunk[kMaxBlocks];             // the chunk of that tensor each block updates
};
static_assert(sizeof(TensorLists<double, 5>) <= 4096, "kernel parameters must fit in 4 KiB");

template <typename T, typename Update>
__global__ void fused_apply_kernel(TensorLists<T, Update::kLists> lists, Update update, RateInputs rates) {
  // Rates given as device scalars (Note [Rates as inputs]) are read here, so nothing syncs.
  if (rates.lr) rates.apply(update);
  const int t = lists.block_tensor[blockIdx.x];
  const int64_t begin = int64_t(lists.block_chunk[blockIdx.x]) * kChunk;
  const int64_t end = begin + kChunk < lists.sizes[t] ? begin + kChunk : lists.sizes[t];
  T* p[Update::kLists];
#pragma unroll
  for (int l = 0; l < Update::kLists; ++l) p[l] = lists.ptrs[l][t];
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) update(p, i);
}

/// Launches `update` over the op's num_vars variables: one launch unless more than kMaxTensors
/// variables or kMaxBlocks chunks need it.
template <typename T, typename Update>
void run_update(KernelContext& ctx, const Update& update, const RateInputs& rates) {
  constexpr int kLists = Update::kLists;
  cudaStream_t stream = stream_of(ctx);
  const auto n = static_cast<std::size_t>(ctx.attr<ops::FusedApplyAttrs>().num_vars);
  TensorLists<T, kLists> lists{};
  int tensors = 0, blocks = 0;
  auto launch = [&] {
    if (blocks > 0) {
      fused_apply_kernel<T, Update><<<blocks, kThreads, 0, stream>>>(lists, update, rates);
      TF_CUDA_LAUNCH_CHECK("fused_apply_kernel");
    }
    tensors = 0;
    blocks = 0;
  };
  for (std::size_t k = 0; k < n; ++k) {
    const int64_t size = ctx.input(k).size();
    if (size == 0) continue;
    if (tensors == kMaxTensors) launch();
    for (int l = 0; l < kLists; ++l)
      lists.ptrs[l][tensors] = static_cast<T*>(ctx.input(std::size_t(l) * n + k).raw_data());
    lists.sizes[tensors] = size;
    const int64_t chunks = (size + kChunk - 1) / kChunk;
    for (int64_t c = 0; c < chunks; ++c) {
      if (blocks == kMaxBlocks) {
        // The tensor continues in the next launch: carry its entry over as tensor 0.
        launch();
        for (int l = 0; l < kLists; ++l)
          lists.ptrs[l][0] = static_cast<T*>(ctx.input(std::size_t(l) * n + k).raw_data());
        lists.sizes[0] = size;
      }
      lists.block_tensor[blocks] = static_cast<unsigned char>(tensors);
      lists.block_chunk[blocks] = static_cast<int>(c);
      ++blocks;
    }
    ++tensors;
  }
  launch();
}

/// The kernel of fused op kOp: the update its attributes select, over all its variables, at the
/// rates of its trailing device scalars when it has them (Note [Rates as inputs]).
template <FusedOp kOp> void fused_apply(KernelContext& ctx) {
  with_fused_apply<kOp>(ctx, ctx.attr<ops::FusedApplyAttrs>(), [&](const auto& update, const RateInputs& rates) {
    run_update<typename std::decay_t<decltype(update)>::value_type>(ctx, update, rates);
  });
}

}  // namespace

void register_training_kernels() {
  const auto gpu = DeviceType::kGPU;
  register_kernel(ops::FusedApplyGradientDescent, gpu, fused_apply<FusedOp::kGradientDescent>);
  register_kernel(ops::FusedApplyKerasMomentum, gpu, fused_apply<FusedOp::kKerasMomentum>);
  register_kernel(ops::FusedApplyAdam, gpu, fused_apply<FusedOp::kAdam>);
  register_kernel(ops::FusedApplyAdagrad, gpu, fused_apply<FusedOp::kAdagrad>);
  register_kernel(ops::FusedApplyRMSProp, gpu, fused_apply<FusedOp::kRMSProp>);
}

}  // namespace tapeflow::kernels::cuda
