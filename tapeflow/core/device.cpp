#include "tapeflow/core/device.h"

#include <cctype>
#include <charconv>

#include "tapeflow/core/errors.h"

namespace tapeflow {
namespace {
thread_local std::optional<Device> t_scope_device;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}
}  // namespace

Device::Device(std::string_view spec) {
  std::string_view s = spec;
  // Keep only the last "/"-separated component that names a device: ".../device:GPU:0" or "/GPU:0".
  auto slash = s.rfind('/');
  if (slash != std::string_view::npos) s = s.substr(slash + 1);
  if (s.size() >= 7 && iequals(s.substr(0, 7), "device:")) s = s.substr(7);
  auto colon = s.find(':');
  std::string_view type = s.substr(0, colon);
  int index = 0;
  if (colon != std::string_view::npos) {
    std::string_view idx = s.substr(colon + 1);
    auto [p, ec] = std::from_chars(idx.data(), idx.data() + idx.size(), index);
    if (ec != std::errc() || p != idx.data() + idx.size() || idx.empty() || index < 0)
      TF_THROW(InvalidArgumentError, "", "Could not parse device specification '", spec,
               "': the index after ':' must be a non-negative integer, as in 'GPU:0'");
  }
  if (iequals(type, "CPU")) {
    type_ = DeviceType::kCPU;
  } else if (iequals(type, "GPU")) {
    type_ = DeviceType::kGPU;
  } else {
    TF_THROW(InvalidArgumentError, "", "Could not parse device specification '", spec,
             "': expected CPU:<n> or GPU:<n> (also /device:GPU:0, gpu:0)");
  }
  index_ = index;
}

std::string_view device_type_name(DeviceType t) noexcept { return t == DeviceType::kCPU ? "CPU" : "GPU"; }

std::string Device::str() const { return std::string(device_type_name(type_)) + ":" + std::to_string(index_); }
std::string Device::full_name() const { return "/job:localhost/replica:0/task:0/device:" + str(); }
std::ostream& operator<<(std::ostream& os, Device d) { return os << d.full_name(); }

DeviceScope::DeviceScope(Device device) : previous_(t_scope_device) { t_scope_device = device; }
DeviceScope::~DeviceScope() { t_scope_device = previous_; }
std::optional<Device> current_scope_device() noexcept { return t_scope_device; }

}  // namespace tapeflow
