// MaxPool, AvgPool, MaxPoolGrad and AvgPoolGrad on oneDNN (NHWC, float32 and bfloat16), for
// kernels/cpu/pooling.cpp. Each returns false when oneDNN does not run the call (see
// onednn_conv.h): the caller then runs its own kernel.
#pragma once
#include "tapeflow/core/dtype.h"
#include "tapeflow/core/ops/window.h"

namespace tapeflow::kernels::cpu {

/// y (N, OH, OW, C): the maximum of each window of x (N, H, W, C); padding never wins.
bool onednn_max_pool(const ops::Window2D& w, DType dt, const void* x, void* y);
/// y: the mean of each window over the elements inside the input (TF's SAME averaging).
bool onednn_avg_pool(const ops::Window2D& w, DType dt, const void* x, void* y);
/// dx (N, H, W, C): dy routed to the first maximum of each window of x, found again from x.
bool onednn_max_pool_grad(const ops::Window2D& w, DType dt, const void* x, const void* dy, void* dx);
/// dx: dy spread evenly over each window's elements inside the input.
bool onednn_avg_pool_grad(const ops::Window2D& w, DType dt, const void* dy, void* dx);

}  // namespace tapeflow::kernels::cpu
