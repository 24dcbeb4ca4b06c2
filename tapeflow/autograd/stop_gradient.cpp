// tf.stop_gradient: TF's StopGradient op, an identity view registered as not differentiable, so
// it shows on the tape (and in traced graphs) but passes no gradient back.
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/tape.h"

namespace tapeflow {
namespace autograd {
OpDef StopGradient{.name = "StopGradient", .placement = Placement::kFirstInput, .kernel_allocates_outputs = true};

namespace {
void stop_gradient_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  ctx.outputs.push_back(
      tapeflow::detail::make_view(x.storage(), x.shape(), x.strides(), x.offset(), x.dtype(), x.device()));
}
}  // namespace

void register_stop_gradient() {
  register_op(StopGradient);
  for (DeviceType d : {DeviceType::kCPU, DeviceType::kGPU}) register_kernel(StopGradient, d, stop_gradient_kernel);
  register_not_differentiable(StopGradient);
}
}  // namespace autograd

Tensor stop_gradient(const Tensor& x) {
  return dispatch1(autograd::StopGradient, std::span<const Tensor>(&x, 1), nullptr, {x.shape(), x.dtype()});
}

}  // namespace tapeflow
