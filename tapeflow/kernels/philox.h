// Philox4x32-10, the counter-based generator of Random123 (Salmon et al., SC'11) that TF and
// cuRAND use, and TF's recipes for turning its bits into uniform, normal and truncated-normal
// samples. Header-only and __host__ __device__, so the CPU and CUDA kernels draw the same numbers
// from the same seeds (Note [Counter-based random numbers]).
#pragma once
#include <math.h>

#include <cstdint>
#include <type_traits>

#include "tapeflow/kernels/portable_math.h"
#include "tapeflow/util/half.h"

// Note [Counter-based random numbers]
// Philox maps (key, 128-bit counter) to 128 random bits with no state in between, so output
// group g of an op is a pure function of (key, counter + g): any thread, on any device, can
// produce any element without producing the others, and a kernel may split the work however it
// likes. The layout is TF's (random_op.cc, random_distributions.h), so the first call of an op
// with given seeds gives TF's numbers:
//   - an op call reads the stream PhiloxRandom(seed, seed2) = key (seed), counter
//     (0, 0, seed2) advanced by the call's `offset` (TF's per-kernel state; see ops/random.h);
//   - uniform/normal: group g (4 floats/halves/int32s or 2 doubles/int64s) uses block g;
//   - truncated normal: group g reads blocks from g * 256 (float) or g * 128 (double) on,
//     four 32-bit words at a time, until it has accepted its group.
namespace tapeflow::kernels::philox {

/// A 128-bit counter or one 128-bit output, as four 32-bit words (word 0 least significant).
struct Block {
  uint32_t w[4];
};
/// The 64-bit key.
struct Key {
  uint32_t w[2];
};

TF_HOST_DEVICE inline void mul_hi_lo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
#if defined(__CUDA_ARCH__)
  lo = a * b;
  hi = __umulhi(a, b);
#else
  const uint64_t p = static_cast<uint64_t>(a) * b;
  lo = static_cast<uint32_t>(p);
  hi = static_cast<uint32_t>(p >> 32);
#endif
}

/// Ten Philox rounds of `counter` under `key` (Random123's philox4x32_R(10, ...)).
TF_HOST_DEVICE inline Block philox4x32_10(Block c, Key k) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;    // round multipliers
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;  // key schedule: golden ratio, sqrt(3) - 1
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mul_hi_lo(kMul0, c.w[0], hi0, lo0);
    mul_hi_lo(kMul1, c.w[2], hi1, lo1);
    c = Block{{hi1 ^ c.w[1] ^ k.w[0], lo1, hi0 ^ c.w[3] ^ k.w[1], lo0}};
    k.w[0] += kWeyl0;
    k.w[1] += kWeyl1;
  }
  return c;
}

/// counter + n, carrying through all 128 bits.
TF_HOST_DEVICE inline Block add(Block c, uint64_t n) {
  const uint64_t lo = (static_cast<uint64_t>(c.w[1]) << 32 | c.w[0]) + n;
  const bool carry = lo < n;
  c.w[0] = static_cast<uint32_t>(lo);
  c.w[1] = static_cast<uint32_t>(lo >> 32);
  if (carry && ++c.w[2] == 0) ++c.w[3];
  return c;
}

/// The blocks one op call reads: TF's PhiloxRandom(seed, seed2) skipped by `offset` blocks.
struct Stream {
  Key key;
  Block start;
  TF_HOST_DEVICE Stream(uint64_t seed, uint64_t seed2, uint64_t offset)
      : key{{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)}},
        start(add(Block{{0u, 0u, static_cast<uint32_t>(seed2), static_cast<uint32_t>(seed2 >> 32)}}, offset)) {}
  /// Block i of the stream.
  TF_HOST_DEVICE Block operator()(uint64_t i) const { return philox4x32_10(add(start, i), key); }
};

// ---- bits to samples (TF's random_distributions.h) ------------------------------------------
// A uniform sample in [0, 1) takes the low mantissa bits of a word: 1.m - 1 = m * 2^-bits exactly.
TF_HOST_DEVICE inline float to_unit_float(uint32_t x) {
  return static_cast<float>(x & 0x7fffffu) * 1.1920928955078125e-07f;  // 23 bits * 2^-23
}
TF_HOST_DEVICE inline double to_unit_double(uint32_t hi, uint32_t lo) {
  const uint64_t mantissa = (static_cast<uint64_t>(hi & 0xfffffu) << 32) | lo;  // 52 bits
  return static_cast<double>(mantissa) * 2.220446049250313080847e-16;           // * 2^-52
}
TF_HOST_DEVICE inline float16_t to_unit_half(uint32_t x) {
  return float16_t(static_cast<float>(x & 0x3ffu) * 9.765625e-04f);  // 10 bits * 2^-10
}
TF_HOST_DEVICE inline bfloat16_t to_unit_bfloat16(uint32_t x) {
  return bfloat16_t(static_cast<float>(x & 0x7fu) * 7.8125e-03f);  // 7 bits * 2^-7
}

/// Box-Muller: two standard normals from two words. The angle is formed in double and the
/// rest in float, as TF writes it (`2.0f * M_PI * u` is a double expression). log, sin and cos
/// are kernels/portable_math.h's, correctly rounded to float here, so that the CPU and CUDA
/// kernels agree bit for bit (libm's and CUDA's logf/sinf/cosf each miss the correctly rounded
/// float on ~1% of inputs, differently; TF's numbers can differ from ours in that last bit).
TF_HOST_DEVICE inline void box_muller(uint32_t x0, uint32_t x1, float& f0, float& f1) {
  constexpr float kEpsilon = 1.0e-7f;  // keeps log() finite
  float u1 = to_unit_float(x0);
  if (u1 < kEpsilon) u1 = kEpsilon;
  const float v1 = static_cast<float>(6.283185307179586 * static_cast<double>(to_unit_float(x1)));
  const float log_u1 = static_cast<float>(pmath::log(static_cast<double>(u1)));
  const float u2 = sqrtf(-2.0f * log_u1);  // IEEE sqrt: correctly rounded everywhere
  double s, c;
  pmath::sincos(static_cast<double>(v1), s, c);
  f0 = static_cast<float>(s) * u2;  // a lone product: nothing to contract
  f1 = static_cast<float>(c) * u2;
}
/// Box-Muller in double: two normals from four words.
TF_HOST_DEVICE inline void box_muller(uint32_t x0, uint32_t x1, uint32_t x2, uint32_t x3, double& d0, double& d1) {
  constexpr double kEpsilon = 1.0e-7;
  double u1 = to_unit_double(x0, x1);
  if (u1 < kEpsilon) u1 = kEpsilon;
  const double v1 = 6.283185307179586 * to_unit_double(x2, x3);
  const double u2 = ::sqrt(-2.0 * pmath::log(u1));
  double s, c;
  pmath::sincos(v1, s, c);
  d0 = s * u2;
  d1 = c * u2;
}

template <typename T> inline constexpr bool is_half_v = std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>;

/// Elements per group of a distribution: one block makes 4 values of 32 bits or 2 of 64 bits.
template <typename T>
inline constexpr int kGroupSize = (std::is_same_v<T, double> || std::is_same_v<T, int64_t>) ? 2 : 4;

// ---- distributions: group g of the output from the stream ----------------------------------
/// Uniform [0, 1) for floating T.
template <typename T> struct UniformUnit {
  TF_HOST_DEVICE void operator()(const Stream& s, uint64_t g, T* out) const {
    const Block b = s(g);
    if constexpr (std::is_same_v<T, double>) {
      out[0] = to_unit_double(b.w[0], b.w[1]);
      out[1] = to_unit_double(b.w[2], b.w[3]);
    } else {
      for (int i = 0; i < 4; ++i) {
        if constexpr (std::is_same_v<T, float>)
          out[i] = to_unit_float(b.w[i]);
        else if constexpr (std::is_same_v<T, float16_t>)
          out[i] = to_unit_half(b.w[i]);
        else
          out[i] = to_unit_bfloat16(b.w[i]);
      }
    }
  }
};

/// Uniform integers in [lo, lo + range) for int32/int64 T: TF's `lo + bits % range`. The
/// modulo favours the low residues by at most range / 2^32 (int32) or range / 2^64 (int64)
/// in relative probability, as TF documents; exact when range is a power of two.
template <typename T> struct UniformInt {
  using U = std::make_unsigned_t<T>;
  T lo;
  U range;  // maxval - minval as unsigned: never overflows
  TF_HOST_DEVICE void operator()(const Stream& s, uint64_t g, T* out) const {
    const Block b = s(g);
    if constexpr (std::is_same_v<T, int64_t>) {
      out[0] = wrap(static_cast<U>(b.w[0] | static_cast<uint64_t>(b.w[1]) << 32) % range);
      out[1] = wrap(static_cast<U>(b.w[2] | static_cast<uint64_t>(b.w[3]) << 32) % range);
    } else {
      for (int i = 0; i < 4; ++i) out[i] = wrap(b.w[i] % range);
    }
  }
  // lo + k with k < range: fits in T; unsigned arithmetic avoids signed overflow on the way.
  TF_HOST_DEVICE T wrap(U k) const { return static_cast<T>(static_cast<U>(lo) + k); }
};

/// Standard normal for floating T (halves are drawn in float and rounded, as TF does).
template <typename T> struct StandardNormal {
  TF_HOST_DEVICE void operator()(const Stream& s, uint64_t g, T* out) const {
    const Block b = s(g);
    if constexpr (std::is_same_v<T, double>) {
      box_muller(b.w[0], b.w[1], b.w[2], b.w[3], out[0], out[1]);
    } else {
      float f[4];
      box_muller(b.w[0], b.w[1], f[0], f[1]);
      box_muller(b.w[2], b.w[3], f[2], f[3]);
      for (int i = 0; i < 4; ++i) out[i] = T(f[i]);
    }
  }
};

/// Standard normal conditioned on |x| < 2: Box-Muller pairs are drawn from the group's own
/// region of the stream and values outside (-2, 2) are rejected (TF's TruncatedNormalDistribution).
/// A draw is rejected with probability 4.55%; a group would run past its reserved region only
/// after about a thousand rejections, which does not happen in practice (TF does not bound it).
template <typename T> struct TruncatedStandardNormal {
  static constexpr uint64_t kBlocksPerGroup = std::is_same_v<T, double> ? 128 : 256;
  TF_HOST_DEVICE void operator()(const Stream& s, uint64_t g, T* out) const {
    uint64_t next = g * kBlocksPerGroup;
    int filled = 0;
    while (true) {
      const Block b = s(next++);
      if constexpr (std::is_same_v<T, double>) {
        double d[2];
        box_muller(b.w[0], b.w[1], b.w[2], b.w[3], d[0], d[1]);
        for (double v : d) {
          if (fabs(v) < 2.0) {
            out[filled++] = v;
            if (filled == 2) return;
          }
        }
      } else {
        float f[4];
        box_muller(b.w[0], b.w[1], f[0], f[1]);
        box_muller(b.w[2], b.w[3], f[2], f[3]);
        for (float v : f) {
          if (fabsf(v) < 2.0f) {  // tested in float, before rounding to a half type
            out[filled++] = T(v);
            if (filled == 4) return;
          }
        }
      }
    }
  }
};

// ---- the ops' affine step ------------------------------------------------------------------
/// x * scale + shift with TF's rounding: its Python wrappers apply separate Mul and Add ops in
/// the output dtype, so each step rounds to T (halves compute in float, as Eigen does). Written
/// without contraction into an fma so that every backend rounds the same way.
template <typename T> TF_HOST_DEVICE inline T scale_shift(T x, T scale, T shift) {
  if constexpr (is_half_v<T>) {
    const T m = T(static_cast<float>(x) * static_cast<float>(scale));
    return T(static_cast<float>(m) + static_cast<float>(shift));
  } else {
#if defined(__CUDA_ARCH__)
    if constexpr (std::is_same_v<T, float>)
      return __fadd_rn(__fmul_rn(x, scale), shift);
    else
      return __dadd_rn(__dmul_rn(x, scale), shift);
#else
    const T m = x * scale;
    return m + shift;
#endif
  }
}

}  // namespace tapeflow::kernels::philox
