// Streaming (non-temporal) stores for outputs far beyond the last-level cache: the size from
// which CPU kernels use them, a row written piece by piece, a streamed memcpy and the fence that
// ends them (Note [Streaming stores for large outputs]).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include <immintrin.h>
#define TF_CPU_STREAM 1
#else
#define TF_CPU_STREAM 0
#endif

#include "tapeflow/kernels/cpu/loops.h"

namespace tapeflow::kernels::cpu {

// Note [Streaming stores for large outputs]
// An output far beyond the last-level cache is not read back from cache by anyone: writing it
// with ordinary stores first reads every line from memory (write-allocate), a third stream beside
// the operands. Outputs of at least kStreamBytes are written with non-temporal stores instead, in
// 64-byte pieces: each piece computed into a local buffer by the same arithmetic as the ordinary
// path (the same values, bit for bit), then streamed (stream_generate); plain copies stream their
// bytes (stream_copy). Every thread ends its streamed stores with stream_fence() before its chunk
// of a parallel_for returns, so they are visible before the pool reports the chunk done.
// Measured standalone on an (8192, 4096) float32 x + b[j], one thread: 16.8–17.9 ms with ordinary
// stores, 13.6–14.5 ms streamed, a cast of the same bytes 12.3–13.4 ms (bench/RESULTS.md, session
// 12). Users: the binary ops, the softmax family and cross-entropies (pass 3 writes the output
// from a row of exp kept in cache), copies (transpose, concat, tile), pad, gather and
// unsorted_segment_sum.
inline constexpr int64_t kStreamBytes = int64_t{64} << 20;

/// True when an output of `bytes` is written with streaming stores on this build.
inline bool stream_output(int64_t bytes) { return TF_CPU_STREAM && bytes >= kStreamBytes; }

/// Makes this thread's streamed stores visible (ordered before its later stores).
TF_ALWAYS_INLINE void stream_fence() {
#if TF_CPU_STREAM
  _mm_sfence();
#endif
}

/// Stores the 64 bytes of `piece` (64-byte aligned) to dst (16-byte aligned) with streaming
/// stores. No fence.
TF_ALWAYS_INLINE void stream_piece(void* dst, const void* piece) {
#if TF_CPU_STREAM
  for (int q = 0; q < 4; ++q)
    _mm_stream_si128(static_cast<__m128i*>(dst) + q, _mm_load_si128(static_cast<const __m128i*>(piece) + q));
#else
  std::memcpy(dst, piece, 64);
#endif
}

/// Writes out[0, n) with streaming stores: piece(i, buf) fills buf with the 64 / sizeof(T)
/// elements from i on, one(i) returns out[i] for the few elements before the first 16-byte
/// boundary and after the last whole piece. T has 4 or 8 bytes; out is element-aligned. No fence.
template <typename T, typename Piece, typename One>
TF_ALWAYS_INLINE void stream_generate(T* __restrict out, int64_t n, Piece&& piece, One&& one) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8, "streamed elements have 4 or 8 bytes");
  int64_t i = 0;
#if TF_CPU_STREAM
  constexpr int64_t kPiece = 64 / static_cast<int64_t>(sizeof(T));
  for (; i < n && (reinterpret_cast<std::uintptr_t>(out + i) & 15) != 0; ++i) out[i] = one(i);
  alignas(64) T buf[kPiece];
  for (; i + kPiece <= n; i += kPiece) {
    piece(i, buf);
    stream_piece(out + i, buf);
  }
#endif
  for (; i < n; ++i) out[i] = one(i);
}

/// memcpy(dst, src, bytes) with dst's whole 64-byte lines written by streaming stores (the
/// partial lines at either end by memcpy). No fence.
inline void stream_copy(void* dst, const void* src, std::size_t bytes) {
#if TF_CPU_STREAM
  auto* d = static_cast<char*>(dst);
  const auto* s = static_cast<const char*>(src);
  const std::size_t head = std::min<std::size_t>(bytes, (64 - (reinterpret_cast<std::uintptr_t>(d) & 63)) & 63);
  std::memcpy(d, s, head);
  std::size_t i = head;
  for (; i + 64 <= bytes; i += 64) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)),
                  b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 16)),
                  c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 32)),
                  e = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 48));
    _mm_stream_si128(reinterpret_cast<__m128i*>(d + i), a);
    _mm_stream_si128(reinterpret_cast<__m128i*>(d + i + 16), b);
    _mm_stream_si128(reinterpret_cast<__m128i*>(d + i + 32), c);
    _mm_stream_si128(reinterpret_cast<__m128i*>(d + i + 48), e);
  }
  std::memcpy(d + i, s + i, bytes - i);
#else
  std::memcpy(dst, src, bytes);
#endif
}

/// stream_copy when `stream`, else memcpy.
TF_ALWAYS_INLINE void copy_bytes(void* dst, const void* src, std::size_t bytes, bool stream) {
  if (stream)
    stream_copy(dst, src, bytes);
  else
    std::memcpy(dst, src, bytes);
}

}  // namespace tapeflow::kernels::cpu
