// The interface through which the graph layer records a device's queued work once and launches
// it again (CUDA graphs, Note [CUDA-graph replay] in graph/graph_replay.cpp). Core declares it;
// the CUDA layer implements it for GPUs and registers it from its init function, so the graph
// layer builds and runs without the CUDA toolkit (no backend: nothing is ever captured).
#pragma once
#include <memory>

#include "tapeflow/core/device.h"

namespace tapeflow {

/// Work recorded from a device's stream, launchable again. Destroying it returns the buffers
/// its recording allocated (its private pool) to the device's allocator.
class CapturedWork {
 public:
  virtual ~CapturedWork() = default;
  /// Queues the recorded work on the device's stream again (asynchronous, as the original ops).
  virtual void replay() = 0;
};

class GraphCaptureBackend {
 public:
  virtual ~GraphCaptureBackend() = default;
  /// Starts recording device `index`'s stream: ops queued from now on are recorded, not run, and
  /// this thread's allocations on the device come from a new private pool (blocks no other
  /// tensor gets while the recording lives). Throws (nothing recording) when it cannot start.
  virtual void begin(int index) = 0;
  /// Ends the recording begun on this thread: the launchable work, or nullptr when the recording
  /// was invalidated (an op synchronized with the host, or an error): the device error is
  /// cleared and the private pool released, so the device is usable at once.
  virtual std::unique_ptr<CapturedWork> end(int index) = 0;
};

/// The capture backend of a device type, or nullptr (CPU; GPU without CUDA).
GraphCaptureBackend* graph_capture_backend(DeviceType type) noexcept;
/// Registers it (called by the CUDA layer's init function).
void register_graph_capture_backend(DeviceType type, GraphCaptureBackend* backend);

}  // namespace tapeflow
