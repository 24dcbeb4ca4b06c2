// MaxPool, AvgPool, MaxPoolGrad and AvgPoolGrad on oneDNN (NHWC, float32 and bfloat16), for
// kernels/cpu/pooling.cpp. Each returns false when oneDNN does not run the call (see
// onednn_conv.h): the caller then runs its own kernel.
#pragma once
#include "tapeflow/core/dtype.h"
#include "tapeflow/core/ops/window.h"
#include "tapeflow/core/tensor.h"

namespace tapeflow::kernels::cpu {

/// y (N, OH, OW, C): the maximum of each window of x (N, H, W, C); padding never wins.
bool onednn_max_pool(const ops::Window2D& w, DType dt, const void* x, void* y);
/// y: the mean of each window over the elements inside the input (TF's SAME averaging).
bool onednn_avg_pool(const ops::Window2D& w, DType dt, const void* x, void* y);
/// dx (N, H, W, C): dy routed to the first maximum of each window of x, found again from x.
bool onednn_max_pool_grad(const ops::Window2D& w, DType dt, const void* x, const void* dy, void* dx);
/// onednn_max_pool of contiguous x into y in oneDNN's training mode, keeping its workspace (the
/// argmax of each window, one byte per output for windows under 256 elements) for a later
/// onednn_max_pool_grad_remembered of the same x and y (Note [MaxPoolGrad from the forward's
/// workspace]).
bool onednn_max_pool_remembering(const ops::Window2D& w, const Tensor& x, const Tensor& y);
/// MaxPoolGrad from the workspace the forward of exactly these buffers kept (x and y: the same
/// storages, still alive, and offsets); false when there is none (the caller finds the maxima
/// again). The workspace routes dy as the forward's argmax, which is MaxPoolGrad's rule.
bool onednn_max_pool_grad_remembered(const ops::Window2D& w, const Tensor& x, const Tensor& y, const void* dy,
                                     void* dx);
/// dx: dy spread evenly over each window's elements inside the input.
bool onednn_avg_pool_grad(const ops::Window2D& w, DType dt, const void* dy, void* dx);

}  // namespace tapeflow::kernels::cpu
