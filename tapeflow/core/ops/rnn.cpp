// _CudnnRNN and _CudnnRNNGrad: their argument checks (with the shapes Keras's weights have) and
// output specs. The reserve's size depends on the device that runs the forward (cuDNN sizes its
// own), so the kernels allocate the outputs.
#include "tapeflow/core/ops/rnn.h"

#include "tapeflow/core/ops/window.h"

namespace tapeflow::ops {
OpDef CudnnRNN{.name = "_CudnnRNN", .kernel_allocates_outputs = true},
    CudnnRNNGrad{.name = "_CudnnRNNGrad", .kernel_allocates_outputs = true};

void register_rnn_ops() {
  for (OpDef* op : {&CudnnRNN, &CudnnRNNGrad}) register_op(*op);
}

int rnn_gates(RnnMode mode) { return mode == RnnMode::kLstm ? 4 : mode == RnnMode::kGru ? 3 : 1; }

const char* rnn_mode_name(RnnMode mode) {
  return mode == RnnMode::kLstm ? "lstm" : mode == RnnMode::kGru ? "gru" : "rnn_tanh";
}

std::string CudnnRNNAttrs::to_string() const {
  return detail::str_cat("rnn_mode=\"", rnn_mode_name(rnn_mode), "\", go_backwards=", go_backwards ? "true" : "false");
}

namespace {
/// The shapes both ops check: x (B, T, D) and every other input against it.
struct RnnDims {
  int64_t batch, steps, input, units;
};

RnnDims check_inputs(const char* op, const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& kernel,
                     const Tensor& recurrent_kernel, const Tensor& bias, const Tensor& lengths,
                     const CudnnRNNAttrs& attrs) {
  const DType dt = x.dtype();
  TF_CHECK_ARG(dt == DType::kFloat32 || dt == DType::kFloat64, op, "x must be float32 or float64, got ",
               dtype_name(dt));
  for (const auto& [t, what] : {std::pair{&h0, "h0"}, std::pair{&kernel, "kernel"},
                                std::pair{&recurrent_kernel, "recurrent_kernel"}, std::pair{&bias, "bias"}})
    check_same_dtype(op, what, *t, dt);
  TF_CHECK_ARG(x.ndim() == 3, op, "x must be 3-dimensional (batch, timesteps, features): ",
               x.shape().debug_string());
  const RnnDims d{x.shape()[0], x.shape()[1], x.shape()[2], h0.ndim() == 2 ? h0.shape()[1] : -1};
  TF_CHECK_ARG(h0.shape() == Shape({d.batch, d.units}) && d.units > 0, op, "h0 must be (batch, units) with batch ",
               d.batch, ", got ", h0.shape().debug_string());
  const int64_t n = rnn_gates(attrs.rnn_mode) * d.units;
  TF_CHECK_ARG(kernel.shape() == Shape({d.input, n}), op, "kernel must be (features, ", rnn_gates(attrs.rnn_mode),
               " * units) = ", Shape({d.input, n}).debug_string(), " for ", rnn_mode_name(attrs.rnn_mode), ", got ",
               kernel.shape().debug_string());
  TF_CHECK_ARG(recurrent_kernel.shape() == Shape({d.units, n}), op, "recurrent_kernel must be ",
               Shape({d.units, n}).debug_string(), ", got ", recurrent_kernel.shape().debug_string());
  const Shape bias_shape = attrs.rnn_mode == RnnMode::kGru ? Shape{2, n} : Shape{n};
  TF_CHECK_ARG(bias.shape() == bias_shape, op, "bias must be ", bias_shape.debug_string(),
               attrs.rnn_mode == RnnMode::kGru ? " (GRU with reset_after: input and recurrent bias)" : "", ", got ",
               bias.shape().debug_string());
  if (attrs.rnn_mode == RnnMode::kLstm) {
    check_same_dtype(op, "c0", c0, dt);
    TF_CHECK_ARG(c0.shape() == h0.shape(), op, "c0 must have h0's shape ", h0.shape().debug_string(), ", got ",
                 c0.shape().debug_string());
  } else {
    TF_CHECK_ARG(c0.size() == 0, op, "c0 is only an input of lstm, not of ", rnn_mode_name(attrs.rnn_mode));
  }
  // No sequence lengths is an empty (0,) int32 tensor.
  TF_CHECK_ARG(lengths.dtype() == DType::kInt32, op, "sequence_lengths must be int32, got ",
               dtype_name(lengths.dtype()));
  TF_CHECK_ARG(lengths.shape() == Shape({0}) || lengths.shape() == Shape({d.batch}), op,
               "sequence_lengths must be (batch,) = (", d.batch, ",), got ", lengths.shape().debug_string());
  return d;
}

Tensor empty_like_none(DType dt, Device device) { return Tensor::empty(Shape{0}, dt, device); }
}  // namespace

CudnnRNNOutputs cudnn_rnn(const Tensor& x, const Tensor& h0, const std::optional<Tensor>& c0, const Tensor& kernel,
                          const Tensor& recurrent_kernel, const Tensor& bias,
                          const std::optional<Tensor>& sequence_lengths, const CudnnRNNAttrs& attrs) {
  const char* op = CudnnRNN.name;
  TF_CHECK_ARG(c0.has_value() == (attrs.rnn_mode == RnnMode::kLstm), op,
               attrs.rnn_mode == RnnMode::kLstm ? "lstm needs c0" : "c0 is only an input of lstm");
  const Tensor c = c0 ? *c0 : empty_like_none(x.dtype(), x.device());
  const Tensor lengths = sequence_lengths ? *sequence_lengths : empty_like_none(DType::kInt32, x.device());
  const RnnDims d = check_inputs(op, x, h0, c, kernel, recurrent_kernel, bias, lengths, attrs);
  const Tensor in[7] = {x, h0, c, kernel, recurrent_kernel, bias, lengths};
  const Shape state{d.batch, d.units};
  const OutputSpec specs[4] = {{Shape{d.batch, d.steps, d.units}, x.dtype()},
                               {state, x.dtype()},
                               {attrs.rnn_mode == RnnMode::kLstm ? state : Shape{0}, x.dtype()},
                               {Shape{-1}, x.dtype()}};
  TensorList out = dispatch(CudnnRNN, in, &attrs, specs);
  return {out[0], out[1], out[2], out[3]};
}

TensorList cudnn_rnn_grad(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& kernel,
                          const Tensor& recurrent_kernel, const Tensor& bias, const Tensor& sequence_lengths,
                          const Tensor& output, const Tensor& reserve, const Tensor& output_backprop,
                          const Tensor& h_backprop, const Tensor& c_backprop, const CudnnRNNAttrs& attrs) {
  const char* op = CudnnRNNGrad.name;
  const RnnDims d = check_inputs(op, x, h0, c0, kernel, recurrent_kernel, bias, sequence_lengths, attrs);
  const Shape out_shape{d.batch, d.steps, d.units};
  for (const auto& [t, what, shape] :
       {std::tuple{&output, "output", out_shape}, std::tuple{&output_backprop, "output_backprop", out_shape},
        std::tuple{&h_backprop, "h_backprop", h0.shape()}, std::tuple{&c_backprop, "c_backprop", c0.shape()}}) {
    check_same_dtype(op, what, *t, x.dtype());
    TF_CHECK_ARG(t->shape() == shape, op, what, " must be ", shape.debug_string(), ", got ",
                 t->shape().debug_string());
  }
  check_same_dtype(op, "reserve", reserve, x.dtype());
  TF_CHECK_ARG(reserve.ndim() == 1, op, "reserve must be the forward's 1-dimensional reserve, got ",
               reserve.shape().debug_string());
  const Tensor in[12] = {x,       h0,      c0,     kernel,          recurrent_kernel, bias,
                         sequence_lengths, output, reserve, output_backprop, h_backprop, c_backprop};
  const OutputSpec specs[6] = {{x.shape(), x.dtype()},      {h0.shape(), x.dtype()},
                               {c0.shape(), x.dtype()},     {kernel.shape(), x.dtype()},
                               {recurrent_kernel.shape(), x.dtype()}, {bias.shape(), x.dtype()}};
  return dispatch(CudnnRNNGrad, in, &attrs, specs);
}

}  // namespace tapeflow::ops
