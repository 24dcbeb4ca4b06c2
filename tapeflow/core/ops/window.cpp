// Window geometry and the shared argument checks of the tf.nn layer ops (see window.h).
#include "tapeflow/core/ops/window.h"

#include <algorithm>

namespace tapeflow::ops {

const char* padding_name(Padding p) { return p == Padding::kSame ? "SAME" : "VALID"; }

Padding parse_padding(const char* op, const std::string& padding) {
  if (padding == "SAME") return Padding::kSame;
  TF_CHECK_ARG(padding == "VALID", op, "Value for attr 'padding' of \"", padding,
               "\" is not in the list of allowed values: \"SAME\", \"VALID\"");
  return Padding::kValid;
}

std::pair<int64_t, int64_t> window_dim(int64_t in, int64_t k, int64_t stride, int64_t dilation, Padding padding) {
  const int64_t effective = (k - 1) * dilation + 1;
  int64_t out = 0, pad_before = 0;
  if (padding == Padding::kValid) {
    out = (in - effective + stride) / stride;
    TF_CHECK_ARG(out >= 0, "", "Computed output size would be negative: ", out, " [input_size: ", in,
                 ", effective_filter_size: ", effective, ", stride: ", stride, "]");
  } else {
    out = (in + stride - 1) / stride;
    pad_before = std::max<int64_t>(0, (out - 1) * stride + effective - in) / 2;
  }
  return {out, pad_before};
}

std::pair<int64_t, int64_t> spatial_arg(const char* op, const char* what, const nn::WindowArg& arg) {
  const auto& v = arg.values();
  TF_CHECK_ARG(v.size() == 1 || v.size() == 2 || v.size() == 4, op, what, " should be of length 1, 2 or 4 but was ",
               v.size());
  if (v.size() == 4)
    TF_CHECK_ARG(v[0] == 1 && v[3] == 1, op, "Current implementation does not yet support ", what,
                 " in the batch and depth dimensions (", what, " = [", v[0], ", ", v[1], ", ", v[2], ", ", v[3], "])");
  const std::pair<int64_t, int64_t> hw = v.size() == 1   ? std::pair{v[0], v[0]}
                                         : v.size() == 2 ? std::pair{v[0], v[1]}
                                                         : std::pair{v[1], v[2]};
  TF_CHECK_ARG(hw.first > 0 && hw.second > 0, op, "Sliding window ", what, " must be positive, got [", hw.first, ", ",
               hw.second, "]");
  return hw;
}

void check_floating(const char* op, const char* what, DType dt) {
  TF_CHECK_ARG(is_floating(dt), op, what, " must be floating (float16, bfloat16, float32, float64), got ",
               dtype_name(dt), ": use tf::cast");
}
void check_same_dtype(const char* op, const char* what, const Tensor& t, DType want) {
  TF_CHECK_ARG(t.dtype() == want, op, what, " must be ", dtype_name(want), " like the input, got ",
               dtype_name(t.dtype()));
}
void check_rank4(const char* op, const char* what, const Shape& s) {
  TF_CHECK_ARG(s.rank() == 4, op, what, " must be 4-dimensional (N, H, W, C): ", s.debug_string());
}

void check_out_backprop(const char* op, const Window2D& w, const Tensor& out_backprop) {
  check_rank4(op, "out_backprop", out_backprop.shape());
  const Shape want{w.batch, w.out_h, w.out_w, w.out_channels};
  TF_CHECK_ARG(out_backprop.shape() == want, op, "out_backprop has shape ", out_backprop.shape().debug_string(),
               " but the convolution's output is ", want.debug_string());
}

}  // namespace tapeflow::ops
