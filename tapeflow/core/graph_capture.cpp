// The registry of graph-capture backends (core/graph_capture.h).
#include "tapeflow/core/graph_capture.h"

#include <array>
#include <atomic>

namespace tapeflow {
namespace {
std::array<std::atomic<GraphCaptureBackend*>, kNumDeviceTypes> g_backends{};
}  // namespace

GraphCaptureBackend* graph_capture_backend(DeviceType type) noexcept {
  return g_backends[static_cast<std::size_t>(type)].load(std::memory_order_acquire);
}

void register_graph_capture_backend(DeviceType type, GraphCaptureBackend* backend) {
  g_backends[static_cast<std::size_t>(type)].store(backend, std::memory_order_release);
}

}  // namespace tapeflow
