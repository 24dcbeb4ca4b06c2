// GPU kernels of FusedBatchNormV3 and FusedBatchNormGradV3 over the last (channel) axis: cuDNN's
// spatial batch norm on NHWC data (x of rank 4 keeps its N, H, W; other ranks are (rows, 1, 1, C)),
// with the outputs of the CPU kernel (kernels/cpu/batch_norm.cpp), so that a forward on one
// device and its gradient on another agree:
//   reserve_space_1 = batch mean, reserve_space_2 = biased batch variance (not cuDNN's inverse
//   standard deviation), reserve_space_3 empty; batch_mean / batch_variance = the running
//   statistics (unbiased variance, exponential_avg_factor).
// cuDNN has no gradient for frozen statistics (is_training = false): batch_norm_stats.cu does it.
// What cuDNN rejects (a dtype, a size), and everything in a build without cuDNN, runs the CPU
// kernel on host copies.
#include "tapeflow/core/ops/batch_norm.h"
#include "tapeflow/cuda/cuda_check.h"
#include "tapeflow/cuda/cuda_context.h"
#include "tapeflow/kernels/cuda/batch_norm_stats.h"
#include "tapeflow/kernels/cuda/cpu_fallback.h"
#include "tapeflow/kernels/cuda/registration.h"
#if TAPEFLOW_HAS_CUDNN
#include "tapeflow/cuda/cudnn_descriptors.h"
#include "tapeflow/cuda/cudnn_handle.h"
#endif

namespace tapeflow::kernels::cuda {
namespace {

/// x as (rows, C) in the (N, H, W) cuDNN sees.
struct BatchNormShape {
  int64_t n = 0, h = 1, w = 1, c = 0;
  int64_t rows() const { return n * h * w; }
};
BatchNormShape batch_norm_shape(const Shape& x) {
  BatchNormShape s;
  s.c = x.dim(-1);
  if (x.rank() == 4) {
    s.n = x[0];
    s.h = x[1];
    s.w = x[2];
  } else {
    s.n = s.c ? x.num_elements() / s.c : 0;
  }
  return s;
}

cudaStream_t stream_of_device(const KernelContext& ctx) {
  ::tapeflow::cuda::set_device(ctx.device.index());
  return static_cast<cudaStream_t>(ctx.stream);
}

/// FusedBatchNormGradV3 with frozen statistics (is_training = false): own kernels, any size.
void frozen_grad(KernelContext& ctx) {
  const auto& attrs = ctx.attr<ops::FusedBatchNormAttrs>();
  const Tensor dy = ctx.input(0).contiguous(), x = ctx.input(1).contiguous(), scale = ctx.input(2).contiguous();
  const Tensor mean = ctx.input(3).contiguous(), var = ctx.input(4).contiguous();
  if (x.size() == 0) return run_cpu_kernel(ctx);
  const BatchNormShape s = batch_norm_shape(x.shape());
  batch_norm_frozen_grad(x.dtype(), dy.raw_data(), x.raw_data(), scale.raw_data(), mean.raw_data(), var.raw_data(),
                         ctx.output(0).raw_data(), ctx.output(1).raw_data(), ctx.output(2).raw_data(), s.rows(), s.c,
                         attrs.epsilon, ctx.device.index(), stream_of_device(ctx));
}

#if TAPEFLOW_HAS_CUDNN
namespace tc = ::tapeflow::cuda;

/// cuDNN's descriptors of x/y (NHWC) and of the per-channel vectors derived from them.
struct BatchNormDescriptors {
  tc::TensorDescriptor x, bn;
  BatchNormDescriptors(const char* op, const BatchNormShape& s, DType dt) {
    tc::check_cudnn_dims(op, {s.n, s.h, s.w, s.c, s.rows() * s.c});
    x.set_nhwc(tc::cudnn_data_type(dt), s.n, s.h, s.w, s.c);
    TF_CUDNN_CHECK_CONFIG(cudnnDeriveBNTensorDescriptor(bn.get(), x.get(), CUDNN_BATCHNORM_SPATIAL));
  }
};

DType vector_dtype(DType x) { return x == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32; }

/// Runs `body` (the cuDNN path) or, when the input is degenerate or cuDNN rejects it, the CPU kernel.
template <typename F> void with_cudnn_or_cpu(KernelContext& ctx, const BatchNormShape& s, F&& body) {
  // Empty inputs and single-row batches (a variance of one sample): the CPU kernel's conventions.
  if (s.rows() <= 1 || s.c == 0) return run_cpu_kernel(ctx);
  try {
    body();
  } catch (const errors::UnimplementedError& e) {
    note_cpu_fallback(ctx, e.message());
    run_cpu_kernel(ctx);
  }
}

void fused_batch_norm(KernelContext& ctx) {
  const auto& attrs = ctx.attr<ops::FusedBatchNormAttrs>();
  const BatchNormShape s = batch_norm_shape(ctx.input(0).shape());
  with_cudnn_or_cpu(ctx, s, [&] {
    cudaStream_t stream = stream_of_device(ctx);
    const Tensor x = contiguous_aligned(ctx.input(0), stream);
    const Tensor scale = contiguous_aligned(ctx.input(1), stream), offset = contiguous_aligned(ctx.input(2), stream);
    const DType u = vector_dtype(x.dtype());
    const std::size_t vec_bytes = static_cast<std::size_t>(s.c) * dtype_size(u);
    BatchNormDescriptors d(ctx.op.name, s, x.dtype());
    cudnnHandle_t h = tc::cudnn_handle(ctx.device.index());
    std::lock_guard<std::mutex> lock(tc::cudnn_mutex(ctx.device.index()));  // one host thread on the handle
    const tc::CudnnScale one_zero(x.dtype());
    void* y = ctx.output(0).raw_data();
    if (!attrs.is_training) {
      const Tensor mean = contiguous_aligned(ctx.input(3), stream), var = contiguous_aligned(ctx.input(4), stream);
      TF_CUDNN_CHECK(cudnnBatchNormalizationForwardInference(
          h, CUDNN_BATCHNORM_SPATIAL, one_zero.one(), one_zero.zero(), d.x.get(), x.raw_data(), d.x.get(), y,
          d.bn.get(), scale.raw_data(), offset.raw_data(), mean.raw_data(), var.raw_data(), attrs.epsilon));
      // The statistics pass through, as on the CPU.
      for (int i : {1, 3})
        TF_CUDA_CHECK(
            cudaMemcpyAsync(ctx.output(i).raw_data(), mean.raw_data(), vec_bytes, cudaMemcpyDeviceToDevice, stream));
      for (int i : {2, 4})
        TF_CUDA_CHECK(
            cudaMemcpyAsync(ctx.output(i).raw_data(), var.raw_data(), vec_bytes, cudaMemcpyDeviceToDevice, stream));
      return;
    }
    // cuDNN saves the batch mean straight into reserve_space_1 and 1/sqrt(var + eps) into a
    // scratch vector; the running statistics are left to batch_norm_finalize (null here).
    const Tensor inv_std = Tensor::empty(Shape{s.c}, u, ctx.device);
    TF_CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(h, CUDNN_BATCHNORM_SPATIAL, one_zero.one(), one_zero.zero(),
                                                          d.x.get(), x.raw_data(), d.x.get(), y, d.bn.get(),
                                                          scale.raw_data(), offset.raw_data(), 1.0, nullptr, nullptr,
                                                          attrs.epsilon, ctx.output(3).raw_data(), inv_std.raw_data()));
    const bool averaged = attrs.exponential_avg_factor != 1.0;
    const Tensor old_mean = averaged ? ctx.input(3).contiguous() : Tensor();
    const Tensor old_var = averaged ? ctx.input(4).contiguous() : Tensor();
    batch_norm_finalize(u, ctx.output(3).raw_data(), inv_std.raw_data(), averaged ? old_mean.raw_data() : nullptr,
                        averaged ? old_var.raw_data() : nullptr, ctx.output(1).raw_data(), ctx.output(2).raw_data(),
                        ctx.output(4).raw_data(), s.c, s.rows(), attrs.epsilon, attrs.exponential_avg_factor, stream);
  });
}

// Inputs y_backprop, x, scale, reserve_space_1 (mean), reserve_space_2 (biased variance), reserve_space_3.
void fused_batch_norm_grad(KernelContext& ctx) {
  const auto& attrs = ctx.attr<ops::FusedBatchNormAttrs>();
  if (!attrs.is_training) return frozen_grad(ctx);
  const BatchNormShape s = batch_norm_shape(ctx.input(1).shape());
  with_cudnn_or_cpu(ctx, s, [&] {
    cudaStream_t stream = stream_of_device(ctx);
    const Tensor dy = contiguous_aligned(ctx.input(0), stream), x = contiguous_aligned(ctx.input(1), stream);
    const Tensor scale = contiguous_aligned(ctx.input(2), stream), mean = contiguous_aligned(ctx.input(3), stream);
    const Tensor var = ctx.input(4).contiguous();  // read by batch_norm_inv_std only
    const DType u = vector_dtype(x.dtype());
    BatchNormDescriptors d(ctx.op.name, s, x.dtype());
    cudnnHandle_t h = tc::cudnn_handle(ctx.device.index());
    std::lock_guard<std::mutex> lock(tc::cudnn_mutex(ctx.device.index()));  // one host thread on the handle
    const Tensor inv_std = Tensor::empty(Shape{s.c}, u, ctx.device);
    batch_norm_inv_std(u, var.raw_data(), inv_std.raw_data(), s.c, attrs.epsilon, stream);
    const tc::CudnnScale one_zero(x.dtype());
    TF_CUDNN_CHECK(cudnnBatchNormalizationBackward(
        h, CUDNN_BATCHNORM_SPATIAL, one_zero.one(), one_zero.zero(), one_zero.one(), one_zero.zero(), d.x.get(),
        x.raw_data(), d.x.get(), dy.raw_data(), d.x.get(), ctx.output(0).raw_data(), d.bn.get(), scale.raw_data(),
        ctx.output(1).raw_data(), ctx.output(2).raw_data(), attrs.epsilon, mean.raw_data(), inv_std.raw_data()));
  });
}

#else  // no cuDNN: the CPU kernel on host copies, except the frozen gradient

void fused_batch_norm(KernelContext& ctx) {
  note_cpu_fallback(ctx, "Tapeflow was built without cuDNN");
  run_cpu_kernel(ctx);
}

void fused_batch_norm_grad(KernelContext& ctx) {
  if (ctx.attr<ops::FusedBatchNormAttrs>().is_training) {
    note_cpu_fallback(ctx, "Tapeflow was built without cuDNN");
    return run_cpu_kernel(ctx);
  }
  frozen_grad(ctx);
}

#endif  // TAPEFLOW_HAS_CUDNN

}  // namespace

void register_batch_norm_kernels() {
  register_kernel(ops::FusedBatchNormV3, DeviceType::kGPU, fused_batch_norm);
  register_kernel(ops::FusedBatchNormGradV3, DeviceType::kGPU, fused_batch_norm_grad);
}

}  // namespace tapeflow::kernels::cuda
