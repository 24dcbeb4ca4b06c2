// CRC32C (Castagnoli), as leveldb and TensorFlow checksum checkpoint blocks and tensors, and
// the masking they store it under. leveldb keeps its own crc32c internal, so this is ours.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tapeflow::crc32c {

/// The CRC32C of `data` continuing from `crc` (0 to start): Extend(Extend(0, a), b) == Value(ab).
uint32_t extend(uint32_t crc, const void* data, std::size_t n) noexcept;
inline uint32_t value(const void* data, std::size_t n) noexcept { return extend(0, data, n); }
inline uint32_t value(std::string_view s) noexcept { return extend(0, s.data(), s.size()); }

namespace detail {
/// The table-driven path (what extend uses without SSE4.2), exposed for its test.
uint32_t extend_portable(uint32_t crc, const unsigned char* p, std::size_t n) noexcept;
}  // namespace detail

// A CRC stored next to the data it covers is masked, so that the CRC of a string holding CRCs
// is not degenerate (leveldb's and TF's rule).
inline constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t mask(uint32_t crc) noexcept { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t unmask(uint32_t masked) noexcept {
  const uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace tapeflow::crc32c
