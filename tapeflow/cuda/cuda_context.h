// The CUDA runtime layer's per-device state: discovery (a failing cudaGetDeviceCount, as on a
// machine without a driver, means zero devices), one stream per device, its cuBLAS handle and
// properties. Every op on a device is queued on that one stream (Note [One stream per device]).
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

namespace tapeflow::cuda {

// Note [One stream per device]
// Kernels, copies and the caching allocator all use the device's single stream, so stream
// order alone makes a freed block safe to hand to the next op (no events needed), and a host
// read only has to synchronize that stream.

/// Number of usable CUDA devices; 0 when the runtime or driver is missing. Never throws.
int device_count() noexcept;
/// Why device_count() is 0 ("cudaErrorNoDevice: no CUDA-capable device is detected"), or empty.
const std::string& discovery_error() noexcept;
/// Makes `index` the calling thread's current device (cheap when it already is).
void set_device(int index);
/// The device's stream, created (non-blocking) on first use.
cudaStream_t stream(int index);
/// The device's cuBLAS handle bound to its stream, created on first use.
cublasHandle_t cublas_handle(int index);
const cudaDeviceProp& properties(int index);
/// Waits for everything queued on the device's stream.
void synchronize(int index);

}  // namespace tapeflow::cuda
