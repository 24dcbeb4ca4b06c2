// Switches of the host allocator (cpu_allocator(), allocator.h) that tests and benchmarks flip.
#pragma once

namespace tapeflow::internal {
/// Whether blocks of 2 MiB or more that the host allocator maps from now on are advised
/// MADV_HUGEPAGE (Note [Huge pages for large host buffers], cpu_allocator.cpp). Initially on,
/// unless TAPEFLOW_CPU_HUGE_PAGES is "0" or "false" in the environment. Cached blocks keep the
/// advice they were mapped with (empty_cache() drops them).
void set_cpu_huge_pages_enabled(bool enabled) noexcept;
bool cpu_huge_pages_enabled() noexcept;
}  // namespace tapeflow::internal
