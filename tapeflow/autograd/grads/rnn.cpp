// Gradient rule of _CudnnRNN (mirrors kernels/{cpu,cuda}/rnn): one _CudnnRNNGrad op gives dx,
// dh0, dc0, dkernel, drecurrent_kernel and dbias from the forward's reserve. _CudnnRNNGrad has no
// rule (TF has none for CudnnRNNBackpropV3): a second-order tape through it raises LookupError.
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/device.h"
#include "tapeflow/core/ops/rnn.h"

namespace tapeflow::autograd {
namespace {
// Outputs output, h, c, reserve; the reserve carries no gradient.
InputGrads cudnn_rnn_grad(const GradContext& c) {
  const auto& attrs = c.attr<ops::CudnnRNNAttrs>();
  // The reserve's layout is its device's (cuDNN's own on a GPU): the gradient runs there.
  DeviceScope on(c.output(3).device());
  TensorList g = ops::cudnn_rnn_grad(c.input(ops::kRnnX), c.input(ops::kRnnH0), c.input(ops::kRnnC0),
                                     c.input(ops::kRnnKernel), c.input(ops::kRnnRecurrent), c.input(ops::kRnnBias),
                                     c.input(ops::kRnnLengths), c.output(0), c.output(3), c.grad(0), c.grad(1),
                                     c.grad(2), attrs);
  const bool lstm = attrs.rnn_mode == ops::RnnMode::kLstm;
  return {g[0], g[1], lstm ? std::optional<Tensor>(g[2]) : std::nullopt, g[3], g[4], g[5], std::nullopt};
}
}  // namespace

void register_rnn_gradients() {
  // Reads every input, the output (cuDNN's backward takes it) and the reserve.
  register_gradient(ops::CudnnRNN, cudnn_rnn_grad, ReadsValues{~uint64_t{0}, 0b1001});
}

}  // namespace tapeflow::autograd
