// CPU kernel of Copy (making a strided view contiguous) and copy_into, the strided copy other
// kernels write views with. Permuting copies (a transpose made contiguous) run in cache-blocked
// tiles (Note [Tiled transpose]); every other layout walks rows of the merged iteration space.
#include <algorithm>
#include <cstring>
#include <string>

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include <immintrin.h>
#define TF_COPY_X86 1
#else
#define TF_COPY_X86 0
#endif

#include "tapeflow/core/ops/copy.h"
#include "tapeflow/kernels/cpu/loops.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/cpu/stream_store.h"

namespace tapeflow::kernels::cpu {
namespace {

// Note [Tiled transpose]
// A copy whose destination is contiguous along its innermost dim but whose source is not (x.T of
// a float32 (8192, 4096) made contiguous reads one element from each 16 KB source row) touches a
// new source cache line for every element: the row walk ran at 7% of memcpy's bandwidth. When the
// source is contiguous along some other dim `a`, the copy is cut into kTileA x kTileB tiles over
// (a, b = the destination's innermost dim): a tile reads kTileB source runs along a and writes
// kTileA destination runs along b, and both sets of lines stay in cache while the tile is moved.
// Inside a tile, 1-, 2-, 4- and 8-byte elements move as 16x16, 8x8, 8x8 and 4x4 blocks
// transposed in vector registers; tile edges and CPUs without AVX2 move element by element.
// Only bits move (register shuffles and integer copies), so every dtype, NaN payloads and
// signed zeros included, comes out bit for bit. Tiles (with the dims other than a and b as an
// outer index) are split over the intra-op pool; which thread moves a tile changes nothing.
// A copy of kStreamBytes or more moves 16 destination runs of a tile at a time into an L1
// buffer and streams them out (Note [Streaming stores for large outputs]): the destination is
// not read from memory before it is written.

/// Tile edges in elements along a (source-contiguous) and b (destination-contiguous). Measured on
/// a float32 (8192, 4096) transpose, one thread, CPU time (memcpy of the same bytes: 14 ms):
/// 64 x 64 tiles 38 ms, 128 x 128 31 ms, 256 x 64 29 ms, 1024 x 16 50 ms. Long source runs keep
/// the hardware prefetcher on; 64 destination elements keep the 256 destination runs of a tile
/// (and the source's 64) in L2 when power-of-two row strides map all of them to the same L1 sets.
constexpr int64_t kTileA = 256, kTileB = 64;

/// d[i * da + j] = s[i + j * sb] for i < na, j < nb (element by element).
template <typename W> void tile_scalar(const W* s, W* d, int64_t na, int64_t nb, int64_t sb, int64_t da) {
  for (int64_t i = 0; i < na; ++i)
    for (int64_t j = 0; j < nb; ++j) d[i * da + j] = s[i + j * sb];
}

#if TF_COPY_X86
/// One 8 x 8 block of 4-byte elements: row j of the source (8 elements along a) becomes column j
/// of the destination. Shuffles only: the bits are not interpreted.
TF_ALWAYS_INLINE TF_TARGET_AVX2 void transpose8x8(const float* s, int64_t sb, float* d, int64_t da) {
  const __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + sb), r2 = _mm256_loadu_ps(s + 2 * sb),
               r3 = _mm256_loadu_ps(s + 3 * sb), r4 = _mm256_loadu_ps(s + 4 * sb), r5 = _mm256_loadu_ps(s + 5 * sb),
               r6 = _mm256_loadu_ps(s + 6 * sb), r7 = _mm256_loadu_ps(s + 7 * sb);
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
               t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
               t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
               u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
               u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
               u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(d + da, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(d + 2 * da, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(d + 3 * da, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(d + 4 * da, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(d + 5 * da, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(d + 6 * da, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(d + 7 * da, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/// One 4 x 4 block of 8-byte elements, as transpose8x8.
TF_ALWAYS_INLINE TF_TARGET_AVX2 void transpose4x4(const double* s, int64_t sb, double* d, int64_t da) {
  const __m256d r0 = _mm256_loadu_pd(s), r1 = _mm256_loadu_pd(s + sb), r2 = _mm256_loadu_pd(s + 2 * sb),
                r3 = _mm256_loadu_pd(s + 3 * sb);
  const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1), t2 = _mm256_unpacklo_pd(r2, r3),
                t3 = _mm256_unpackhi_pd(r2, r3);
  _mm256_storeu_pd(d, _mm256_permute2f128_pd(t0, t2, 0x20));
  _mm256_storeu_pd(d + da, _mm256_permute2f128_pd(t1, t3, 0x20));
  _mm256_storeu_pd(d + 2 * da, _mm256_permute2f128_pd(t0, t2, 0x31));
  _mm256_storeu_pd(d + 3 * da, _mm256_permute2f128_pd(t1, t3, 0x31));
}

/// One 8 x 8 block of 2-byte elements (SSE2: three rounds of interleaving), as transpose8x8.
TF_ALWAYS_INLINE TF_TARGET_AVX2 void transpose8x8_u16(const uint16_t* s, int64_t sb, uint16_t* d, int64_t da) {
  __m128i a[8], b[8], c[8];
  for (int k = 0; k < 8; ++k) a[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + k * sb));
  for (int k = 0; k < 4; ++k) {
    b[2 * k] = _mm_unpacklo_epi16(a[2 * k], a[2 * k + 1]);
    b[2 * k + 1] = _mm_unpackhi_epi16(a[2 * k], a[2 * k + 1]);
  }
  // c[0..3]: rows 0-3 interleaved by 32 bits; c[4..7]: rows 4-7.
  for (int h = 0; h < 2; ++h) {
    c[4 * h] = _mm_unpacklo_epi32(b[4 * h], b[4 * h + 2]);
    c[4 * h + 1] = _mm_unpackhi_epi32(b[4 * h], b[4 * h + 2]);
    c[4 * h + 2] = _mm_unpacklo_epi32(b[4 * h + 1], b[4 * h + 3]);
    c[4 * h + 3] = _mm_unpackhi_epi32(b[4 * h + 1], b[4 * h + 3]);
  }
  for (int k = 0; k < 4; ++k) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + (2 * k) * da), _mm_unpacklo_epi64(c[k], c[k + 4]));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + (2 * k + 1) * da), _mm_unpackhi_epi64(c[k], c[k + 4]));
  }
}

/// One 16 x 16 block of 1-byte elements (SSE2: four rounds of interleaving), as transpose8x8.
TF_ALWAYS_INLINE TF_TARGET_AVX2 void transpose16x16_u8(const uint8_t* s, int64_t sb, uint8_t* d, int64_t da) {
  __m128i a[16], b[16];
  for (int k = 0; k < 16; ++k) a[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + k * sb));
  for (int k = 0; k < 8; ++k) {  // b[2k], b[2k+1]: columns 0-7, 8-15 of rows 2k, 2k+1 (16-bit groups)
    b[2 * k] = _mm_unpacklo_epi8(a[2 * k], a[2 * k + 1]);
    b[2 * k + 1] = _mm_unpackhi_epi8(a[2 * k], a[2 * k + 1]);
  }
  for (int h = 0; h < 4; ++h) {  // a[4h + q]: columns 4q..4q+3 of rows 4h..4h+3 (32-bit groups)
    a[4 * h] = _mm_unpacklo_epi16(b[4 * h], b[4 * h + 2]);
    a[4 * h + 1] = _mm_unpackhi_epi16(b[4 * h], b[4 * h + 2]);
    a[4 * h + 2] = _mm_unpacklo_epi16(b[4 * h + 1], b[4 * h + 3]);
    a[4 * h + 3] = _mm_unpackhi_epi16(b[4 * h + 1], b[4 * h + 3]);
  }
  for (int g = 0; g < 2; ++g)  // b[8g + m]: columns 2m, 2m+1 of rows 8g..8g+7 (64-bit groups)
    for (int q = 0; q < 4; ++q) {
      b[8 * g + 2 * q] = _mm_unpacklo_epi32(a[8 * g + q], a[8 * g + 4 + q]);
      b[8 * g + 2 * q + 1] = _mm_unpackhi_epi32(a[8 * g + q], a[8 * g + 4 + q]);
    }
  for (int m = 0; m < 8; ++m) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + (2 * m) * da), _mm_unpacklo_epi64(b[m], b[m + 8]));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + (2 * m + 1) * da), _mm_unpackhi_epi64(b[m], b[m + 8]));
  }
}

/// tile_scalar in B x B register blocks (B = 16 for 1-byte, 8 for 2- and 4-byte, 4 for 8-byte
/// elements), the edges
/// element by element.
template <typename W> TF_TARGET_AVX2 void tile_avx2(const W* s, W* d, int64_t na, int64_t nb, int64_t sb, int64_t da) {
  constexpr int64_t B = sizeof(W) == 8 ? 4 : sizeof(W) == 1 ? 16 : 8;
  int64_t i = 0;
  for (; i + B <= na; i += B) {
    int64_t j = 0;
    for (; j + B <= nb; j += B) {
      if constexpr (sizeof(W) == 1)
        transpose16x16_u8(reinterpret_cast<const uint8_t*>(s + i + j * sb), sb,
                          reinterpret_cast<uint8_t*>(d + i * da + j), da);
      else if constexpr (sizeof(W) == 2)
        transpose8x8_u16(reinterpret_cast<const uint16_t*>(s + i + j * sb), sb,
                         reinterpret_cast<uint16_t*>(d + i * da + j), da);
      else if constexpr (sizeof(W) == 4)
        transpose8x8(reinterpret_cast<const float*>(s + i + j * sb), sb, reinterpret_cast<float*>(d + i * da + j), da);
      else
        transpose4x4(reinterpret_cast<const double*>(s + i + j * sb), sb, reinterpret_cast<double*>(d + i * da + j),
                     da);
    }
    if (j < nb) tile_scalar(s + i + j * sb, d + i * da + j, B, nb - j, sb, da);
  }
  if (i < na) tile_scalar(s + i, d + i * da, na - i, nb, sb, da);
}
#endif

/// The tiled plan of a copy, when the layout has one: the loop's dims a (source stride 1) and
/// b (innermost, destination stride 1, source stride not 1). Tiny extents keep the tiles too:
/// (1e6, 3, 3) with its last two dims swapped took 16 ms tiled, 26 ms walking rows (one thread).
struct TilePlan {
  int a = -1, b = -1;
};
TilePlan tile_plan(const StridedLoop<2>& loop) {
  TilePlan p;
  const int nd = static_cast<int>(loop.shape.size());
  if (nd < 2) return p;
  const auto b = static_cast<std::size_t>(nd - 1);
  if (loop.strides[1][b] != 1 || loop.strides[0][b] == 1) return p;
  for (int d = nd - 2; d >= 0; --d)
    if (loop.strides[0][static_cast<std::size_t>(d)] == 1) {
      p.a = d;
      p.b = nd - 1;
      break;
    }
  return p;
}

/// Moves one tile: d[i * da + j] = s[i + j * sb] for i < na, j < nb.
template <typename W> void move_tile(const W* s, W* d, int64_t na, int64_t nb, int64_t sb, int64_t da, bool avx2) {
#if TF_COPY_X86
  if (avx2) return tile_avx2<W>(s, d, na, nb, sb, da);
#endif
  (void)avx2;
  tile_scalar<W>(s, d, na, nb, sb, da);
}

/// move_tile with the destination streamed (Note [Streaming stores for large outputs]): 16
/// destination runs at a time are moved into an L1 buffer, then streamed out. No fence.
template <typename W>
void move_tile_streamed(const W* s, W* d, int64_t na, int64_t nb, int64_t sb, int64_t da, bool avx2) {
  constexpr int64_t kRuns = 16;
  alignas(64) W buf[kRuns * kTileB];
  for (int64_t i = 0; i < na; i += kRuns) {
    const int64_t h = std::min(kRuns, na - i);
    move_tile<W>(s + i, buf, h, nb, sb, kTileB, avx2);
    for (int64_t k = 0; k < h; ++k)
      stream_copy(d + (i + k) * da, buf + k * kTileB, static_cast<std::size_t>(nb) * sizeof(W));
  }
}

template <typename W>
void copy_tiled(const StridedLoop<2>& loop, const TilePlan& p, const W* src, W* dst, bool stream) {
  const auto a = static_cast<std::size_t>(p.a), b = static_cast<std::size_t>(p.b);
  const int64_t na = loop.shape[a], nb = loop.shape[b], sb = loop.strides[0][b], da = loop.strides[1][a];
  // The dims other than a and b, as an outer index (odometer order).
  DimVector outer_shape, outer_src, outer_dst;
  for (std::size_t d = 0; d < loop.shape.size(); ++d) {
    if (d == a || d == b) continue;
    outer_shape.push_back(loop.shape[d]);
    outer_src.push_back(loop.strides[0][d]);
    outer_dst.push_back(loop.strides[1][d]);
  }
  int64_t outer = 1;
  for (int64_t n : outer_shape) outer *= n;
  const int64_t tiles_a = (na + kTileA - 1) / kTileA, tiles_b = (nb + kTileB - 1) / kTileB;
  const int64_t per_outer = tiles_a * tiles_b;
#if TF_COPY_X86
  const bool avx2 = cpu_has_avx2();
#else
  const bool avx2 = false;
#endif
  // A task is one tile; consecutive tiles walk b within a row of tiles (the destination rows
  // are written on, the source rows change).
  parallel_for(outer * per_outer, std::max<int64_t>(1, kParallelGrain / (kTileA * kTileB)),
               [&](int64_t tb, int64_t te) {
                 for (int64_t t = tb; t < te; ++t) {
                   int64_t o = t / per_outer, so = 0, doff = 0;
                   for (std::size_t d = outer_shape.size(); d-- > 0;) {
                     const int64_t k = o % outer_shape[d];
                     o /= outer_shape[d];
                     so += k * outer_src[d];
                     doff += k * outer_dst[d];
                   }
                   const int64_t r = t % per_outer, i0 = (r / tiles_b) * kTileA, j0 = (r % tiles_b) * kTileB;
                   const int64_t ni = std::min(kTileA, na - i0), nj = std::min(kTileB, nb - j0);
                   const W* s = src + so + i0 + j0 * sb;
                   W* d = dst + doff + i0 * da + j0;
                   if (stream)
                     move_tile_streamed<W>(s, d, ni, nj, sb, da, avx2);
                   else
                     move_tile<W>(s, d, ni, nj, sb, da, avx2);
                 }
                 if (stream) stream_fence();
               });
}

/// Copies element by element as W (an unsigned integer of the element's size: only bits move).
/// Dense rows of at least this many bytes are streamed in a large copy (each ends with a fence).
constexpr int64_t kStreamRowBytes = 1024;

template <typename W>
void copy_as(const Shape& shape, const std::array<DimVector, 2>& strides, const void* src, void* dst) {
  const StridedLoop<2> loop = make_loop<2>(shape, strides);
  // Note [Streaming stores for large outputs]: the bytes this copy writes.
  const bool stream = stream_output(shape.num_elements() * static_cast<int64_t>(sizeof(W)));
  if (const TilePlan p = tile_plan(loop); p.a >= 0) {
    copy_tiled<W>(loop, p, static_cast<const W*>(src), static_cast<W*>(dst), stream);
    return;
  }
  run_loop<2>(loop, {(char*)src, (char*)dst}, {sizeof(W), sizeof(W)},
              [stream](const std::array<char*, 2>& p, int64_t n, const std::array<int64_t, 2>& s) {
                const W* a = (const W*)p[0];
                W* o = (W*)p[1];
                if (s[0] == 1 && s[1] == 1) {
                  const auto bytes = static_cast<int64_t>(n * static_cast<int64_t>(sizeof(W)));
                  if (stream && bytes >= kStreamRowBytes) {
                    stream_copy(o, a, static_cast<std::size_t>(bytes));
                    stream_fence();
                  } else {
                    std::memcpy(o, a, static_cast<std::size_t>(bytes));
                  }
                  return;
                }
                for (int64_t i = 0; i < n; ++i) o[i * s[1]] = a[i * s[0]];
              });
}

}  // namespace

void copy_into(const Tensor& src, const Tensor& dst) {
  if (src.size() == 0) return;
  const std::array<DimVector, 2> strides = {src.strides(), dst.strides()};
  if (src.dtype() == DType::kString) {
    const StridedLoop<2> loop = make_loop<2>(src.shape(), strides);
    run_loop<2>(loop, {(char*)src.raw_data(), (char*)dst.raw_data()}, {sizeof(std::string), sizeof(std::string)},
                [](const std::array<char*, 2>& p, int64_t n, const std::array<int64_t, 2>& st) {
                  for (int64_t i = 0; i < n; ++i)
                    ((std::string*)p[1])[i * st[1]] = ((const std::string*)p[0])[i * st[0]];
                });
    return;
  }
  switch (dtype_size(src.dtype())) {
    case 1: copy_as<uint8_t>(src.shape(), strides, src.raw_data(), dst.raw_data()); break;
    case 2: copy_as<uint16_t>(src.shape(), strides, src.raw_data(), dst.raw_data()); break;
    case 4: copy_as<uint32_t>(src.shape(), strides, src.raw_data(), dst.raw_data()); break;
    default: copy_as<uint64_t>(src.shape(), strides, src.raw_data(), dst.raw_data()); break;
  }
}

namespace {
void copy_kernel(KernelContext& ctx) { copy_into(ctx.input(0), ctx.output(0)); }
}  // namespace

void register_copy_kernels() { register_kernel(ops::Copy, DeviceType::kCPU, copy_kernel); }

}  // namespace tapeflow::kernels::cpu
