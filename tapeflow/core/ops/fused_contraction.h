// Grappler's fused contractions: _FusedMatMul (MatMul + BiasAdd (+ Relu)) and _FusedConv2D
// (Conv2D + BiasAdd (+ Relu)), made by the graph remapper (graph/remapper.cpp), never by users.
// Kernels: kernels/cpu/fused_contraction and kernels/cuda/fused_contraction (cuBLASLt epilogues);
// gradients: autograd/grads/fused_contraction.cpp.
#pragma once
#include "tapeflow/core/ops/conv.h"
#include "tapeflow/core/ops/linalg.h"

namespace tapeflow::ops {
extern OpDef FusedMatMul, FusedConv2D;

/// The contraction's own attributes and the epilogue (TF's fused_ops: ["BiasAdd"] or
/// ["BiasAdd", "Relu"]).
struct FusedMatMulAttrs : OpAttrsBase<FusedMatMulAttrs> {
  MatMulAttrs matmul;
  bool relu = false;
  std::string to_string() const override;
};
struct FusedConv2DAttrs : OpAttrsBase<FusedConv2DAttrs> {
  Conv2DAttrs conv;
  bool relu = false;
  std::string to_string() const override;
};

/// relu?(matmul(a, b) + bias): a (M, K), b (K, N) (transposes as `matmul`), bias (N,); float32/64.
Tensor fused_matmul(const Tensor& a, const Tensor& b, const Tensor& bias, const MatMulAttrs& matmul, bool relu);
/// relu?(conv2d(input, filter) + bias): input (N, H, W, C), filter (KH, KW, C, O), bias (O,).
Tensor fused_conv2d(const Tensor& input, const Tensor& filter, const Tensor& bias, const Conv2DAttrs& conv, bool relu);
void register_fused_contraction_ops();
}  // namespace tapeflow::ops
