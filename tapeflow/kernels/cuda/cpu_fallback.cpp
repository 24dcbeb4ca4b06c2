#include "tapeflow/kernels/cuda/cpu_fallback.h"

#include <atomic>
#include <mutex>
#include <set>
#include <string_view>

#include "tapeflow/core/logging.h"

namespace tapeflow::kernels::cuda {
namespace {
std::atomic<int64_t> g_fallbacks{0};
}  // namespace

void run_cpu_kernel(KernelContext& ctx) {
  const KernelFn cpu = ctx.op.kernels[static_cast<int>(DeviceType::kCPU)];
  TF_CHECK_TYPED(cpu != nullptr, UnimplementedError, ctx.op.name, ctx.op.name,
                 " has neither a GPU implementation for these arguments nor a CPU kernel");
  TensorList host_inputs;
  for (const Tensor& t : ctx.inputs) host_inputs.push_back(t.to(kCPU0));  // waits for the device
  TensorList host_outputs;
  if (!ctx.op.kernel_allocates_outputs)
    for (const OutputSpec& s : ctx.specs) host_outputs.push_back(Tensor::empty(s.shape, s.dtype, kCPU0));
  KernelContext host{ctx.op,       std::span<const Tensor>(host_inputs.data(), host_inputs.size()),
                     ctx.attrs,    ctx.specs,
                     host_outputs, kCPU0,
                     nullptr};
  cpu(host);
  ctx.outputs.clear();
  for (const Tensor& t : host_outputs) ctx.outputs.push_back(t.to(ctx.device));
}

void note_cpu_fallback(const KernelContext& ctx, const std::string& why) {
  g_fallbacks.fetch_add(1, std::memory_order_relaxed);
  static std::mutex mu;
  static std::set<std::string_view> warned;
  std::lock_guard<std::mutex> lock(mu);
  if (warned.insert(ctx.op.name).second)
    logging::warning(std::string(ctx.op.name) + " on " + ctx.device.str() + " runs its CPU kernel: " + why);
}

int64_t cpu_fallback_count() noexcept { return g_fallbacks.load(std::memory_order_relaxed); }

bool built_with_cudnn() noexcept { return TAPEFLOW_HAS_CUDNN != 0; }

}  // namespace tapeflow::kernels::cuda
