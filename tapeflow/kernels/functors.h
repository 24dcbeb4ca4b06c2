// Scalar math of every elementwise op, written once for the CPU loops and the CUDA kernels
// (__host__ __device__), so the two backends cannot drift apart.
// A functor's operator() takes the op's compute type: float for float16/bfloat16, else T.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "tapeflow/util/half.h"

namespace tapeflow::kernels {

/// float16/bfloat16 compute in float; everything else in its own type.
template <typename T> struct compute_type { using type = T; };
template <> struct compute_type<float16_t> { using type = float; };
template <> struct compute_type<bfloat16_t> { using type = float; };
template <typename T> using compute_t = typename compute_type<T>::type;

// ---- binary arithmetic ----------------------------------------------------------------------
/// Signed integers wrap around in two's complement, as TF's kernels do in practice, computed in
/// the unsigned type so that overflow is not C++'s undefined behaviour (UBSan aborts on it, and
/// an optimizer may assume it away). Unsigned and floating types compute as they are.
template <typename T> struct Wrapping {
  static constexpr bool kSigned = std::is_integral_v<T> && std::is_signed_v<T>;
  // make_unsigned of a floating type is ill-formed: name it only for the signed integers.
  using U = typename std::conditional_t<kSigned, std::make_unsigned<T>, std::type_identity<T>>::type;
};
template <typename T> TF_HOST_DEVICE T wrapping_add(T a, T b) {
  using U = typename Wrapping<T>::U;
  return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
}
template <typename T> TF_HOST_DEVICE T wrapping_sub(T a, T b) {
  using U = typename Wrapping<T>::U;
  return static_cast<T>(static_cast<U>(static_cast<U>(a) - static_cast<U>(b)));
}
template <typename T> TF_HOST_DEVICE T wrapping_mul(T a, T b) {
  using U = typename Wrapping<T>::U;
  // uint8 * uint8 promotes to int, whose product of two values below 256 cannot overflow.
  return static_cast<T>(static_cast<U>(static_cast<U>(a) * static_cast<U>(b)));
}

struct AddFn {
  template <typename T> TF_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (Wrapping<T>::kSigned)
      return wrapping_add(a, b);
    else
      return a + b;
  }
};
struct SubFn {
  template <typename T> TF_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (Wrapping<T>::kSigned)
      return wrapping_sub(a, b);
    else
      return a - b;
  }
};
struct MulFn {
  template <typename T> TF_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>)
      return a && b;
    else if constexpr (Wrapping<T>::kSigned)
      return wrapping_mul(a, b);
    else
      return a * b;
  }
};
/// Division of floats (RealDiv); integer inputs are cast to floats by the op before the kernel.
struct DivFn {
  template <typename T> TF_HOST_DEVICE T operator()(T a, T b) const { return a / b; }
};
/// Python's // : rounds toward -inf. Integer division by zero is rejected before the kernel runs.
struct FloorDivFn {
  template <typename T> TF_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::floor(a / b);
    } else {
      if (b == 0) return T(0);
      // INT_MIN / -1 traps (SIGFPE) on x86; wrap to INT_MIN as NumPy does.
      if constexpr (std::is_signed_v<T>)
        if (b == T(-1)) return static_cast<T>(std::make_unsigned_t<T>(0) - static_cast<std::make_unsigned_t<T>>(a));
      T q = a / b;
      if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
      return q;
    }
  }
};
/// Python's % : the result has the sign of the divisor (TF FloorMod).
struct FloorModFn {
  template <typename T> TF_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      T r = std::fmod(a, b);
      if (r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    } else {
      if (b == 0) return T(0);
      if constexpr (std::is_signed_v<T>)
        if (b == T(-1)) return T(0);  // INT_MIN % -1 traps on x86 too
      T r = a % b;
      if (r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    }
  }
};
struct PowFn {
  template <typename T> TF_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::pow(a, b);
    } else {
      // Integer power by squaring, wrapping as TF's; negative exponents are rejected by the CPU
      // kernel (as TF's) and give 1 on the GPU.
      T result = 1;
      while (b > 0) {
        if (b & 1) result = wrapping_mul(result, a);
        a = wrapping_mul(a, a);
        b >>= 1;
      }
      return result;
    }
  }
};
struct MaximumFn {
  template <typename T> TF_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (a != a) return a;
      if (b != b) return b;
    }  // NaN propagates
    return a > b ? a : b;
  }
};
struct MinimumFn {
  template <typename T> TF_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (a != a) return a;
      if (b != b) return b;
    }
    return a < b ? a : b;
  }
};
struct SquaredDifferenceFn {
  template <typename T> TF_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (Wrapping<T>::kSigned) {
      const T d = wrapping_sub(a, b);
      return wrapping_mul(d, d);
    } else {
      return (a - b) * (a - b);
    }
  }
};

// ---- comparisons and logic (output bool) --------------------------------------------------
struct EqualFn {
  template <typename T> TF_HOST_DEVICE bool operator()(T a, T b) const { return a == b; }
};
struct NotEqualFn {
  template <typename T> TF_HOST_DEVICE bool operator()(T a, T b) const { return a != b; }
};
struct LessFn {
  template <typename T> TF_HOST_DEVICE bool operator()(T a, T b) const { return a < b; }
};
struct LessEqualFn {
  template <typename T> TF_HOST_DEVICE bool operator()(T a, T b) const { return a <= b; }
};
struct GreaterFn {
  template <typename T> TF_HOST_DEVICE bool operator()(T a, T b) const { return a > b; }
};
struct GreaterEqualFn {
  template <typename T> TF_HOST_DEVICE bool operator()(T a, T b) const { return a >= b; }
};
struct LogicalAndFn {
  TF_HOST_DEVICE bool operator()(bool a, bool b) const { return a && b; }
};
struct LogicalOrFn {
  TF_HOST_DEVICE bool operator()(bool a, bool b) const { return a || b; }
};

}  // namespace tapeflow::kernels

namespace tapeflow::kernels {
// ---- unary math (input compute type -> same type, or bool for predicates) ----------------------
// Only std:: functions nvcc supports in device code; no exceptions.
#define TF_UNARY_FUNCTOR(NAME, EXPR)                                              \
  struct NAME {                                                                   \
    template <typename T> TF_HOST_DEVICE T operator()(T x) const { return EXPR; } \
  };
/// -x of a signed integer in two's complement (TF's -INT_MIN is INT_MIN), without C++'s overflow UB.
template <typename T> TF_HOST_DEVICE T wrapping_neg(T x) {
  if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
    return static_cast<T>(std::make_unsigned_t<T>(0) - static_cast<std::make_unsigned_t<T>>(x));
  else
    return -x;
}
TF_UNARY_FUNCTOR(NegFn, wrapping_neg(x))
TF_UNARY_FUNCTOR(AbsFn, x < T(0) ? wrapping_neg(x) : x)
TF_UNARY_FUNCTOR(SignFn, x > T(0) ? T(1) : (x < T(0) ? T(-1) : x))  // sign(nan) = nan, sign(-0) = -0
TF_UNARY_FUNCTOR(SquareFn, x* x)
TF_UNARY_FUNCTOR(SqrtFn, std::sqrt(x))
TF_UNARY_FUNCTOR(RsqrtFn, T(1) / std::sqrt(x))
TF_UNARY_FUNCTOR(ExpFn, std::exp(x))
TF_UNARY_FUNCTOR(Expm1Fn, std::expm1(x))
TF_UNARY_FUNCTOR(LogFn, std::log(x))
TF_UNARY_FUNCTOR(Log1pFn, std::log1p(x))
TF_UNARY_FUNCTOR(SinFn, std::sin(x))
TF_UNARY_FUNCTOR(CosFn, std::cos(x))
TF_UNARY_FUNCTOR(TanFn, std::tan(x))
TF_UNARY_FUNCTOR(TanhFn, std::tanh(x))
TF_UNARY_FUNCTOR(FloorFn, std::floor(x))
TF_UNARY_FUNCTOR(CeilFn, std::ceil(x))
TF_UNARY_FUNCTOR(RoundFn, std::nearbyint(x))  // half to even under the default rounding mode, as TF
TF_UNARY_FUNCTOR(ReciprocalFn, T(1) / x)
TF_UNARY_FUNCTOR(ErfFn, std::erf(x))
TF_UNARY_FUNCTOR(ErfcFn, std::erfc(x))
TF_UNARY_FUNCTOR(ReluFn, x > T(0) ? x : (x != x ? x : T(0)))
TF_UNARY_FUNCTOR(Relu6Fn, x != x ? x : (x < T(0) ? T(0) : (x > T(6) ? T(6) : x)))
TF_UNARY_FUNCTOR(EluFn, x > T(0) ? x : std::expm1(x))
TF_UNARY_FUNCTOR(SeluFn, x > T(0)
                             ? T(1.0507009873554804934193349852946) * x
                             : T(1.0507009873554804934193349852946 * 1.6732632423543772848170429916717) * std::expm1(x))
TF_UNARY_FUNCTOR(SoftsignFn, x / (T(1) + (x < T(0) ? -x : x)))
// sigmoid: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) otherwise, so neither branch overflows.
TF_UNARY_FUNCTOR(SigmoidFn, x >= T(0) ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x)))
// softplus: log(1+e^x) = max(x,0) + log1p(e^-|x|): no overflow for large x, exact for very negative x.
TF_UNARY_FUNCTOR(SoftplusFn, (x > T(0) ? x : T(0)) + std::log1p(std::exp(x > T(0) ? -x : x)))
// gelu: x Φ(x) = x erfc(-x/√2) / 2, as TF writes it: 1 + erf(x/√2) would cancel for negative x.
TF_UNARY_FUNCTOR(GeluFn, T(0.5) * x * std::erfc(-x * T(0.70710678118654752440)))
// gelu's tanh approximation, 0.5 x (1 + tanh(z)) with z = √(2/π) (x + 0.044715 x³), as x σ(2z):
// 1 + tanh(z) cancels for negative x (all of float32's bits by x = -3, TF's formula loses them).
// For z < 0, x e^2z / (1 + e^2z) with e^2z as e^z e^z, so that the product by x stays normal
// until its last rounding (as silu below).
struct GeluTanhFn {
  template <typename T> TF_HOST_DEVICE T operator()(T x) const {
    const T z = T(0.79788456080286535588) * (x + T(0.044715) * x * x * x);
    if (z >= T(0)) return x / (T(1) + std::exp(T(-2) * z));
    const T e = std::exp(z);
    return (x * e) * e / (T(1) + e * e);
  }
};
// silu: x / (1 + e^-x), or x e^x / (1 + e^x) for negative x. Below -40, 1 + e^x rounds to 1 and
// x e^x is computed as (x e^(x/2)) e^(x/2): e^x itself may be subnormal, short of the bits that
// the product by x would show, while every factor here stays normal until the last product.
TF_UNARY_FUNCTOR(SiluFn, x >= T(0)    ? x / (T(1) + std::exp(-x))
                         : x < T(-40) ? (x * std::exp(x / T(2))) * std::exp(x / T(2))
                                      : x * std::exp(x) / (T(1) + std::exp(x)))
#undef TF_UNARY_FUNCTOR

struct LeakyReluFn {
  float alpha;
  template <typename T> TF_HOST_DEVICE T operator()(T x) const { return x > T(0) ? x : T(alpha) * x; }
};
struct IsNanFn {
  template <typename T> TF_HOST_DEVICE bool operator()(T x) const { return x != x; }
};
struct IsInfFn {
  template <typename T> TF_HOST_DEVICE bool operator()(T x) const { return x == x && (x - x) != (x - x); }
};
struct IsFiniteFn {
  template <typename T> TF_HOST_DEVICE bool operator()(T x) const { return (x - x) == (x - x); }
};
struct LogicalNotFn {
  TF_HOST_DEVICE bool operator()(bool x) const { return !x; }
};
}  // namespace tapeflow::kernels
