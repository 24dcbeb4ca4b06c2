#include "tapeflow/core/ops/copy.h"

#include "tapeflow/core/device_backend.h"

namespace tapeflow::ops {

OpDef CopyToDevice{.name = "_CopyToDevice", .placement = Placement::kDefault, .inputs_any_device = true};
OpDef Copy{.name = "Copy", .placement = Placement::kFirstInput};

namespace {
// Device copies only need the backend interface, so one kernel serves every device type.
void copy_to_device_kernel(KernelContext& ctx) {
  Tensor src = ctx.input(0).contiguous();  // runs on the source's device
  Tensor& dst = ctx.output(0);
  std::size_t nbytes = static_cast<std::size_t>(src.size()) * dtype_size(src.dtype());
  DeviceBackend* backend = device_backend(dst.device().is_gpu() ? DeviceType::kGPU : src.device().type());
  backend->copy(dst.raw_data(), dst.device(), src.raw_data(), src.device(), nbytes);
}
}  // namespace

void register_copy_ops() {
  register_op(CopyToDevice);
  register_op(Copy);
  register_kernel(CopyToDevice, DeviceType::kCPU, copy_to_device_kernel);
  register_kernel(CopyToDevice, DeviceType::kGPU, copy_to_device_kernel);
}

}  // namespace tapeflow::ops
