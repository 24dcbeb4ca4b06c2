// A CUDA event as a RAII value: recorded on a stream, then waited on or timed against another
// event. The pinned staging buffers of host<->device copies use it to know when a buffer is free
// again; benchmarks use it to time work on the device's stream without host synchronization
// per launch.
#pragma once
#include <cuda_runtime.h>

namespace tapeflow::cuda {

class Event {
 public:
  enum class Timing : bool { kDisabled = false, kEnabled = true };
  /// An empty event (no CUDA event until create()); cheap, so arrays of events can be built early.
  Event() noexcept = default;
  /// Creates the event on the current device. kDisabled is cheaper to record and wait on.
  explicit Event(Timing timing);
  ~Event();
  Event(Event&& other) noexcept;
  Event& operator=(Event&& other) noexcept;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  bool valid() const noexcept { return event_ != nullptr; }
  /// Marks the point on `stream` after everything queued so far.
  void record(cudaStream_t stream);
  /// Blocks the host until the recorded work is done (at once if never recorded).
  void synchronize() const;
  /// True when the recorded work is done; never blocks.
  bool query() const;
  /// Makes `stream` wait (on the device) for the recorded work.
  void wait_on(cudaStream_t stream) const;
  /// Milliseconds from `start` to this event (both recorded with timing, this one done).
  float elapsed_ms_since(const Event& start) const;
  cudaEvent_t get() const noexcept { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

}  // namespace tapeflow::cuda
