// The GPU device backend: core's DeviceBackend implemented with the CUDA runtime. Registered
// explicitly by register_cuda_backend() (called from tapeflow/init.cpp), never from a static
// object, so static linking loses nothing.
#pragma once

namespace tapeflow::cuda {
/// Registers the GPU backend with core. With no usable CUDA device (no driver, no GPU) it
/// reports zero devices and every op runs on CPU:0.
void register_cuda_backend();
}  // namespace tapeflow::cuda
