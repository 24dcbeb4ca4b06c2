// _FusedMatMul and _FusedConv2D: argument checks (the remapper only fuses valid graphs, but an op
// through the door checks its inputs all the same) and output specs.
#include "tapeflow/core/ops/fused_contraction.h"

#include "tapeflow/core/ops/window.h"

namespace tapeflow::ops {
OpDef FusedMatMul{.name = "_FusedMatMul"}, FusedConv2D{.name = "_FusedConv2D"};

void register_fused_contraction_ops() {
  for (OpDef* op : {&FusedMatMul, &FusedConv2D}) register_op(*op);
}

namespace {
const char* fused_ops_text(bool relu) { return relu ? "fused_ops=[BiasAdd, Relu]" : "fused_ops=[BiasAdd]"; }

void check_bias(const char* op, const Tensor& x, const Tensor& bias, int64_t channels) {
  TF_CHECK_ARG(x.dtype() == DType::kFloat32 || x.dtype() == DType::kFloat64, op, op,
               " is defined for float32 and float64, got ", dtype_name(x.dtype()));
  check_same_dtype(op, "bias", bias, x.dtype());
  TF_CHECK_ARG(bias.ndim() == 1 && (channels < 0 || bias.shape()[0] == channels), op,
               "Must provide as many biases as the last dimension of the output: ", bias.shape().debug_string(),
               " vs. ", channels);
}
}  // namespace

std::string FusedMatMulAttrs::to_string() const { return matmul.to_string() + ", " + fused_ops_text(relu); }
std::string FusedConv2DAttrs::to_string() const { return conv.to_string() + ", " + fused_ops_text(relu); }

Tensor fused_matmul(const Tensor& a, const Tensor& b, const Tensor& bias, const MatMulAttrs& matmul, bool relu) {
  const char* op = FusedMatMul.name;
  TF_CHECK_ARG(a.ndim() == 2 && b.ndim() == 2, op, "In[0] and In[1] must be matrices: ", a.shape().debug_string(), ", ",
               b.shape().debug_string());
  check_same_dtype(op, "b", b, a.dtype());
  const int64_t m = matmul.transpose_a ? a.shape()[1] : a.shape()[0];
  const int64_t ka = matmul.transpose_a ? a.shape()[0] : a.shape()[1];
  const int64_t kb = matmul.transpose_b ? b.shape()[1] : b.shape()[0];
  const int64_t n = matmul.transpose_b ? b.shape()[0] : b.shape()[1];
  TF_CHECK_ARG(ka == kb || ka < 0 || kb < 0, op, "Matrix size-incompatible: In[0]: ", a.shape().debug_string(),
               ", In[1]: ", b.shape().debug_string());
  check_bias(op, a, bias, n);
  FusedMatMulAttrs attrs;
  attrs.matmul = matmul;
  attrs.relu = relu;
  const Tensor in[3] = {a, b, bias};
  return dispatch1(FusedMatMul, in, &attrs, {Shape{m, n}, a.dtype()});
}

Tensor fused_conv2d(const Tensor& input, const Tensor& filter, const Tensor& bias, const Conv2DAttrs& conv, bool relu) {
  const char* op = FusedConv2D.name;
  TF_CHECK_ARG(input.ndim() == 4 && filter.ndim() == 4, op,
               "input (N, H, W, C) and filter (KH, KW, C, O) must be 4-D: ", input.shape().debug_string(), ", ",
               filter.shape().debug_string());
  check_same_dtype(op, "filter", filter, input.dtype());
  TF_CHECK_ARG(input.shape()[3] == filter.shape()[2], op, "input depth must equal filter depth: ", input.shape()[3],
               " vs ", filter.shape()[2]);
  check_bias(op, input, bias, filter.shape()[3]);
  const Window2D w = conv2d_window(input.shape(), filter.shape(), conv);
  FusedConv2DAttrs attrs;
  attrs.conv = conv;
  attrs.relu = relu;
  const Tensor in[3] = {input, filter, bias};
  return dispatch1(FusedConv2D, in, &attrs, {Shape{w.batch, w.out_h, w.out_w, w.out_channels}, input.dtype()});
}

}  // namespace tapeflow::ops
