// Sliding-window geometry shared by the convolution and pooling ops (TF's
// GetWindowedOutputSize), the WindowArg of tf.nn's strides/ksize/dilations arguments, and the
// argument checks with TF's messages that the conv, pooling, bias-add and batch-norm ops share.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "tapeflow/core/dispatch.h"

namespace tapeflow::nn {
/// TF's strides, ksize and dilations arguments: one int for both spatial dims, two ints
/// (height, width), or four in NHWC order whose batch and channel entries must be 1.
class WindowArg {
 public:
  WindowArg(int v) : values_{v} {}                                          // NOLINT
  WindowArg(std::initializer_list<int> v) : values_(v.begin(), v.end()) {}  // NOLINT
  WindowArg(const std::vector<int>& v) : values_(v.begin(), v.end()) {}     // NOLINT
  const std::vector<int64_t>& values() const { return values_; }

 private:
  std::vector<int64_t> values_;
};
}  // namespace tapeflow::nn

namespace tapeflow::ops {
enum class Padding : uint8_t { kValid, kSame };

/// Where a 2-D window op's windows lie (TF's GetWindowedOutputSize): output (batch, out_h,
/// out_w, out_channels); window (i, j) of output pixel (oh, ow) reads input pixel
/// (oh * stride_h - pad_top + i * dilation_h, ow * stride_w - pad_left + j * dilation_w).
struct Window2D {
  int64_t batch = 0, in_h = 0, in_w = 0, channels = 0;
  int64_t k_h = 1, k_w = 1, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t out_h = 0, out_w = 0, out_channels = 0, pad_top = 0, pad_left = 0;
};

/// "SAME" or "VALID".
const char* padding_name(Padding p);
/// TF's padding attribute, checked: "SAME" or "VALID", else InvalidArgumentError from `op`.
Padding parse_padding(const char* op, const std::string& padding);
/// TF's GetWindowedOutputSize along one spatial dimension: (output size, padding before).
std::pair<int64_t, int64_t> window_dim(int64_t in, int64_t k, int64_t stride, int64_t dilation, Padding padding);
/// (height, width) of a strides/ksize/dilations argument, checked as TF checks it.
std::pair<int64_t, int64_t> spatial_arg(const char* op, const char* what, const nn::WindowArg& arg);

// Argument checks shared by the tf.nn layer ops, with TF's wording.
void check_floating(const char* op, const char* what, DType dt);
void check_same_dtype(const char* op, const char* what, const Tensor& t, DType want);
void check_rank4(const char* op, const char* what, const Shape& s);
/// Checks that a backprop op's out_backprop has the forward's output shape.
void check_out_backprop(const char* op, const Window2D& w, const Tensor& out_backprop);
/// Runs `window()` and renames an InvalidArgumentError it raises after `op`.
template <typename F> Window2D named_window(const char* op, F&& window) {
  try {
    return window();
  } catch (const errors::InvalidArgumentError& e) { throw errors::InvalidArgumentError(e.message(), op); }
}
}  // namespace tapeflow::ops
