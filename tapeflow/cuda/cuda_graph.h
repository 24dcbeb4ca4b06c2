// CUDA graphs: core's GraphCaptureBackend (core/graph_capture.h) for GPUs, on the CUDA runtime's
// stream capture. Registered by register_cuda_backend().
#pragma once

namespace tapeflow::cuda {
/// Registers the GPU capture backend with core.
void register_cuda_graph_capture();
}  // namespace tapeflow::cuda
