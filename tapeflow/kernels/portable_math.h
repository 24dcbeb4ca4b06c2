// log, sin and cos computed bit for bit the same by the host compiler and by nvcc, for the random
// samplers (kernels/philox.h) whose CPU and GPU kernels must give identical numbers. libm's and
// CUDA's own functions differ in the last bit on many inputs (Note [Portable math]).
#pragma once
#include <math.h>

#include <cstdint>

#include "tapeflow/util/half.h"

// Note [Portable math]
// Every step is one IEEE operation, correctly rounded on every backend: + - * / sqrt, fma and
// exact ones (frexp, ldexp, rint, comparisons). Products that feed a sum are explicit fma calls,
// and plain products and sums go through mul()/add(), which nvcc never contracts (__dmul_rn,
// __dadd_rn) and the host compiler cannot contract (an empty asm hides the value), so no
// optimization setting can change a result. The algorithms are fdlibm's (Sun, freely
// redistributable): log < 1 ulp, sin/cos < 1 ulp for |x| < 2^19 * pi/2 (three-part Cody-Waite
// reduction; the samplers only pass [0, 2 pi)).
namespace tapeflow::kernels::pmath {

TF_HOST_DEVICE inline double hide(double v) {
#if !defined(__CUDA_ARCH__) && defined(__GNUC__) && defined(__x86_64__)
  __asm__("" : "+x"(v));
#elif !defined(__CUDA_ARCH__) && defined(__GNUC__) && defined(__aarch64__)
  __asm__("" : "+w"(v));
#endif
  return v;
}
TF_HOST_DEVICE inline double mul(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return hide(a * b);
#endif
}
TF_HOST_DEVICE inline double add(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return hide(a + b);
#endif
}
TF_HOST_DEVICE inline double sub(double a, double b) { return add(a, -b); }
TF_HOST_DEVICE inline double fma(double a, double b, double c) {
#if defined(__CUDA_ARCH__)
  return __fma_rn(a, b, c);
#else
  return ::fma(a, b, c);
#endif
}
TF_HOST_DEVICE inline double div(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __ddiv_rn(a, b);
#else
  return hide(a / b);
#endif
}

/// Natural log of a positive, finite x (fdlibm's e_log.c): x = 2^k m with m in [sqrt(1/2),
/// sqrt(2)), log(m) = 2 atanh(f / (2 + f)) with f = m - 1 by a polynomial in s = f / (2 + f).
TF_HOST_DEVICE inline double log(double x) {
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2 in 32 bits: k * kLn2Hi is exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kLg1 = 6.666666666666735130e-01, kLg2 = 3.999999999940941908e-01, kLg3 = 2.857142874366239149e-01,
                   kLg4 = 2.222219843214978396e-01, kLg5 = 1.818357216161805012e-01, kLg6 = 1.531383769920937332e-01,
                   kLg7 = 1.479819860511658591e-01;
  int e = 0;
  double m = frexp(x, &e);  // exact: x = m 2^e, m in [1/2, 1)
  if (m < 0.70710678118654752440) {
    m = m * 2.0;  // exact
    --e;
  }
  const double f = m - 1.0;  // exact (Sterbenz)
  const double k = static_cast<double>(e);
  const double s = div(f, add(2.0, f));
  const double z = mul(s, s), w = mul(z, z);
  const double t1 = fma(w, fma(w, kLg6, kLg4), kLg2);  // times w
  const double t2 = mul(z, fma(w, fma(w, fma(w, kLg7, kLg5), kLg3), kLg1));
  const double r = fma(w, t1, t2);
  const double hfsq = mul(mul(0.5, f), f);
  // k ln2_hi - ((hfsq - (s (hfsq + R) + k ln2_lo)) - f)
  const double inner = fma(s, add(hfsq, r), mul(k, kLn2Lo));
  return fma(k, kLn2Hi, -sub(sub(hfsq, inner), f));
}

/// sin(x + y) and cos(x + y) for |x| <= pi/4 and |y| <= ulp(x) / 2 (fdlibm's k_sin.c and
/// k_cos.c): x + y is the reduced argument with its tail.
TF_HOST_DEVICE inline double kernel_sin(double x, double y) {
  constexpr double kS1 = -1.66666666666666324348e-01, kS2 = 8.33333333332248946124e-03,
                   kS3 = -1.98412698298579493134e-04, kS4 = 2.75573137070700676789e-06,
                   kS5 = -2.50507602534068634195e-08, kS6 = 1.58969099521155010221e-10;
  const double z = mul(x, x), v = mul(z, x);
  const double r = fma(z, fma(z, fma(z, fma(z, kS6, kS5), kS4), kS3), kS2);
  // x - ((z (y/2 - v r) - y) - v S1)
  const double t = fma(-v, kS1, fma(z, fma(-v, r, mul(0.5, y)), -y));
  return sub(x, t);
}
TF_HOST_DEVICE inline double kernel_cos(double x, double y) {
  constexpr double kC1 = 4.16666666666666019037e-02, kC2 = -1.38888888888741095749e-03,
                   kC3 = 2.48015872894767294178e-05, kC4 = -2.75573143513906633035e-07,
                   kC5 = 2.08757232129817482790e-09, kC6 = -1.13596475577881948265e-11;
  const double z = mul(x, x), zz = mul(z, z);
  // r = z (C1 + z (C2 + z C3)) + z^4 (C4 + z (C5 + z C6))
  const double r = fma(mul(zz, zz), fma(z, fma(z, kC6, kC5), kC4), mul(z, fma(z, fma(z, kC3, kC2), kC1)));
  const double hz = mul(0.5, z), w = sub(1.0, hz);
  // w + (((1 - w) - hz) + (z r - x y)): 1 - hz with its rounding error added back
  return add(w, add(sub(sub(1.0, w), hz), fma(z, r, -mul(x, y))));
}

/// sin(x) and cos(x) for |x| < 2^19 pi/2: x = n pi/2 + (r + tail) with |r| <= pi/4, then the
/// quadrant.
TF_HOST_DEVICE inline void sincos(double x, double& sin_x, double& cos_x) {
  constexpr double kTwoOverPi = 6.36619772367581382433e-01;
  // pi/2 = kPio2A + kPio2B + kPio2C to ~160 bits.
  constexpr double kPio2A = 1.5707963267948966, kPio2B = 6.123233995736766e-17, kPio2C = -1.4973849048591698e-33;
  const double n = rint(mul(x, kTwoOverPi));
  // n kPio2A = p + p_lo exactly; x - p is exact (Sterbenz: x lies within n pi/2 +- pi/4).
  const double p = mul(n, kPio2A), p_lo = fma(n, kPio2A, -p);
  const double t = sub(x, p);
  const double c = fma(n, kPio2C, fma(n, kPio2B, p_lo));  // the rest of n pi/2, tiny
  const double r = sub(t, c), tail = sub(sub(t, r), c);   // r + tail = t - c (Fast2Sum)
  const double s = kernel_sin(r, tail), co = kernel_cos(r, tail);
  switch (static_cast<int64_t>(n) & 3) {
    case 0:
      sin_x = s;
      cos_x = co;
      break;
    case 1:
      sin_x = co;
      cos_x = -s;
      break;
    case 2:
      sin_x = -s;
      cos_x = -co;
      break;
    default:
      sin_x = -co;
      cos_x = s;
      break;
  }
}

}  // namespace tapeflow::kernels::pmath
