// The cuDNN handle of each GPU: created on first use, bound to the device's one stream (Note
// [One stream per device]) so cuDNN work is ordered with every other op, and destroyed at
// process exit. Only compiled into builds with cuDNN (TAPEFLOW_HAS_CUDNN).
#pragma once
#include <cudnn.h>

#include <cstddef>
#include <mutex>

namespace tapeflow::cuda {

/// The handle of GPU `index`; makes that device current. Thread-safe.
cudnnHandle_t cudnn_handle(int index);
/// Held while a host thread uses GPU `index`'s handle: cuDNN forbids using one handle from
/// several threads at once. Never held while waiting for another library lock.
std::mutex& cudnn_mutex(int index);
/// cuDNN's version at run time (e.g. 91400 for 9.14.0), which may differ from the headers'.
std::size_t cudnn_runtime_version() noexcept;

}  // namespace tapeflow::cuda
