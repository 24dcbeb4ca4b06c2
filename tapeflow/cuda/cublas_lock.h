// The lock of each GPU's cuBLAS handle. The handle (cuda_context.h) is shared by every host
// thread using the device, and so are its settings: a thread sets the math mode and queues its
// call under this lock, so another thread's setting cannot slip in between.
#pragma once
#include <mutex>

namespace tapeflow::cuda {

/// Held while configuring GPU `index`'s cuBLAS handle and queuing a call on it. Never held
/// while taking another library lock.
std::mutex& cublas_mutex(int index);

}  // namespace tapeflow::cuda
