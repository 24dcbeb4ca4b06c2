// The CUDA kernel families' registration functions (called once by tapeflow/init.cpp when the
// library is built with CUDA) and the helpers kernel families share.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "tapeflow/core/tensor.h"

namespace tapeflow::kernels::cuda {
void register_copy_kernels();        // Copy (strided)
void register_cast_kernels();        // Cast
void register_creation_kernels();    // Fill, Range
void register_binary_kernels();      // arithmetic, comparisons, logic
void register_unary_kernels();       // unary math, activations, SelectV2, Where
void register_reduction_kernels();   // Sum/Mean/Max/Min/Prod/Any/All, ArgMax/ArgMin, Cumsum/Cumprod, TopKV2
void register_linalg_kernels();      // MatMul, BatchMatMulV2 (cuBLAS; integers: own kernel)
void register_softmax_kernels();     // Softmax, LogSoftmax, SoftmaxCrossEntropyWithLogits, SparseSoftmax...
void register_random_kernels();      // RandomStandardNormal, TruncatedNormal, RandomUniform(Int), Dropout
void register_array_kernels();       // ConcatV2, Tile, PadV2/MirrorPad, GatherV2, GatherNd, OneHot, StridedSliceGrad
void register_conv_kernels();        // Conv2D, Conv2DBackpropInput/Filter (cuDNN)
void register_pooling_kernels();     // MaxPool, AvgPool and their gradients (own kernels)
void register_batch_norm_kernels();  // FusedBatchNormV3, FusedBatchNormGradV3 (cuDNN)
void register_bias_add_kernels();    // BiasAdd, BiasAddGrad
void register_training_kernels();    // the fused optimizer updates: one launch per step
void register_fused_elementwise_kernels();  // _FusedElementwise (the graph's elementwise fusion)
void register_fused_contraction_kernels();  // _FusedMatMul (cuBLASLt epilogues), _FusedConv2D
void register_rnn_kernels();                // _CudnnRNN, _CudnnRNNGrad (cuDNN)

/// Copies src's elements into dst (same shape and dtype, any strides, same GPU) on `stream`.
void copy_into(const Tensor& src, const Tensor& dst, cudaStream_t stream);

/// src itself when contiguous and 16-byte aligned (as cuDNN's vectorized algorithms need; a
/// view's offset may break it), else a fresh contiguous copy on src's GPU.
inline Tensor contiguous_aligned(const Tensor& src, cudaStream_t stream) {
  if (src.is_contiguous() && (reinterpret_cast<uintptr_t>(src.raw_data()) & 15u) == 0) return src;
  Tensor out = Tensor::empty(src.shape(), src.dtype(), src.device());
  copy_into(src, out, stream);
  return out;
}
}  // namespace tapeflow::kernels::cuda
