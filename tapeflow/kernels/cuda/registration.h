// The CUDA kernel families' registration functions (called once by tapeflow/init.cpp when the
// library is built with CUDA) and the helpers kernel families share.
#pragma once
#include <cuda_runtime.h>

#include "tapeflow/core/tensor.h"

namespace tapeflow::kernels::cuda {
void register_copy_kernels();       // Copy (strided), Cast, Fill, Range
void register_binary_kernels();     // arithmetic, comparisons, logic
void register_unary_kernels();      // unary math, activations, SelectV2, Where
void register_reduction_kernels();  // Sum/Mean/Max/Min/Prod/Any/All, ArgMax/ArgMin, Cumsum/Cumprod, TopKV2
void register_linalg_kernels();     // MatMul, BatchMatMulV2 (cuBLAS; integers: own kernel)
void register_softmax_kernels();    // Softmax, LogSoftmax, SoftmaxCrossEntropyWithLogits, SparseSoftmax...
void register_random_kernels();     // RandomStandardNormal, TruncatedNormal, RandomUniform(Int), Dropout
void register_array_kernels();      // ConcatV2, Tile, PadV2/MirrorPad, GatherV2, GatherNd, OneHot, StridedSliceGrad
void register_training_kernels();  // the fused optimizer updates: one launch per step

/// Copies src's elements into dst (same shape and dtype, any strides, same GPU) on `stream`.
void copy_into(const Tensor& src, const Tensor& dst, cudaStream_t stream);
}  // namespace tapeflow::kernels::cuda
