// The caching host allocator: size classes, reuse of freed blocks, statistics, empty_cache.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "tapeflow/core/allocator.h"
#include "tapeflow/core/cpu_allocator.h"
#include "tapeflow/core/errors.h"

namespace {

using tapeflow::cpu_allocator;
using tapeflow::internal::cpu_allocation_size;

TEST(CpuAllocator, SizeClassesRoundUpByAtMostAQuarter) {
  EXPECT_EQ(cpu_allocation_size(0), 64u);
  EXPECT_EQ(cpu_allocation_size(1), 64u);
  EXPECT_EQ(cpu_allocation_size(64), 64u);
  EXPECT_EQ(cpu_allocation_size(65), 128u);
  EXPECT_EQ(cpu_allocation_size(512), 512u);
  EXPECT_EQ(cpu_allocation_size(513), 640u);
  EXPECT_EQ(cpu_allocation_size(1024), 1024u);
  EXPECT_EQ(cpu_allocation_size(1025), 1280u);
  EXPECT_EQ(cpu_allocation_size(313600), 327680u);  // a 784x100 float32 kernel: 5 * 2^16
  for (std::size_t n = 1; n < (std::size_t(1) << 34); n = n * 3 / 2 + 7) {
    const std::size_t c = cpu_allocation_size(n);
    ASSERT_GE(c, n);
    ASSERT_EQ(c % 64, 0u) << n;
    if (n > 512) ASSERT_LE(c, n + n / 4) << n;
    ASSERT_EQ(cpu_allocation_size(c), c) << "a class size is its own class: " << n;
  }
}

TEST(CpuAllocator, FreedBlocksAreReusedAndCounted) {
  auto* a = cpu_allocator();
  a->empty_cache();
  const auto before = a->memory_info();
  EXPECT_EQ(before.cached, 0);
  void* first = nullptr;
  {
    auto block = a->allocate(300000);
    first = block.get();
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(first) % 64, 0u);
    EXPECT_EQ(block.nbytes(), cpu_allocation_size(300000));
    std::memset(first, 1, 300000);
    const auto during = a->memory_info();
    EXPECT_EQ(during.current - before.current, static_cast<int64_t>(cpu_allocation_size(300000)));
    EXPECT_EQ(during.live_buffers - before.live_buffers, 1);
  }
  const auto after = a->memory_info();
  EXPECT_EQ(after.current, before.current);
  EXPECT_EQ(after.live_buffers, before.live_buffers);
  EXPECT_EQ(after.cached, static_cast<int64_t>(cpu_allocation_size(300000)));
  {
    auto again = a->allocate(290000);  // the same class: the cached block comes back
    EXPECT_EQ(again.get(), first);
    EXPECT_EQ(a->memory_info().cached, 0);
  }
  a->empty_cache();
  EXPECT_EQ(a->memory_info().cached, 0);
}

/// The VmFlags line of the mapping of /proc/self/smaps that holds p ("" when none does).
std::string vm_flags_of(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto addr = reinterpret_cast<std::uintptr_t>(p);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-' && line.find(':') > line.find(' ')) {
      inside = lo <= addr && addr < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}
bool kernel_has_thp() { return std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled").good(); }

// Note [Huge pages for large host buffers]: 2 MiB and up, 2 MiB-aligned and advised MADV_HUGEPAGE
// ("hg" in smaps' VmFlags) unless switched off; smaller blocks are left alone.
TEST(CpuAllocator, LargeBlocksAreHugePageAlignedAndAdvised) {
  auto* a = cpu_allocator();
  const bool was = tapeflow::internal::cpu_huge_pages_enabled();
  for (bool on : {true, false}) {
    tapeflow::internal::set_cpu_huge_pages_enabled(on);
    a->empty_cache();  // cached blocks keep the advice they were mapped with
    for (std::size_t n : {std::size_t(2) << 20, std::size_t(5) << 20, std::size_t(128) << 20}) {
      auto block = a->allocate(n);
      ASSERT_NE(block.get(), nullptr);
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block.get()) % (std::size_t(2) << 20), 0u) << n;
      // Every byte of the class is usable: first, last, and across the last 2 MiB boundary.
      auto* bytes = static_cast<unsigned char*>(block.get());
      std::memset(bytes, 0xab, block.nbytes());
      EXPECT_EQ(bytes[0], 0xab);
      EXPECT_EQ(bytes[block.nbytes() - 1], 0xab);
      if (kernel_has_thp()) {
        const std::string flags = vm_flags_of(block.get());
        ASSERT_NE(flags, "") << "no mapping holds the block";
        EXPECT_EQ(flags.find(" hg") != std::string::npos, on) << n << ": " << flags;
      }
    }
    {
      auto small = a->allocate(std::size_t(3) << 19);  // 1.5 MiB, a class below 2 MiB: malloc's
      if (kernel_has_thp()) EXPECT_EQ(vm_flags_of(small.get()).find(" hg"), std::string::npos);
    }
  }
  a->empty_cache();
  EXPECT_EQ(a->memory_info().cached, 0);
  tapeflow::internal::set_cpu_huge_pages_enabled(was);
}

TEST(CpuAllocator, LargeBlocksAreCachedAndReturned) {
  auto* a = cpu_allocator();
  a->empty_cache();
  const auto before = a->memory_info();
  void* first = nullptr;
  {
    auto block = a->allocate(std::size_t(3) << 20);
    first = block.get();
    static_cast<char*>(first)[0] = 1;
  }
  EXPECT_EQ(a->memory_info().cached, static_cast<int64_t>(cpu_allocation_size(std::size_t(3) << 20)));
  {
    auto again = a->allocate((std::size_t(3) << 20) - 4096);  // the same class
    EXPECT_EQ(again.get(), first);
  }
  a->empty_cache();
  EXPECT_EQ(a->memory_info().cached, 0);
  EXPECT_EQ(a->memory_info().current, before.current);
}

TEST(CpuAllocator, ImpossibleSizeIsResourceExhausted) {
  EXPECT_THROW(cpu_allocator()->allocate(std::size_t(1) << 63), tapeflow::errors::ResourceExhaustedError);
}

}  // namespace
