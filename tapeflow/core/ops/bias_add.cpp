// tf.nn.bias_add and BiasAddGrad: argument checks with TF's messages and output specs.
#include "tapeflow/core/ops/bias_add.h"

#include "tapeflow/core/ops/window.h"

namespace tapeflow {
namespace ops {
OpDef BiasAdd{.name = "BiasAdd"}, BiasAddGrad{.name = "BiasAddGrad"};

void register_bias_add_ops() {
  for (OpDef* op : {&BiasAdd, &BiasAddGrad}) register_op(*op);
}

Tensor bias_add_grad(const Tensor& out_backprop) {
  const char* op = BiasAddGrad.name;
  TF_CHECK_ARG(is_numeric(out_backprop.dtype()), op, "out_backprop must be numeric, got ",
               dtype_name(out_backprop.dtype()));
  TF_CHECK_ARG(out_backprop.ndim() >= 2, op, "Input tensor must be at least 2D: ", out_backprop.shape().debug_string());
  return dispatch1(BiasAddGrad, std::span<const Tensor>(&out_backprop, 1), nullptr,
                   {Shape{out_backprop.shape().dim(-1)}, out_backprop.dtype()});
}
}  // namespace ops

namespace nn {
Tensor bias_add(const Tensor& value, const Tensor& bias) {
  using namespace ops;  // the shared checks
  const char* op = BiasAdd.name;
  TF_CHECK_ARG(is_numeric(value.dtype()), op, "value must be numeric, got ", dtype_name(value.dtype()));
  check_same_dtype(op, "bias", bias, value.dtype());
  TF_CHECK_ARG(value.ndim() >= 2, op, "Input tensor must be at least 2D: ", value.shape().debug_string());
  TF_CHECK_ARG(bias.ndim() == 1, op, "Biases must be 1D: ", bias.shape().debug_string());
  TF_CHECK_ARG(bias.shape()[0] == value.shape().dim(-1), op,
               "Must provide as many biases as the last dimension of the input tensor: ", bias.shape().debug_string(),
               " vs. ", value.shape().debug_string());
  const Tensor in[2] = {value, bias};
  return dispatch1(ops::BiasAdd, in, nullptr, {value.shape(), value.dtype()});
}
}  // namespace nn

}  // namespace tapeflow
