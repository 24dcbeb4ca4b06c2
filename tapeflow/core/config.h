// Process-wide switches with TF's names: tf::config::* and tf::debugging::*.
#pragma once
#include <atomic>
#include <string>
#include <vector>

#include "tapeflow/core/allocator.h"
#include "tapeflow/core/device_backend.h"

namespace tapeflow {
namespace config {
/// tf.config.list_physical_devices("GPU"); an empty type lists all.
std::vector<PhysicalDevice> list_physical_devices(const std::string& device_type = "");
/// When true (the default, as in TF2), an op placed on a device that does not exist (or that has
/// no kernel there) runs on CPU:0, logged when placement logging is on; when false it raises
/// InvalidArgumentError naming the devices that exist. A malformed device string always raises.
void set_soft_device_placement(bool enabled);
bool get_soft_device_placement();
/// TF32 tensor cores for float32 matmul and convolution on GPUs (default on, as in TF).
void enable_tensor_float_32_execution(bool enabled);
bool tensor_float_32_execution_enabled();
namespace experimental {
/// {"current": bytes, "peak": bytes} of the device's allocator.
MemoryInfo get_memory_info(const std::string& device);
void reset_memory_stats(const std::string& device);
}  // namespace experimental
}  // namespace config

namespace debugging {
/// Logs "Executing op MatMul in device /job:localhost/replica:0/task:0/device:GPU:0" (TF's full
/// device name) for every executed op (and implicit copies).
void set_log_device_placement(bool enabled);
bool get_log_device_placement();
}  // namespace debugging

namespace detail {
extern std::atomic<bool> g_log_device_placement;
extern std::atomic<bool> g_soft_device_placement;
extern std::atomic<bool> g_tf32_enabled;
}  // namespace detail
}  // namespace tapeflow
