#include "tapeflow/core/logging.h"

#include <atomic>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace tapeflow::logging {
namespace {
std::atomic<Sink> g_sink{nullptr};

spdlog::logger& logger() {
  // TF logs to stderr; so do we. Pattern mirrors TF's "I tensorflow/..." prefix loosely.
  static std::shared_ptr<spdlog::logger> l = [] {
    auto lg = std::make_shared<spdlog::logger>("tapeflow", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    lg->set_pattern("%L tapeflow %v");
    return lg;
  }();
  return *l;
}
}  // namespace

void info(const std::string& message) {
  if (Sink s = g_sink.load()) return s("info", message);
  logger().info(message);
}
void warning(const std::string& message) {
  if (Sink s = g_sink.load()) return s("warning", message);
  logger().warn(message);
}
void set_sink(Sink sink) { g_sink.store(sink); }
}  // namespace tapeflow::logging
