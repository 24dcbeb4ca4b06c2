// Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter on oneDNN (NHWC activations, HWIO
// filters, float32 and bfloat16), for kernels/cpu/conv.cpp. Each returns false when oneDNN does
// not run the call (a build without it, another dtype, an empty tensor, a configuration oneDNN
// has no implementation for, or oneDNN switched off): the caller then runs its own kernel.
#pragma once
#include "tapeflow/core/dtype.h"
#include "tapeflow/core/ops/window.h"

namespace tapeflow::kernels::cpu {

/// y (N, OH, OW, O) = conv2d(x (N, H, W, C), f (KH, KW, C, O)).
bool onednn_conv2d(const ops::Window2D& w, DType dt, const void* x, const void* f, void* y);
/// dx (N, H, W, C) from f (KH, KW, C, O) and dy (N, OH, OW, O).
bool onednn_conv2d_backprop_input(const ops::Window2D& w, DType dt, const void* f, const void* dy, void* dx);
/// df (KH, KW, C, O) from x (N, H, W, C) and dy (N, OH, OW, O).
bool onednn_conv2d_backprop_filter(const ops::Window2D& w, DType dt, const void* x, const void* dy, void* df);

}  // namespace tapeflow::kernels::cpu
