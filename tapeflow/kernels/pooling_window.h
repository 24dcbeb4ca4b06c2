// The pixels a pooling window covers, written once for the CPU and CUDA pooling kernels
// (__host__ __device__): output pixel (oh, ow)'s window clipped to the input.
#pragma once
#include <cstdint>

#include "tapeflow/core/ops/window.h"
#include "tapeflow/util/half.h"

namespace tapeflow::kernels {

/// The input rows [h0, h1) and columns [w0, w1) of an output pixel's window, clipped to the input.
struct Span2D {
  int64_t h0, h1, w0, w1;
  TF_HOST_DEVICE int64_t count() const { return (h1 - h0) * (w1 - w0); }
};

/// The window of output pixel (oh, ow) (ops::Window2D's geometry), clipped to the input.
TF_HOST_DEVICE inline Span2D window_span(const ops::Window2D& w, int64_t oh, int64_t ow) {
  const int64_t h = oh * w.stride_h - w.pad_top, x = ow * w.stride_w - w.pad_left;
  const int64_t h1 = h + w.k_h < w.in_h ? h + w.k_h : w.in_h, w1 = x + w.k_w < w.in_w ? x + w.k_w : w.in_w;
  return {h > 0 ? h : 0, h1, x > 0 ? x : 0, w1};
}

}  // namespace tapeflow::kernels
