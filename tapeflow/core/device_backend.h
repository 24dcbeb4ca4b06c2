// The interface through which core talks to a device type (c10's DeviceGuardImplInterface).
// CPU's backend is built in; cuda/ implements GPU's and registers it from its init function,
// so core compiles and runs without the CUDA toolkit.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "tapeflow/core/allocator.h"
#include "tapeflow/core/device.h"

namespace tapeflow {

/// One physical device as tf.config.list_physical_devices describes it.
struct PhysicalDevice {
  std::string name;                            // "/physical_device:GPU:0"
  std::string device_type;                     // "GPU"
  std::map<std::string, std::string> details;  // device_name, compute_capability, memory_bytes
};

class DeviceBackend {
 public:
  virtual ~DeviceBackend() = default;
  virtual DeviceType type() const = 0;
  virtual int device_count() const = 0;
  virtual std::vector<PhysicalDevice> physical_devices() const = 0;
  virtual Allocator* allocator(int index) = 0;
  /// Copies nbytes between two buffers, at least one of them on this backend's devices.
  /// Ordered on the device's stream; a copy into host memory returns once the data is there.
  virtual void copy(void* dst, Device dst_device, const void* src, Device src_device, std::size_t nbytes) = 0;
  /// Waits until all work queued on the device is done.
  virtual void synchronize(int index) = 0;
  /// The device's current stream (cudaStream_t for GPUs; nullptr for CPU).
  virtual void* stream(int index) = 0;
};

/// The backend of a device type, or nullptr if none is registered (GPU without CUDA).
DeviceBackend* device_backend(DeviceType type) noexcept;
/// Registers the backend for its type (called by the CUDA layer's init function).
void register_device_backend(DeviceBackend* backend);
/// True when the device exists (type registered and index < device_count()).
bool device_exists(Device device) noexcept;
/// "CPU:0, GPU:0" — the devices that exist, for error messages.
std::string list_existing_devices();

}  // namespace tapeflow
