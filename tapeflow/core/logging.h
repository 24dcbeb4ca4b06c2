// Thin logging front door over spdlog, so that only one translation unit pays for its headers.
#pragma once
#include <string>

namespace tapeflow::logging {
void info(const std::string& message);
void warning(const std::string& message);
/// Redirects log lines to a callback (tests capture placement logs); nullptr restores stderr.
using Sink = void (*)(const std::string& level, const std::string& message);
void set_sink(Sink sink);
}  // namespace tapeflow::logging
