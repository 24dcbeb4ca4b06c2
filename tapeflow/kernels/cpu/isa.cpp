// The switch between the AVX2 and the baseline bodies of the CPU kernels
// (Note [CPU kernels per instruction set], loops.h).
#include <atomic>
#include <cstdlib>
#include <string>

#include "tapeflow/kernels/cpu/loops.h"

namespace tapeflow::kernels::cpu {
namespace {
/// On unless TAPEFLOW_CPU_BASELINE is set to something other than "0".
bool enabled_by_environment() {
  const char* v = std::getenv("TAPEFLOW_CPU_BASELINE");
  return v == nullptr || std::string(v) == "0";
}
std::atomic<bool> g_avx2_enabled{enabled_by_environment()};
}  // namespace

void set_avx2_kernels_enabled(bool enabled) noexcept { g_avx2_enabled.store(enabled, std::memory_order_relaxed); }
bool avx2_kernels_enabled() noexcept { return g_avx2_enabled.load(std::memory_order_relaxed); }

}  // namespace tapeflow::kernels::cpu
