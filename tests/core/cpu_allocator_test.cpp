// The caching host allocator: size classes, reuse of freed blocks, statistics, empty_cache.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "tapeflow/core/allocator.h"
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

TEST(CpuAllocator, ImpossibleSizeIsResourceExhausted) {
  EXPECT_THROW(cpu_allocator()->allocate(std::size_t(1) << 63), tapeflow::errors::ResourceExhaustedError);
}

}  // namespace
