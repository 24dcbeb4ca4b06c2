// Copies: between devices (Tensor::to) and into contiguous layout (Tensor::contiguous).
#pragma once
#include "tapeflow/core/dispatch.h"

namespace tapeflow::ops {
extern OpDef CopyToDevice;  // "_CopyToDevice": input on any device, output on the target device
extern OpDef Copy;          // "Copy": contiguous copy on the input's device (strided gather)
void register_copy_ops();
}  // namespace tapeflow::ops
