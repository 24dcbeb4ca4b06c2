#include "tapeflow/serialization/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace tapeflow::crc32c {

namespace {
// Slicing-by-8: table[k][b] is the CRC of byte b followed by k zero bytes, so eight bytes are
// folded per step with eight lookups (about 1.5 GB/s): the portable path.
constexpr uint32_t kPoly = 0x82f63b78u;  // reflected Castagnoli polynomial

constexpr std::array<std::array<uint32_t, 256>, 8> make_tables() {
  std::array<std::array<uint32_t, 256>, 8> t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1u) ? kPoly : 0u);
    t[0][b] = c;
  }
  for (int k = 1; k < 8; ++k)
    for (uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xffu];
  return t;
}
constexpr auto kTables = make_tables();
}  // namespace

uint32_t detail::extend_portable(uint32_t crc, const unsigned char* p, std::size_t n) noexcept {
  uint32_t c = ~crc;
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);  // little-endian hosts only (TF's checkpoints are little-endian too)
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^ kTables[5][(lo >> 16) & 0xff] ^ kTables[4][lo >> 24] ^
        kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff] ^ kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xff];
  return ~c;
}

namespace {
#if defined(__x86_64__)
// SSE4.2's crc32 instruction computes exactly this polynomial, 8 bytes per instruction. Its
// latency is 3 cycles and its throughput 1 per cycle, so three independent streams over three
// blocks run 3x faster than one; the blocks' CRCs are then joined with the linear operator
// "append kBlock zero bytes" (Note: the register update is linear, so reg(A||B) =
// zeros_|B|(reg(A)) ^ reg_from_0(B)). Restore checks every byte, so this sets its ceiling.
constexpr std::size_t kBlock = 8192;

__attribute__((target("sse4.2"))) uint32_t single_stream(uint32_t c32, const unsigned char* p, std::size_t n) noexcept {
  uint64_t c = c32;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
  }
  c32 = static_cast<uint32_t>(c);
  for (; n; --n) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}

// zeros_kBlock as four byte-indexed tables: op(x) = t[0][x & 0xff] ^ t[1][(x >> 8) & 0xff] ^ ...
struct ShiftTables {
  std::array<std::array<uint32_t, 256>, 4> t{};
  __attribute__((target("sse4.2"))) ShiftTables() {
    std::array<uint32_t, 32> basis{};
    static const unsigned char zeros[kBlock] = {};
    for (int bit = 0; bit < 32; ++bit) basis[bit] = single_stream(uint32_t{1} << bit, zeros, kBlock);
    for (int k = 0; k < 4; ++k)
      for (uint32_t b = 0; b < 256; ++b) {
        uint32_t v = 0;
        for (int i = 0; i < 8; ++i)
          if (b & (1u << i)) v ^= basis[8 * k + i];
        t[k][b] = v;
      }
  }
  uint32_t shift(uint32_t x) const {
    return t[0][x & 0xff] ^ t[1][(x >> 8) & 0xff] ^ t[2][(x >> 16) & 0xff] ^ t[3][x >> 24];
  }
};

__attribute__((target("sse4.2"))) uint32_t extend_sse42(uint32_t crc, const unsigned char* p, std::size_t n) noexcept {
  static const ShiftTables tables;
  uint32_t c = ~crc;
  for (; n >= 3 * kBlock; n -= 3 * kBlock, p += 3 * kBlock) {
    uint64_t c0 = c, c1 = 0, c2 = 0;
    for (std::size_t i = 0; i < kBlock; i += 8) {
      uint64_t a, b, d;
      std::memcpy(&a, p + i, 8);
      std::memcpy(&b, p + kBlock + i, 8);
      std::memcpy(&d, p + 2 * kBlock + i, 8);
      c0 = _mm_crc32_u64(c0, a);
      c1 = _mm_crc32_u64(c1, b);
      c2 = _mm_crc32_u64(c2, d);
    }
    c = tables.shift(tables.shift(static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c1)) ^ static_cast<uint32_t>(c2);
  }
  return ~single_stream(c, p, n);
}
const bool kHasSse42 = __builtin_cpu_supports("sse4.2");
#endif
}  // namespace

uint32_t extend(uint32_t crc, const void* data, std::size_t n) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
#if defined(__x86_64__)
  if (kHasSse42) return extend_sse42(crc, p, n);
#endif
  return detail::extend_portable(crc, p, n);
}

}  // namespace tapeflow::crc32c
