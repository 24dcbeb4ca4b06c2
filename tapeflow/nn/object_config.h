// K::ObjectConfig: what `get_config()` returns for Keras's small objects (initializers,
// regularizers, optimizers, losses): the Keras class name and its scalar fields, in Keras's
// order. nn/models/model_config.cpp turns it into Keras 3's JSON and back.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace tapeflow::keras {

/// One field's value: null (std::monostate: Python's None), bool, int, float or string.
using ConfigValue = std::variant<std::monostate, bool, int64_t, double, std::string>;

/// An optional<int64_t> (a seed) or optional<double> as a ConfigValue: null when absent.
template <typename T> ConfigValue config_value(const std::optional<T>& v) {
  if (!v) return std::monostate{};
  if constexpr (std::is_integral_v<T>)
    return static_cast<int64_t>(*v);
  else
    return static_cast<double>(*v);
}

struct ObjectConfig {
  /// Keras's class name ("GlorotUniform", "L2", "Adam"); empty when the object has no Keras
  /// equivalent (a lambda): such an object cannot be saved.
  std::string class_name;
  std::vector<std::pair<std::string, ConfigValue>> config;

  /// The field's value, or nullptr when absent.
  const ConfigValue* find(const std::string& key) const {
    for (const auto& [k, v] : config)
      if (k == key) return &v;
    return nullptr;
  }
};

}  // namespace tapeflow::keras
