#include "tapeflow/cuda/event.h"

#include <utility>

#include "tapeflow/cuda/cuda_check.h"

namespace tapeflow::cuda {

Event::Event(Timing timing) {
  TF_CUDA_CHECK(
      cudaEventCreateWithFlags(&event_, timing == Timing::kEnabled ? cudaEventDefault : cudaEventDisableTiming));
}

Event::~Event() {
  if (event_) (void)cudaEventDestroy(event_);  // a destructor must not throw; nothing to recover
}

Event::Event(Event&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}

Event& Event::operator=(Event&& other) noexcept {
  if (this != &other) {
    if (event_) (void)cudaEventDestroy(event_);
    event_ = std::exchange(other.event_, nullptr);
  }
  return *this;
}

void Event::record(cudaStream_t stream) {
  TF_CHECK_TYPED(event_, FailedPreconditionError, "", "record() on an empty cuda::Event");
  TF_CUDA_CHECK(cudaEventRecord(event_, stream));
}

void Event::synchronize() const {
  if (event_) TF_CUDA_CHECK(cudaEventSynchronize(event_));
}

bool Event::query() const {
  if (!event_) return true;
  const cudaError_t st = cudaEventQuery(event_);
  if (st == cudaErrorNotReady) {
    (void)cudaGetLastError();
    return false;
  }
  TF_CUDA_CHECK(st);
  return true;
}

void Event::wait_on(cudaStream_t stream) const {
  if (event_) TF_CUDA_CHECK(cudaStreamWaitEvent(stream, event_, 0));
}

float Event::elapsed_ms_since(const Event& start) const {
  TF_CHECK_TYPED(event_ && start.event_, FailedPreconditionError, "", "elapsed_ms_since() needs two created events");
  float ms = 0;
  TF_CUDA_CHECK(cudaEventElapsedTime(&ms, start.event_, event_));
  return ms;
}

}  // namespace tapeflow::cuda
