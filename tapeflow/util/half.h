// float16 (IEEE binary16) and bfloat16 storage types usable in host and device code.
// Arithmetic converts to float; these are storage formats, as in TF's CPU kernels.
#pragma once
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define TF_HOST_DEVICE __host__ __device__
#else
#define TF_HOST_DEVICE
#endif

namespace tapeflow {

namespace detail {
TF_HOST_DEVICE inline uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
#endif
}
TF_HOST_DEVICE inline float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, 4);
  return f;
#endif
}
}  // namespace detail

struct float16_t {
  uint16_t bits = 0;
  float16_t() = default;
  TF_HOST_DEVICE float16_t(float f) : bits(from_float(f)) {}
  TF_HOST_DEVICE float16_t(double f) : bits(from_float(static_cast<float>(f))) {}
  TF_HOST_DEVICE float16_t(int f) : bits(from_float(static_cast<float>(f))) {}
  TF_HOST_DEVICE operator float() const { return to_float(bits); }
  TF_HOST_DEVICE static float16_t from_bits(uint16_t b) {
    float16_t h;
    h.bits = b;
    return h;
  }

  // Round-to-nearest-even conversion (same result as the hardware's cvt.rn.f16.f32).
  TF_HOST_DEVICE static uint16_t from_float(float f) {
    uint32_t x = detail::float_bits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t abs = x & 0x7fffffffu;
    if (abs >= 0x7f800000u) return static_cast<uint16_t>(sign | (abs > 0x7f800000u ? 0x7e00u : 0x7c00u));
    if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow -> inf
    if (abs < 0x38800000u) {                                               // subnormal or zero in half
      // Let the FPU do the rounding: add a magic number that aligns the mantissa.
      float magic = detail::bits_float(0x3f000000u);  // 0.5f
      float v = detail::bits_float(abs) + magic;
      return static_cast<uint16_t>(sign | (detail::float_bits(v) - 0x3f000000u));
    }
    uint32_t mant_odd = (abs >> 13) & 1u;
    abs += 0xc8000fffu + mant_odd;  // rebias exponent (-112 << 23) and round to nearest even
    return static_cast<uint16_t>(sign | (abs >> 13));
  }
  TF_HOST_DEVICE static float to_float(uint16_t h) {
    uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0x1f) return detail::bits_float(sign | 0x7f800000u | (mant << 13));
    if (exp == 0) {
      if (mant == 0) return detail::bits_float(sign);
      float v = static_cast<float>(mant) * 5.9604644775390625e-08f;  // 2^-24
      return sign ? -v : v;
    }
    return detail::bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
  }
};

struct bfloat16_t {
  uint16_t bits = 0;
  bfloat16_t() = default;
  TF_HOST_DEVICE bfloat16_t(float f) : bits(from_float(f)) {}
  TF_HOST_DEVICE bfloat16_t(double f) : bits(from_float(static_cast<float>(f))) {}
  TF_HOST_DEVICE bfloat16_t(int f) : bits(from_float(static_cast<float>(f))) {}
  TF_HOST_DEVICE operator float() const { return detail::bits_float(static_cast<uint32_t>(bits) << 16); }
  TF_HOST_DEVICE static bfloat16_t from_bits(uint16_t b) {
    bfloat16_t h;
    h.bits = b;
    return h;
  }
  TF_HOST_DEVICE static uint16_t from_float(float f) {
    uint32_t x = detail::float_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet NaN
    x += 0x7fffu + ((x >> 16) & 1u);                                                       // round to nearest even
    return static_cast<uint16_t>(x >> 16);
  }
};

}  // namespace tapeflow
