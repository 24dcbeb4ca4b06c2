// Dragon4 float printing, following NumPy's dragon4.c (Ryan Juckett's Dragon4 with IEEE
// unbiased rounding) step by step, so Tapeflow prints every float exactly as NumPy does.
// Big integers are plain vectors of 32-bit blocks: printing is never a hot path.
#include "tapeflow/core/float_format.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

namespace tapeflow::detail {

namespace {

/// An unsigned big integer, little-endian 32-bit blocks, no high zero blocks.
class BigInt {
 public:
  BigInt() = default;
  explicit BigInt(uint64_t v) {
    if (v != 0) blocks_.push_back(static_cast<uint32_t>(v));
    if (v >> 32) blocks_.push_back(static_cast<uint32_t>(v >> 32));
  }
  static BigInt pow2(int n) {
    BigInt r(1);
    r.shift_left(n);
    return r;
  }

  bool is_zero() const { return blocks_.empty(); }
  bool is_even() const { return blocks_.empty() || (blocks_[0] & 1u) == 0; }

  friend int compare(const BigInt& a, const BigInt& b) {
    if (a.blocks_.size() != b.blocks_.size()) return a.blocks_.size() < b.blocks_.size() ? -1 : 1;
    for (std::size_t i = a.blocks_.size(); i-- > 0;)
      if (a.blocks_[i] != b.blocks_[i]) return a.blocks_[i] < b.blocks_[i] ? -1 : 1;
    return 0;
  }
  friend BigInt operator+(const BigInt& a, const BigInt& b) {
    const BigInt& big = a.blocks_.size() >= b.blocks_.size() ? a : b;
    const BigInt& small = a.blocks_.size() >= b.blocks_.size() ? b : a;
    BigInt r;
    r.blocks_.resize(big.blocks_.size());
    uint64_t carry = 0;
    for (std::size_t i = 0; i < big.blocks_.size(); ++i) {
      uint64_t sum = carry + big.blocks_[i] + (i < small.blocks_.size() ? small.blocks_[i] : 0u);
      r.blocks_[i] = static_cast<uint32_t>(sum);
      carry = sum >> 32;
    }
    if (carry) r.blocks_.push_back(static_cast<uint32_t>(carry));
    return r;
  }
  /// this -= b, for b <= this.
  void subtract(const BigInt& b) {
    int64_t borrow = 0;
    for (std::size_t i = 0; i < blocks_.size(); ++i) {
      int64_t d = static_cast<int64_t>(blocks_[i]) - (i < b.blocks_.size() ? b.blocks_[i] : 0u) - borrow;
      borrow = d < 0;
      blocks_[i] = static_cast<uint32_t>(d + (borrow << 32));
    }
    trim();
  }
  void multiply(uint32_t m) {
    uint64_t carry = 0;
    for (uint32_t& b : blocks_) {
      uint64_t p = static_cast<uint64_t>(b) * m + carry;
      b = static_cast<uint32_t>(p);
      carry = p >> 32;
    }
    if (carry) blocks_.push_back(static_cast<uint32_t>(carry));
    trim();
  }
  void multiply_pow10(int n) {
    for (; n >= 9; n -= 9) multiply(1000000000u);
    static constexpr uint32_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
    if (n > 0) multiply(kPow10[n]);
  }
  void shift_left(int n) {
    if (is_zero() || n == 0) return;
    const int words = n / 32, bits = n % 32;
    std::vector<uint32_t> out(blocks_.size() + static_cast<std::size_t>(words) + 1, 0u);
    for (std::size_t i = 0; i < blocks_.size(); ++i) {
      const uint64_t v = static_cast<uint64_t>(blocks_[i]) << bits;
      out[i + static_cast<std::size_t>(words)] |= static_cast<uint32_t>(v);
      out[i + static_cast<std::size_t>(words) + 1] |= static_cast<uint32_t>(v >> 32);
    }
    blocks_ = std::move(out);
    trim();
  }
  /// Returns floor(this / divisor) (at most 9 here) and leaves the remainder in this.
  uint32_t divide_with_remainder(const BigInt& divisor) {
    uint32_t q = 0;
    while (compare(*this, divisor) >= 0) {
      subtract(divisor);
      ++q;
    }
    return q;
  }

 private:
  void trim() {
    while (!blocks_.empty() && blocks_.back() == 0) blocks_.pop_back();
  }
  std::vector<uint32_t> blocks_;
};

enum class CutoffMode { kTotalLength, kFractionLength };

/// The largest number of digits NumPy's 16 KiB output buffer can hold.
constexpr int kBufferSize = 16384;

/// Dragon4 (NumPy's variant): appends the decimal digits of x to `digits` and returns the base-10
/// exponent of the first digit. cutoff_max/cutoff_min count total digits or fraction digits.
int dragon4(const FloatBits& x, bool unique, CutoffMode cutoff_mode, int cutoff_max, int cutoff_min, int buffer_size,
            std::string& digits) {
  if (x.mantissa == 0) {
    // clear + push_back rather than `= "0"`: GCC 12 -O3 warns falsely (-Wrestrict) on
    // assigning a literal to a string it has seen grow elsewhere in the function.
    digits.clear();
    digits.push_back('0');
    return 0;
  }
  const BigInt mantissa(x.mantissa);
  const bool is_even = mantissa.is_even();
  // value = scaled_value / scale, margins = half the distance to the neighbouring floats.
  BigInt scale, value, margin_low;
  const bool unequal = x.unequal_margins;
  const int shift = unequal ? 2 : 1;
  value = mantissa;
  if (x.exponent > 0) {
    value.shift_left(x.exponent + shift);
    scale = BigInt(unequal ? 4 : 2);
    margin_low = BigInt::pow2(x.exponent);
  } else {
    value.shift_left(shift);
    scale = BigInt::pow2(-x.exponent + shift);
    margin_low = BigInt(1);
  }
  BigInt margin_high = unequal ? margin_low + margin_low : margin_low;

  // Estimate floor(log10(v)) + 1; correct or one too low (Burger and Dybvig).
  constexpr double kLog10Of2 = 0.30102999566398119521373889472449;
  int digit_exponent = static_cast<int>(std::ceil(static_cast<double>(x.mantissa_bit + x.exponent) * kLog10Of2 - 0.69));
  if (cutoff_max >= 0 && cutoff_mode == CutoffMode::kFractionLength && digit_exponent <= -cutoff_max)
    digit_exponent = -cutoff_max + 1;
  if (digit_exponent > 0) {
    scale.multiply_pow10(digit_exponent);
  } else if (digit_exponent < 0) {
    value.multiply_pow10(-digit_exponent);
    margin_low.multiply_pow10(-digit_exponent);
    margin_high = unequal ? margin_low + margin_low : margin_low;
  }
  if (compare(value, scale) >= 0) {
    ++digit_exponent;
  } else {
    value.multiply(10);
    margin_low.multiply(10);
    margin_high = unequal ? margin_low + margin_low : margin_low;
  }

  int cutoff_max_exponent = digit_exponent - buffer_size;
  if (cutoff_max >= 0) {
    const int desired = cutoff_mode == CutoffMode::kTotalLength ? digit_exponent - cutoff_max : -cutoff_max;
    cutoff_max_exponent = std::max(cutoff_max_exponent, desired);
  }
  int cutoff_min_exponent = digit_exponent;
  if (cutoff_min >= 0) {
    const int desired = cutoff_mode == CutoffMode::kTotalLength ? digit_exponent - cutoff_min : -cutoff_min;
    cutoff_min_exponent = std::min(cutoff_min_exponent, desired);
  }
  int print_exponent = digit_exponent - 1;

  bool low = false, high = false;
  uint32_t digit = 0;
  if (unique) {
    for (;;) {
      --digit_exponent;
      digit = value.divide_with_remainder(scale);
      const BigInt value_high = value + margin_high;
      const int cmp_low = compare(value, margin_low);
      low = is_even ? cmp_low <= 0 : cmp_low < 0;
      const int cmp_high = compare(value_high, scale);
      high = is_even ? cmp_high >= 0 : cmp_high > 0;
      if (((low || high) && digit_exponent <= cutoff_min_exponent) || digit_exponent == cutoff_max_exponent) break;
      digits += static_cast<char>('0' + digit);
      value.multiply(10);
      margin_low.multiply(10);
      margin_high = unequal ? margin_low + margin_low : margin_low;
    }
  } else {
    for (;;) {
      --digit_exponent;
      digit = value.divide_with_remainder(scale);
      if (value.is_zero() || digit_exponent == cutoff_max_exponent) break;
      digits += static_cast<char>('0' + digit);
      value.multiply(10);
    }
  }

  // Round the last digit: down when only the low neighbour is close, else to nearest (ties even).
  bool round_down = low;
  if (low == high) {
    value.shift_left(1);
    const int cmp = compare(value, scale);
    round_down = cmp < 0;
    if (cmp == 0) round_down = (digit & 1u) == 0;
  }
  if (round_down) {
    digits += static_cast<char>('0' + digit);
  } else if (digit < 9) {
    digits += static_cast<char>('0' + digit + 1);
  } else {
    for (;;) {  // carry through trailing nines
      if (digits.empty()) {
        digits.push_back('1');  // (see above: no literal assignment)
        ++print_exponent;
        break;
      }
      const char last = digits.back();
      digits.pop_back();
      if (last != '9') {
        digits += static_cast<char>(last + 1);
        break;
      }
    }
  }
  return print_exponent;
}

char sign_char(const FloatBits& x, bool always) { return x.negative ? '-' : (always ? '+' : '\0'); }

/// NumPy prints non-finite values without padding; NaN never shows a sign.
std::string inf_nan(const FloatBits& x, bool always_sign) {
  if (x.nan) return "nan";
  const char s = sign_char(x, always_sign);
  return s ? std::string(1, s) + "inf" : std::string("inf");
}

/// Strips trailing zeros after the point; returns the new fraction-digit count.
int trim_trailing_zeros(std::string& out, int fraction_digits) {
  while (out.back() == '0') {
    out.pop_back();
    --fraction_digits;
  }
  return fraction_digits;
}

}  // namespace

FloatBits FloatBits::of(double v) {
  uint64_t u;
  std::memcpy(&u, &v, 8);
  FloatBits f;
  const uint64_t mant = u & ((1ull << 52) - 1);
  const uint32_t exp = static_cast<uint32_t>((u >> 52) & 0x7ffu);
  f.negative = (u >> 63) != 0;
  if (exp == 0x7ffu) {
    f.nan = mant != 0;
    f.inf = mant == 0;
  } else if (exp != 0) {
    f.mantissa = (1ull << 52) | mant;
    f.exponent = static_cast<int>(exp) - 1023 - 52;
    f.mantissa_bit = 52;
    f.unequal_margins = exp != 1 && mant == 0;
  } else {
    f.mantissa = mant;
    f.exponent = 1 - 1023 - 52;
    f.mantissa_bit = mant ? std::bit_width(mant) - 1 : 0;
  }
  return f;
}

FloatBits FloatBits::of(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  FloatBits f;
  const uint32_t mant = u & ((1u << 23) - 1);
  const uint32_t exp = (u >> 23) & 0xffu;
  f.negative = (u >> 31) != 0;
  if (exp == 0xffu) {
    f.nan = mant != 0;
    f.inf = mant == 0;
  } else if (exp != 0) {
    f.mantissa = (1u << 23) | mant;
    f.exponent = static_cast<int>(exp) - 127 - 23;
    f.mantissa_bit = 23;
    f.unequal_margins = exp != 1 && mant == 0;
  } else {
    f.mantissa = mant;
    f.exponent = 1 - 127 - 23;
    f.mantissa_bit = mant ? std::bit_width(mant) - 1 : 0;
  }
  return f;
}

FloatBits FloatBits::of(float16_t v) {
  const uint32_t u = v.bits;
  FloatBits f;
  const uint32_t mant = u & ((1u << 10) - 1);
  const uint32_t exp = (u >> 10) & 0x1fu;
  f.negative = (u >> 15) != 0;
  if (exp == 0x1fu) {
    f.nan = mant != 0;
    f.inf = mant == 0;
  } else if (exp != 0) {
    f.mantissa = (1u << 10) | mant;
    f.exponent = static_cast<int>(exp) - 15 - 10;
    f.mantissa_bit = 10;
    f.unequal_margins = exp != 1 && mant == 0;
  } else {
    f.mantissa = mant;
    f.exponent = 1 - 15 - 10;
    f.mantissa_bit = mant ? std::bit_width(mant) - 1 : 0;
  }
  return f;
}

std::string format_float_positional(const FloatBits& x, const FloatFormatOptions& o) {
  if (x.nan || x.inf) return inf_nan(x, o.sign);
  std::string out;
  const char sign = sign_char(x, o.sign);
  const int has_sign = sign ? 1 : 0;
  if (sign) out += sign;

  std::string digits;
  const CutoffMode cutoff = o.fractional ? CutoffMode::kFractionLength : CutoffMode::kTotalLength;
  const int print_exponent =
      dragon4(x, o.unique, cutoff, o.precision, o.min_digits, kBufferSize - 1 - has_sign, digits);
  const int num_digits = static_cast<int>(digits.size());

  int whole_digits = 0, fraction_digits = 0;
  if (print_exponent >= 0) {
    whole_digits = print_exponent + 1;
    if (num_digits <= whole_digits) {
      out += digits;
      out.append(static_cast<std::size_t>(whole_digits - num_digits), '0');
    } else {
      fraction_digits = num_digits - whole_digits;
      out += digits.substr(0, static_cast<std::size_t>(whole_digits));
      out += '.';
      out += digits.substr(static_cast<std::size_t>(whole_digits));
    }
  } else {
    const int leading_zeros = -(print_exponent + 1);
    out += "0.";
    out.append(static_cast<std::size_t>(leading_zeros), '0');
    out += digits;
    fraction_digits = num_digits + leading_zeros;
    whole_digits = 1;
  }
  if (o.trim != Trim::kDptZeros && fraction_digits == 0) out += '.';

  const int add_digits = o.unique ? o.min_digits : o.precision;
  int desired_fraction_digits = std::max(add_digits, 0);
  if (!o.fractional) desired_fraction_digits = add_digits - whole_digits;
  if (o.trim == Trim::kLeaveOneZero) {
    if (fraction_digits == 0) {
      out += '0';
      ++fraction_digits;
    }
  } else if (o.trim == Trim::kKeep && desired_fraction_digits > fraction_digits) {
    out.append(static_cast<std::size_t>(desired_fraction_digits - fraction_digits), '0');
    fraction_digits = desired_fraction_digits;
  }
  // Rounding can leave trailing zeros; trim them as asked.
  if (o.trim != Trim::kKeep && fraction_digits > 0) {
    fraction_digits = trim_trailing_zeros(out, fraction_digits);
    if (out.back() == '.') {
      if (o.trim == Trim::kLeaveOneZero) {
        out += '0';
        ++fraction_digits;
      } else if (o.trim == Trim::kDptZeros) {
        out.pop_back();
      }
    }
  }

  if (o.pad_right >= fraction_digits) {
    if (o.trim == Trim::kDptZeros && fraction_digits == 0) out += ' ';
    out.append(static_cast<std::size_t>(o.pad_right - fraction_digits), ' ');
  }
  if (o.pad_left > whole_digits + has_sign)
    out.insert(0, static_cast<std::size_t>(o.pad_left - whole_digits - has_sign), ' ');
  return out;
}

std::string format_float_scientific(const FloatBits& x, const FloatFormatOptions& o) {
  if (x.nan || x.inf) return inf_nan(x, o.sign);
  std::string out;
  const char sign = sign_char(x, o.sign);
  const int left_chars = 1 + (sign ? 1 : 0);
  if (o.pad_left > left_chars) out.append(static_cast<std::size_t>(o.pad_left - left_chars), ' ');
  if (sign) out += sign;

  std::string digits;
  int print_exponent =
      dragon4(x, o.unique, CutoffMode::kTotalLength, o.precision < 0 ? -1 : o.precision + 1,
              o.min_digits < 0 ? -1 : o.min_digits + 1, kBufferSize - static_cast<int>(out.size()), digits);
  out += digits[0];
  int fraction_digits = static_cast<int>(digits.size()) - 1;
  if (fraction_digits > 0) {
    out += '.';
    out += digits.substr(1);
  }
  if (o.trim != Trim::kDptZeros && fraction_digits == 0) out += '.';

  const int add_digits = std::max(o.unique ? o.min_digits : o.precision, 0);
  if (o.trim == Trim::kLeaveOneZero) {
    if (fraction_digits == 0) {
      out += '0';
      ++fraction_digits;
    }
  } else if (o.trim == Trim::kKeep && add_digits > fraction_digits) {
    out.append(static_cast<std::size_t>(add_digits - fraction_digits), '0');
    fraction_digits = add_digits;
  }
  if (o.trim != Trim::kKeep && fraction_digits > 0) {
    fraction_digits = trim_trailing_zeros(out, fraction_digits);
    if (o.trim == Trim::kLeaveOneZero && out.back() == '.') out += '0';
  }

  const int exp_digits = o.exp_digits < 0 ? 2 : std::min(o.exp_digits, 5);
  out += 'e';
  out += print_exponent < 0 ? '-' : '+';
  std::string e = std::to_string(std::abs(print_exponent));
  if (static_cast<int>(e.size()) < exp_digits) e.insert(0, static_cast<std::size_t>(exp_digits) - e.size(), '0');
  out += e;
  return out;
}

std::string format_float_scalar(const FloatBits& x, double value, double max_positional) {
  const double a = std::fabs(value);
  FloatFormatOptions o;
  if (x.nan || x.inf || a == 0 || (1e-4 <= a && a < max_positional)) {
    o.trim = Trim::kLeaveOneZero;
    return format_float_positional(x, o);
  }
  o.trim = Trim::kDptZeros;
  return format_float_scientific(x, o);
}

}  // namespace tapeflow::detail
