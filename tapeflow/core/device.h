// Device (CPU:0, GPU:0), its parsing from TF's spellings, and DeviceScope, the RAII form of
// `with tf.device("GPU:0"):` (thread-local, nestable; the innermost scope wins).
#pragma once
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace tapeflow {

enum class DeviceType : uint8_t { kCPU = 0, kGPU = 1 };
inline constexpr int kNumDeviceTypes = 2;

/// A device: a type and an index. Parses "CPU:0", "GPU:0", "/device:GPU:0", "gpu:0", "/GPU:0",
/// "/job:localhost/replica:0/task:0/device:CPU:0", "CPU" (index 0).
class Device {
 public:
  constexpr Device() = default;
  constexpr Device(DeviceType type, int index) : type_(type), index_(index) {}
  Device(std::string_view spec);  // NOLINT: implicit, so "GPU:0" works wherever a Device does
  Device(const char* spec) : Device(std::string_view(spec)) {}         // NOLINT
  Device(const std::string& spec) : Device(std::string_view(spec)) {}  // NOLINT

  constexpr DeviceType type() const noexcept { return type_; }
  constexpr int index() const noexcept { return index_; }
  constexpr bool is_cpu() const noexcept { return type_ == DeviceType::kCPU; }
  constexpr bool is_gpu() const noexcept { return type_ == DeviceType::kGPU; }
  /// "CPU:0"
  std::string str() const;
  /// "/job:localhost/replica:0/task:0/device:CPU:0", TF's full name.
  std::string full_name() const;

  friend constexpr bool operator==(Device a, Device b) { return a.type_ == b.type_ && a.index_ == b.index_; }
  friend constexpr bool operator!=(Device a, Device b) { return !(a == b); }

 private:
  DeviceType type_ = DeviceType::kCPU;
  int index_ = 0;
};

/// Prints TF's full name, as Python's `print(t.device)` does: `std::cout << t.device()` gives
/// "/job:localhost/replica:0/task:0/device:CPU:0" (`str()` is the short "CPU:0").
std::ostream& operator<<(std::ostream& os, Device d);
std::string_view device_type_name(DeviceType t) noexcept;

inline constexpr Device kCPU0{DeviceType::kCPU, 0};
inline constexpr Device kGPU0{DeviceType::kGPU, 0};

/// `with tf.device(...)`: while alive, ops created on this thread run on `device`.
class DeviceScope {
 public:
  explicit DeviceScope(Device device);
  DeviceScope(const char* spec) : DeviceScope(Device(spec)) {}  // NOLINT
  ~DeviceScope();
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  std::optional<Device> previous_;
};

/// The innermost DeviceScope's device on this thread, if any.
std::optional<Device> current_scope_device() noexcept;

}  // namespace tapeflow
