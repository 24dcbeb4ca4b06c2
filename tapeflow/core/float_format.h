// NumPy's float-to-text conversion (Dragon4 as in numpy/_core/src/multiarray/dragon4.c): the
// digits of a float16/float32/float64 value in its own precision, shortest-unique or exact,
// positional or scientific, with NumPy's trim and padding options. Tensor printing builds on it.
#pragma once
#include <cstdint>
#include <string>

#include "tapeflow/util/half.h"

namespace tapeflow::detail {

/// A binary float taken apart as value = mantissa * 2^exponent (NumPy's decomposition).
struct FloatBits {
  uint64_t mantissa = 0;
  int exponent = 0;
  int mantissa_bit = 0;          // index of the highest set mantissa bit
  bool unequal_margins = false;  // a power of two: the gap below is half the gap above
  bool negative = false;
  bool nan = false;
  bool inf = false;

  static FloatBits of(double v);
  static FloatBits of(float v);
  static FloatBits of(float16_t v);
};

/// NumPy's trim modes: 'k' keeps trailing zeros, '.' trims them but keeps the point ("1."),
/// '0' leaves one zero after the point ("1.0"), '-' trims zeros and the point ("1").
enum class Trim { kKeep, kZeros, kLeaveOneZero, kDptZeros };

struct FloatFormatOptions {
  int precision = -1;      // at most this many digits after the point; -1: no limit
  int min_digits = -1;     // at least this many digits after the point (unique mode); -1: none
  bool unique = true;      // shortest digits that round-trip, else exact digits up to precision
  bool fractional = true;  // positional: precision counts fraction digits (else all digits)
  Trim trim = Trim::kKeep;
  bool sign = false;    // always print a sign
  int pad_left = -1;    // pad with spaces to this many characters left of the point
  int pad_right = -1;   // positional: pad with spaces to this many characters right of the point
  int exp_digits = -1;  // scientific: at least this many exponent digits (-1: 2)
};

/// np.format_float_positional's core (dragon4_positional): "3.14", "1.", "nan", "-inf".
std::string format_float_positional(const FloatBits& x, const FloatFormatOptions& options);
/// np.format_float_scientific's core (dragon4_scientific): "2.6894143e-01", "1.e+20".
std::string format_float_scientific(const FloatBits& x, const FloatFormatOptions& options);

/// str() of a NumPy float scalar: positional when 1e-4 <= |x| < max_positional ("10.0",
/// "0.0001"), scientific otherwise ("1e-05", "1e+16"), always the shortest repr in the value's
/// type. NumPy 2.3+ uses max_positional 1e3 for float16, 1e6 for float32, 1e16 for float64.
std::string format_float_scalar(const FloatBits& x, double value, double max_positional);

}  // namespace tapeflow::detail
