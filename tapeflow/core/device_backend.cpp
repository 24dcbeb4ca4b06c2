#include "tapeflow/core/device_backend.h"

#include <cstring>

#include "tapeflow/core/config.h"
#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/errors.h"

namespace tapeflow {
namespace {

class CpuBackend final : public DeviceBackend {
 public:
  DeviceType type() const override { return DeviceType::kCPU; }
  int device_count() const override { return 1; }
  std::vector<PhysicalDevice> physical_devices() const override {
    return {PhysicalDevice{"/physical_device:CPU:0", "CPU", {}}};
  }
  Allocator* allocator(int) override { return cpu_allocator(); }
  void copy(void* dst, Device, const void* src, Device, std::size_t nbytes) override {
    if (nbytes) std::memcpy(dst, src, nbytes);
  }
  void synchronize(int) override {}
  void* stream(int) override { return nullptr; }
};

DeviceBackend* g_backends[kNumDeviceTypes] = {nullptr, nullptr};

}  // namespace

DeviceBackend* device_backend(DeviceType type) noexcept {
  if (type == DeviceType::kCPU) {
    static CpuBackend cpu;
    return &cpu;
  }
  // Other backends register at library start-up (the CUDA layer's init function): asking for
  // one starts the library first, so that list_physical_devices, device_exists and the memory
  // queries see the GPU before any op ran.
  try {
    ensure_initialized();
  } catch (...) {
    // A failed registration is raised again by the op that needs it; here the answer is
    // only that no backend is registered yet.
  }
  return g_backends[static_cast<int>(type)];
}

void register_device_backend(DeviceBackend* backend) { g_backends[static_cast<int>(backend->type())] = backend; }

bool device_exists(Device device) noexcept {
  DeviceBackend* b = device_backend(device.type());
  return b && device.index() >= 0 && device.index() < b->device_count();
}

std::string list_existing_devices() {
  std::string s;
  for (int t = 0; t < kNumDeviceTypes; ++t) {
    DeviceBackend* b = device_backend(static_cast<DeviceType>(t));
    if (!b) continue;
    for (int i = 0; i < b->device_count(); ++i) {
      if (!s.empty()) s += ", ";
      s += Device(static_cast<DeviceType>(t), i).str();
    }
  }
  return s;
}

namespace detail {
std::atomic<bool> g_log_device_placement{false};
std::atomic<bool> g_soft_device_placement{true};  // TF2's default (tf.config.get_soft_device_placement())
std::atomic<bool> g_tf32_enabled{true};
}  // namespace detail

namespace config {
std::vector<PhysicalDevice> list_physical_devices(const std::string& device_type) {
  std::vector<PhysicalDevice> out;
  for (int t = 0; t < kNumDeviceTypes; ++t) {
    auto type = static_cast<DeviceType>(t);
    if (!device_type.empty() && device_type != device_type_name(type)) continue;
    if (DeviceBackend* b = device_backend(type)) {
      auto devs = b->physical_devices();
      out.insert(out.end(), devs.begin(), devs.end());
    }
  }
  return out;
}
void set_soft_device_placement(bool enabled) { detail::g_soft_device_placement = enabled; }
bool get_soft_device_placement() { return detail::g_soft_device_placement; }
void enable_tensor_float_32_execution(bool enabled) { detail::g_tf32_enabled = enabled; }
bool tensor_float_32_execution_enabled() { return detail::g_tf32_enabled; }
namespace experimental {
static Allocator* allocator_for(const std::string& spec) {
  Device d(spec);
  TF_CHECK_ARG(device_exists(d), "", "get_memory_info: device ", d.str(),
               " does not exist; existing devices: ", list_existing_devices());
  return device_backend(d.type())->allocator(d.index());
}
MemoryInfo get_memory_info(const std::string& device) { return allocator_for(device)->memory_info(); }
void reset_memory_stats(const std::string& device) { allocator_for(device)->reset_peak(); }
}  // namespace experimental
}  // namespace config

namespace debugging {
void set_log_device_placement(bool enabled) { detail::g_log_device_placement = enabled; }
bool get_log_device_placement() { return detail::g_log_device_placement; }
}  // namespace debugging

}  // namespace tapeflow
