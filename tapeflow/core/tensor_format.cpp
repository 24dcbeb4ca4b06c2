// Printing tensor values as NumPy's str() does, which is what TF's print(t) and
// print(t.numpy()) show, and as NumPy's repr() does (a Variable's "numpy=" text):
// np.array2string with NumPy 2's defaults (precision 8, floatmode 'maxprec', linewidth 75,
// threshold 1000, edgeitems 3), ported from numpy/_core/arrayprint.py.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "tapeflow/core/float_format.h"
#include "tapeflow/core/tensor.h"

namespace tapeflow {

namespace {

using detail::FloatBits;
using detail::FloatFormatOptions;
using detail::Trim;

constexpr int kLineWidth = 75;
constexpr int64_t kThreshold = 1000;  // more elements than this print summarized
constexpr int64_t kEdgeItems = 3;     // elements kept at each end of a summarized axis
constexpr int kPrecision = 8;

// ---- which elements are shown ----------------------------------------------------------------

/// The elements NumPy formats: all of them, or, for a summarized tensor, the first and last
/// kEdgeItems along every axis longer than 2 * kEdgeItems (arrayprint's _leading_trailing).
/// Column widths are computed from these elements only, as NumPy does.
struct Shown {
  std::vector<int64_t> dims;     // extent of each axis after summarizing
  std::vector<bool> summarized;  // axis prints "..." after its first kEdgeItems entries
  std::vector<int64_t> flat;     // row-major indices into the tensor of the shown elements
};

Shown shown_elements(const Shape& shape) {
  Shown s;
  const int rank = shape.rank();
  const bool summarize = shape.num_elements() > kThreshold;
  std::vector<std::vector<int64_t>> keep(static_cast<std::size_t>(rank));
  for (int a = 0; a < rank; ++a) {
    const int64_t n = shape.dim(a);
    const bool cut = summarize && n > 2 * kEdgeItems;
    s.summarized.push_back(cut);
    auto& k = keep[static_cast<std::size_t>(a)];
    for (int64_t i = 0; i < n; ++i)
      if (!cut || i < kEdgeItems || i >= n - kEdgeItems) k.push_back(i);
    s.dims.push_back(static_cast<int64_t>(k.size()));
  }
  // Row-major walk over the kept indices of every axis.
  std::vector<int64_t> strides(static_cast<std::size_t>(rank), 1);
  for (int a = rank - 2; a >= 0; --a)
    strides[static_cast<std::size_t>(a)] = strides[static_cast<std::size_t>(a) + 1] * shape.dim(a + 1);
  std::vector<std::size_t> pos(static_cast<std::size_t>(rank), 0);
  for (;;) {
    int64_t flat = 0;
    for (std::size_t a = 0; a < pos.size(); ++a) flat += keep[a][pos[a]] * strides[a];
    s.flat.push_back(flat);
    int a = rank - 1;
    for (; a >= 0; --a) {
      auto ua = static_cast<std::size_t>(a);
      if (++pos[ua] < keep[ua].size()) break;
      pos[ua] = 0;
    }
    if (a < 0) break;
  }
  return s;
}

// ---- element formatters ----------------------------------------------------------------------

/// How NumPy compares and divides a float dtype's values: in that dtype (NEP 50 casts a Python
/// float operand to it), and which magnitude switches to scientific notation.
template <typename T> struct FloatDTypeRules;
template <> struct FloatDTypeRules<double> {
  static constexpr double kExpCutoffMax = 1e8;    // 10 ** min(8, finfo.precision = 15)
  static constexpr double kMaxPositional = 1e16;  // a scalar's str() turns scientific here
  static double small() { return 1e-4; }
  static double ratio(double max, double min) { return max / min; }
};
template <> struct FloatDTypeRules<float> {
  static constexpr double kExpCutoffMax = 1e6;  // finfo(float32).precision = 6
  static constexpr double kMaxPositional = 1e6;
  static double small() { return static_cast<float>(1e-4); }
  static double ratio(double max, double min) { return static_cast<float>(max) / static_cast<float>(min); }
};
template <> struct FloatDTypeRules<float16_t> {
  static constexpr double kExpCutoffMax = 1e3;  // finfo(float16).precision = 3
  static constexpr double kMaxPositional = 1e3;
  static double small() { return static_cast<float>(float16_t(1e-4)); }
  static double ratio(double max, double min) {
    return static_cast<float>(float16_t(static_cast<float>(max) / static_cast<float>(min)));
  }
};

/// arrayprint's FloatingFormat: one width and notation for all shown elements.
template <typename T> std::vector<std::string> format_floats(const std::vector<T>& values) {
  using Rules = FloatDTypeRules<T>;
  std::vector<FloatBits> bits;
  bits.reserve(values.size());
  double max_abs = 0, min_abs = INFINITY;
  bool any_nonfinite = false, any_neginf = false;
  std::vector<const FloatBits*> finite;
  for (const T& v : values) bits.push_back(FloatBits::of(v));
  for (std::size_t i = 0; i < values.size(); ++i) {
    const FloatBits& b = bits[i];
    if (b.nan || b.inf) {
      any_nonfinite = true;
      any_neginf |= b.inf && b.negative;
      continue;
    }
    finite.push_back(&b);
    const double a = std::fabs(static_cast<double>(values[i]));
    if (a != 0) {
      max_abs = std::max(max_abs, a);
      min_abs = std::min(min_abs, a);
    }
  }
  const bool exp_format = max_abs > 0 && (max_abs >= Rules::kExpCutoffMax || min_abs < Rules::small() ||
                                          Rules::ratio(max_abs, min_abs) > 1000.0);

  FloatFormatOptions o;
  o.precision = kPrecision;
  o.trim = Trim::kZeros;
  int pad_left = 0, pad_right = 0;
  if (!finite.empty() && exp_format) {
    // First pass: shortest digits (at most kPrecision), then pad all to the longest.
    int frac_len = 0, exp_len = 0;
    for (const FloatBits* b : finite) {
      const std::string s = detail::format_float_scientific(*b, o);
      const std::size_t dot = s.find('.'), e = s.find('e');
      pad_left = std::max(pad_left, static_cast<int>(dot));
      frac_len = std::max(frac_len, static_cast<int>(e - dot - 1));
      exp_len = std::max(exp_len, static_cast<int>(s.size() - e - 2));
    }
    o.precision = frac_len;
    o.min_digits = frac_len;
    o.trim = Trim::kKeep;
    o.exp_digits = exp_len;
    pad_right = exp_len + 2 + frac_len;
  } else if (!finite.empty()) {
    for (const FloatBits* b : finite) {
      const std::string s = detail::format_float_positional(*b, o);
      const std::size_t dot = s.find('.');
      pad_left = std::max(pad_left, static_cast<int>(dot));
      pad_right = std::max(pad_right, static_cast<int>(s.size() - dot - 1));
    }
    o.min_digits = 0;
    o.pad_right = pad_right;
  }
  if (any_nonfinite) {  // "nan", "inf" and "-inf" may need more room left of the point
    const int offset = pad_right + 1;
    pad_left = std::max({pad_left, 3 - offset, 3 + (any_neginf ? 1 : 0) - offset});
  }
  o.pad_left = pad_left;

  std::vector<std::string> words;
  words.reserve(values.size());
  for (const FloatBits& b : bits) {
    if (b.nan || b.inf) {
      const std::string w = b.nan ? "nan" : (b.negative ? "-inf" : "inf");
      const int width = pad_left + 1 + pad_right;
      words.push_back(std::string(static_cast<std::size_t>(std::max(0, width - static_cast<int>(w.size()))), ' ') + w);
    } else {
      words.push_back(exp_format ? detail::format_float_scientific(b, o) : detail::format_float_positional(b, o));
    }
  }
  return words;
}

/// bfloat16 is ml_dtypes' type, not a NumPy float: NumPy prints each element with its repr,
/// which is C++ `ostream << float` (%g, 6 significant digits), NaN without a sign, no padding.
std::string bfloat16_repr(bfloat16_t v) {
  const float f = static_cast<float>(v);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", std::isnan(f) ? static_cast<double>(std::fabs(f)) : static_cast<double>(f));
  return buf;
}

/// repr(bytes): b'Gray wolf'; double quotes when the text holds ' but no ", other bytes \xhh.
std::string bytes_repr(const std::string& s) {
  const char quote = s.find('\'') != std::string::npos && s.find('"') == std::string::npos ? '"' : '\'';
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "b";
  out += quote;
  for (unsigned char c : s) {
    if (c == '\\' || c == static_cast<unsigned char>(quote)) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 32 || c >= 127) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

/// arrayprint's IntegerFormat: right-aligned to the wider of the largest and smallest value.
template <typename T> std::vector<std::string> format_integers(const std::vector<T>& values) {
  std::vector<std::string> words;
  std::size_t width = 0;
  if (!values.empty()) {
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    width =
        std::max(std::to_string(static_cast<int64_t>(*lo)).size(), std::to_string(static_cast<int64_t>(*hi)).size());
  }
  for (const T& v : values) {
    std::string s = std::to_string(static_cast<int64_t>(v));
    words.push_back(std::string(width - std::min(width, s.size()), ' ') + s);
  }
  return words;
}

/// The formatted shown elements of a tensor of rank >= 1, in row-major order.
std::vector<std::string> format_elements(const Tensor& t, const std::vector<int64_t>& flat) {
  return visit_all(t.dtype(), "print", [&]<typename T>() -> std::vector<std::string> {
    const std::vector<T> all = t.to_vector<T>();
    std::vector<T> shown;
    shown.reserve(flat.size());
    for (int64_t i : flat) shown.push_back(all[static_cast<std::size_t>(i)]);
    std::vector<std::string> words;
    if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float> || std::is_same_v<T, float16_t>) {
      return format_floats(shown);
    } else if constexpr (std::is_same_v<T, bfloat16_t>) {
      for (bfloat16_t v : shown) words.push_back(bfloat16_repr(v));
    } else if constexpr (std::is_same_v<T, bool>) {
      for (bool v : shown) words.push_back(v ? " True" : "False");
    } else if constexpr (std::is_same_v<T, std::string>) {
      for (const std::string& v : shown) words.push_back(bytes_repr(v));
    } else {
      return format_integers(shown);
    }
    return words;
  });
}

/// str() of a 0-d tensor: the NumPy scalar's str ("10.0", "1e-05", "4", "True", b'x').
std::string format_scalar(const Tensor& t) {
  return visit_all(t.dtype(), "print", [&]<typename T>() -> std::string {
    const T v = t.to_vector<T>()[0];
    if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float> || std::is_same_v<T, float16_t>) {
      return detail::format_float_scalar(FloatBits::of(v), static_cast<double>(v), FloatDTypeRules<T>::kMaxPositional);
    } else if constexpr (std::is_same_v<T, bfloat16_t>) {
      return bfloat16_repr(v);
    } else if constexpr (std::is_same_v<T, bool>) {
      return v ? "True" : "False";
    } else if constexpr (std::is_same_v<T, std::string>) {
      return bytes_repr(v);
    } else {
      return std::to_string(static_cast<int64_t>(v));
    }
  });
}

// ---- layout: arrayprint's _formatArray -------------------------------------------------------

std::string rstrip(const std::string& s) {
  const std::size_t end = s.find_last_not_of(" \t\n");
  return end == std::string::npos ? std::string() : s.substr(0, end + 1);
}

/// Appends `word` to `line`, first moving to a new line when it would pass `width` (unless the
/// line holds nothing but its indent, where wrapping would not help).
void extend_line(std::string& s, std::string& line, const std::string& word, std::size_t width,
                 const std::string& next_line_prefix) {
  const bool wrap = line.size() + word.size() > width && line.size() > next_line_prefix.size();
  if (wrap) {
    s += rstrip(line) + "\n";
    line = next_line_prefix;
  }
  line += word;
}

class ArrayLayout {
 public:
  ArrayLayout(const Shown& shown, const std::vector<std::string>& words, std::string separator)
      : shown_(shown), words_(words), separator_(std::move(separator)) {
    strides_.assign(shown.dims.size(), 1);
    for (std::size_t a = shown.dims.size(); a-- > 1;) strides_[a - 1] = strides_[a] * shown.dims[a];
  }

  std::string format(const std::string& next_line_prefix, int line_width) const {
    return recurse(0, 0, next_line_prefix, line_width);
  }

 private:
  std::string recurse(std::size_t axis, int64_t base, const std::string& hanging_indent, int width) const {
    if (axis == shown_.dims.size()) return words_[static_cast<std::size_t>(base)];
    const std::string next_indent = hanging_indent + " ";
    const int next_width = width - 1;  // room for the closing ']'
    const int64_t n = shown_.dims[axis];
    const bool summary = shown_.summarized[axis];
    const std::size_t axes_left = shown_.dims.size() - axis;
    auto child = [&](int64_t i) { return recurse(axis + 1, base + i * strides_[axis], next_indent, next_width); };

    std::string s;
    if (axes_left == 1) {
      const std::size_t rstripped_sep = rstrip(separator_).size();
      const auto elem_width =
          static_cast<std::size_t>(width - static_cast<int>(std::max<std::size_t>(rstripped_sep, 1)));
      std::string line = hanging_indent;
      for (int64_t i = 0; i < n; ++i) {
        extend_line(s, line, child(i), elem_width, hanging_indent);
        if (i + 1 < n) line += separator_;
        if (summary && i + 1 == kEdgeItems) {
          extend_line(s, line, "...", elem_width, hanging_indent);
          line += separator_;
        }
      }
      s += line;
    } else {
      const std::string line_sep = rstrip(separator_) + std::string(axes_left - 1, '\n');
      for (int64_t i = 0; i < n; ++i) {
        s += hanging_indent + child(i);
        if (i + 1 < n) s += line_sep;
        if (summary && i + 1 == kEdgeItems) s += hanging_indent + "..." + line_sep;
      }
    }
    // Drop the first line's hanging indent and wrap in brackets.
    std::string out = "[";
    out.append(s, hanging_indent.size(), std::string::npos);
    out += ']';
    return out;
  }

  const Shown& shown_;
  const std::vector<std::string>& words_;
  std::string separator_;
  std::vector<int64_t> strides_;
};

/// repr() of the Python item TF shows for a 0-d tensor's repr: floats through Python's float
/// repr of the value as a double ("0.10000000149011612"), ints, True/False, b'bytes'.
std::string format_python_item(const Tensor& t) {
  return visit_all(t.dtype(), "repr", [&]<typename T>() -> std::string {
    const T v = t.to_vector<T>()[0];
    if constexpr (std::is_same_v<T, bool>) {
      return v ? "True" : "False";
    } else if constexpr (std::is_same_v<T, std::string>) {
      return bytes_repr(v);
    } else if constexpr (std::is_integral_v<T>) {
      return std::to_string(static_cast<int64_t>(v));
    } else {
      double d;
      if constexpr (std::is_same_v<T, double>)
        d = v;
      else
        d = static_cast<double>(static_cast<float>(v));
      return detail::format_float_scalar(FloatBits::of(d), d, 1e16);
    }
  });
}

/// NumPy leaves out the dtype of float64, int64 and bool arrays; strings are object arrays.
std::string numpy_dtype_suffix(DType dt) {
  switch (dt) {
    case DType::kFloat64:
    case DType::kInt64:
    case DType::kBool: return "";
    case DType::kString: return "object";
    default: return std::string(dtype_name(dt));
  }
}

}  // namespace

std::string format_values(const Tensor& t) {
  if (t.rank() == 0) return format_scalar(t);
  if (t.size() == 0) return "[]";
  const Shown shown = shown_elements(t.shape());
  const std::vector<std::string> words = format_elements(t, shown.flat);
  return ArrayLayout(shown, words, " ").format(" ", kLineWidth);
}

std::string format_values_repr(const Tensor& t) {
  if (t.rank() == 0) return format_python_item(t);
  // arrayprint's _array_repr_implementation: array2string(separator=", ", prefix="array(",
  // suffix=")") and the shape/dtype NumPy cannot infer from the text.
  const std::string prefix = "array(";
  std::string list = "[]";
  if (t.size() > 0) {
    const Shown shown = shown_elements(t.shape());
    const std::vector<std::string> words = format_elements(t, shown.flat);
    list = ArrayLayout(shown, words, ", ").format(std::string(prefix.size() + 1, ' '), kLineWidth - 1);
  }
  std::string extras;
  const bool empty_not_1d = t.size() == 0 && !(t.rank() == 1 && t.shape().dim(0) == 0);
  if (empty_not_1d || t.size() > kThreshold) extras = "shape=" + t.shape().to_string();
  const std::string dtype = numpy_dtype_suffix(t.dtype());
  if (!dtype.empty() || t.size() == 0)
    extras += (extras.empty() ? "dtype=" : ", dtype=") + (dtype.empty() ? std::string(dtype_name(t.dtype())) : dtype);
  if (extras.empty()) return prefix + list + ")";
  // The extras go on a new line when they would push the last line past the line width.
  std::string out = prefix + list + ",";
  extras += ")";
  const std::size_t last_line = out.size() - (out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
  if (last_line + extras.size() + 1 > static_cast<std::size_t>(kLineWidth))
    out += "\n" + std::string(prefix.size(), ' ');
  else
    out += ' ';
  return out + extras;
}

}  // namespace tapeflow
