// CPU kernels of the string ops. Strings are std::string elements; every kernel reads a
// contiguous copy of its input. Split kernels emit the ragged parts (values, row_splits).
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "tapeflow/core/ops/strings.h"
#include "tapeflow/kernels/cpu/registration.h"

namespace tapeflow::kernels::cpu {
namespace {

const std::string* strings_of(const Tensor& t) { return static_cast<const std::string*>(t.raw_data()); }

// ---- UTF-8 -------------------------------------------------------------------------------------
/// Decodes one UTF-8 character at s[i]; advances i. Invalid or truncated bytes give U+FFFD and
/// consume one byte (TF's errors="replace").
int32_t next_code_point(const std::string& s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  int n = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + static_cast<std::size_t>(n) > s.size()) {
    ++i;
    return 0xFFFD;
  }
  int32_t cp = n == 1 ? b0 : b0 & (0x7F >> n);
  for (int k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((b >> 6) != 0x2) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  i += static_cast<std::size_t>(n);
  return cp;
}
/// Byte length of the UTF-8 character starting at s[i] (1 for an invalid byte).
std::size_t char_bytes(const std::string& s, std::size_t i) {
  std::size_t j = i;
  next_code_point(s, j);
  return j - i;
}

// ---- split family --------------------------------------------------------------------------
/// Python's str.split semantics (TF's SplitV2).
void split_v2(const std::string& s, const std::optional<std::string>& sep, int64_t maxsplit,
              std::vector<std::string>& out) {
  if (maxsplit == 0) {
    out.push_back(s);
    return;
  }
  int64_t splits = 0;
  if (!sep) {
    std::size_t i = 0;
    auto ws = [&](std::size_t k) { return std::isspace(static_cast<unsigned char>(s[k])) != 0; };
    while (i < s.size()) {
      while (i < s.size() && ws(i)) ++i;
      if (i == s.size()) break;
      if (maxsplit > 0 && splits == maxsplit) {
        std::size_t e = s.size();
        while (e > i && ws(e - 1)) --e;
        out.push_back(s.substr(i, e - i));
        break;
      }
      std::size_t j = i;
      while (j < s.size() && !ws(j)) ++j;
      out.push_back(s.substr(i, j - i));
      ++splits;
      i = j;
    }
    return;
  }
  std::size_t start = 0, p;
  while ((maxsplit < 0 || splits < maxsplit) && (p = s.find(*sep, start)) != std::string::npos) {
    out.push_back(s.substr(start, p - start));
    start = p + sep->size();
    ++splits;
  }
  out.push_back(s.substr(start));
}

template <typename V, typename PerString> void split_kernel(KernelContext& ctx, DType dtype, PerString per_string) {
  const Tensor in = ctx.input(0).contiguous();
  const std::string* s = strings_of(in);
  std::vector<V> values;
  std::vector<int64_t> splits{0};
  for (int64_t i = 0; i < in.size(); ++i) {
    per_string(s[i], values);
    splits.push_back(static_cast<int64_t>(values.size()));
  }
  Tensor v = Tensor::empty(Shape{static_cast<int64_t>(values.size())}, dtype, kCPU0);
  std::copy(values.begin(), values.end(), static_cast<V*>(v.raw_data()));
  Tensor rs = Tensor::empty(Shape{static_cast<int64_t>(splits.size())}, DType::kInt64, kCPU0);
  std::copy(splits.begin(), splits.end(), rs.data<int64_t>());
  ctx.outputs.push_back(std::move(v));
  ctx.outputs.push_back(std::move(rs));
}

void string_split_v2_kernel(KernelContext& ctx) {
  const auto& a = ctx.attr<ops::StringSplitAttrs>();
  split_kernel<std::string>(ctx, DType::kString, [&](const std::string& s, std::vector<std::string>& out) {
    split_v2(s, a.sep, a.maxsplit, out);
  });
}
void bytes_split_kernel(KernelContext& ctx) {
  split_kernel<std::string>(ctx, DType::kString, [](const std::string& s, std::vector<std::string>& out) {
    for (char c : s) out.emplace_back(1, c);
  });
}
void unicode_split_kernel(KernelContext& ctx) {
  split_kernel<std::string>(ctx, DType::kString, [](const std::string& s, std::vector<std::string>& out) {
    for (std::size_t i = 0; i < s.size();) {
      std::size_t n = char_bytes(s, i);
      out.push_back(s.substr(i, n));
      i += n;
    }
  });
}
void unicode_decode_kernel(KernelContext& ctx) {
  split_kernel<int32_t>(ctx, DType::kInt32, [](const std::string& s, std::vector<int32_t>& out) {
    for (std::size_t i = 0; i < s.size();) out.push_back(next_code_point(s, i));
  });
}

// ---- elementwise -----------------------------------------------------------------------------
/// Strict parse of the whole string (surrounding whitespace allowed), as TF's safe_strto*.
template <typename T> bool parse_number(const std::string& str, T& out) {
  std::size_t b = 0, e = str.size();
  while (b < e && std::isspace(static_cast<unsigned char>(str[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(str[e - 1]))) --e;
  if (b == e) return false;
  const std::string s = str.substr(b, e - b);
  char* end = nullptr;
  errno = 0;
  if constexpr (std::is_floating_point_v<T>) {
    double d = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size()) return false;
    // Out-of-range magnitudes become +-inf as in TF (strtod returns HUGE_VAL with ERANGE).
    out = static_cast<T>(d);
  } else {
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (end != s.c_str() + s.size() || errno == ERANGE) return false;
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return false;
    out = static_cast<T>(v);
  }
  return true;
}

void string_to_number_kernel(KernelContext& ctx) {
  const Tensor in = ctx.input(0).contiguous();
  const std::string* s = strings_of(in);
  Tensor& out = ctx.output(0);
  auto run = [&]<typename T>() {
    T* o = out.data<T>();
    for (int64_t i = 0; i < in.size(); ++i)
      TF_CHECK_ARG(parse_number<T>(s[i], o[i]), "StringToNumber",
                   "StringToNumberOp could not correctly convert string: ", s[i]);
  };
  switch (out.dtype()) {
    case DType::kFloat32: run.template operator()<float>(); break;
    case DType::kFloat64: run.template operator()<double>(); break;
    case DType::kInt32: run.template operator()<int32_t>(); break;
    default: run.template operator()<int64_t>(); break;
  }
}

/// TF counts the bytes that are not UTF-8 continuation bytes (10xxxxxx).
int64_t utf8_length(const std::string& s) {
  int64_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

void string_length_kernel(KernelContext& ctx) {
  const Tensor in = ctx.input(0).contiguous();
  const bool chars = ctx.attr<ops::StringLengthAttrs>().utf8_chars;
  const std::string* s = strings_of(in);
  int32_t* o = ctx.output(0).data<int32_t>();
  for (int64_t i = 0; i < in.size(); ++i) o[i] = static_cast<int32_t>(chars ? utf8_length(s[i]) : s[i].size());
}

template <bool kUpper> void case_kernel(KernelContext& ctx) {
  const Tensor in = ctx.input(0).contiguous();
  const std::string* s = strings_of(in);
  std::string* o = ctx.output(0).data<std::string>();
  for (int64_t i = 0; i < in.size(); ++i) {
    o[i] = s[i];
    for (char& c : o[i])
      c = static_cast<char>(kUpper ? std::toupper(static_cast<unsigned char>(c))
                                   : std::tolower(static_cast<unsigned char>(c)));
  }
}

void string_join_kernel(KernelContext& ctx) {
  const std::string& sep = ctx.attr<ops::StringJoinAttrs>().separator;
  std::vector<Tensor> ins;
  for (const Tensor& t : ctx.inputs) ins.push_back(t.contiguous());
  Tensor& out = ctx.output(0);
  std::string* o = out.data<std::string>();
  for (int64_t i = 0; i < out.size(); ++i) {
    std::string r;
    for (std::size_t k = 0; k < ins.size(); ++k) {
      if (k) r += sep;
      r += strings_of(ins[k])[ins[k].ndim() == 0 ? 0 : i];
    }
    o[i] = std::move(r);
  }
}

void reduce_join_kernel(KernelContext& ctx) {
  const auto& a = ctx.attr<ops::ReduceJoinAttrs>();
  const Tensor in = ctx.input(0).contiguous();
  const std::string* s = strings_of(in);
  std::string* o = ctx.output(0).data<std::string>();
  // (outer, n, inner) view of the input around the reduced axis; all axes when none is given.
  int64_t outer = 1, n = in.size(), inner = 1;
  if (a.axis) {
    n = in.shape()[*a.axis];
    for (int d = 0; d < *a.axis; ++d) outer *= in.shape()[d];
    for (int d = *a.axis + 1; d < in.ndim(); ++d) inner *= in.shape()[d];
  }
  for (int64_t p = 0; p < outer; ++p)
    for (int64_t q = 0; q < inner; ++q) {
      std::string r;
      for (int64_t k = 0; k < n; ++k) {
        if (k) r += a.separator;
        r += s[(p * n + k) * inner + q];
      }
      o[p * inner + q] = std::move(r);
    }
}

void substr_kernel(KernelContext& ctx) {
  const auto& a = ctx.attr<ops::SubstrAttrs>();
  const Tensor in = ctx.input(0).contiguous();
  const std::string* s = strings_of(in);
  std::string* o = ctx.output(0).data<std::string>();
  for (int64_t i = 0; i < in.size(); ++i) {
    // Offsets in the unit: bytes, or UTF-8 character starts.
    std::vector<std::size_t> starts;
    if (a.utf8_chars)
      for (std::size_t k = 0; k < s[i].size(); k += char_bytes(s[i], k)) starts.push_back(k);
    const int64_t size = a.utf8_chars ? static_cast<int64_t>(starts.size()) : static_cast<int64_t>(s[i].size());
    const int64_t pos = a.pos < 0 ? a.pos + size : a.pos;
    TF_CHECK_ARG(pos >= 0 && pos <= size, "Substr", "pos ", a.pos, " out of range for string b'", s[i], "' at index ",
                 i);
    const int64_t len = std::min(a.len, size - pos);
    if (!a.utf8_chars) {
      o[i] = s[i].substr(static_cast<std::size_t>(pos), static_cast<std::size_t>(len));
    } else {
      starts.push_back(s[i].size());
      const std::size_t b = starts[static_cast<std::size_t>(pos)], e = starts[static_cast<std::size_t>(pos + len)];
      o[i] = s[i].substr(b, e - b);
    }
  }
}

void as_string_kernel(KernelContext& ctx) {
  const int precision = ctx.attr<ops::AsStringAttrs>().precision;
  const Tensor in = ctx.input(0).contiguous();
  std::string* o = ctx.output(0).data<std::string>();
  visit_pod(in.dtype(), "AsString", [&]<typename T>() {
    const T* v = in.data<T>();
    char buf[512];
    for (int64_t i = 0; i < in.size(); ++i) {
      if constexpr (std::is_same_v<T, bool>) {
        o[i] = v[i] ? "true" : "false";
      } else if constexpr (std::is_integral_v<T>) {
        std::snprintf(buf, sizeof(buf), "%" PRId64, static_cast<int64_t>(v[i]));
        o[i] = buf;
      } else {
        // TF's default format is "%f" (6 decimals); precision sets the decimals.
        double x;
        if constexpr (std::is_floating_point_v<T>)
          x = static_cast<double>(v[i]);
        else
          x = static_cast<double>(static_cast<float>(v[i]));  // float16 / bfloat16
        std::snprintf(buf, sizeof(buf), "%.*f", precision < 0 ? 6 : precision, x);
        o[i] = buf;
      }
    }
  });
}

void decode_raw_kernel(KernelContext& ctx) {
  const Tensor in = ctx.input(0).contiguous();
  const std::string* s = strings_of(in);
  char* o = static_cast<char*>(ctx.output(0).raw_data());
  for (int64_t i = 0; i < in.size(); ++i) {
    std::memcpy(o, s[i].data(), s[i].size());  // the host is little-endian, TF's default
    o += s[i].size();
  }
}

}  // namespace

void register_string_kernels() {
  const DeviceType cpu = DeviceType::kCPU;
  register_kernel(ops::StringSplitV2, cpu, string_split_v2_kernel);
  register_kernel(ops::StringSplit, cpu, bytes_split_kernel);
  register_kernel(ops::UnicodeSplit, cpu, unicode_split_kernel);
  register_kernel(ops::UnicodeDecode, cpu, unicode_decode_kernel);
  register_kernel(ops::StringToNumber, cpu, string_to_number_kernel);
  register_kernel(ops::StringLength, cpu, string_length_kernel);
  register_kernel(ops::StringLower, cpu, case_kernel<false>);
  register_kernel(ops::StringUpper, cpu, case_kernel<true>);
  register_kernel(ops::StringJoin, cpu, string_join_kernel);
  register_kernel(ops::ReduceJoin, cpu, reduce_join_kernel);
  register_kernel(ops::Substr, cpu, substr_kernel);
  register_kernel(ops::AsString, cpu, as_string_kernel);
  register_kernel(ops::DecodeRaw, cpu, decode_raw_kernel);
}

}  // namespace tapeflow::kernels::cpu
