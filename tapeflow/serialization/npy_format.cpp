// The .npy header parser and writer, and the data decoding (byte order, Fortran order). Every
// size read from the file is checked against the file's length before it is used.
#include "tapeflow/serialization/npy_format.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "tapeflow/core/errors.h"

namespace tapeflow::serialization::npy {

static_assert(std::endian::native == std::endian::little, "the .npy decoder assumes a little-endian host");

namespace {
constexpr std::string_view kMagic = "\x93NUMPY";
constexpr int kMaxRank = 64;  // NumPy's NPY_MAXDIMS

/// A recursive-descent reader of the header's dict literal, NumPy's own subset of Python:
/// string keys, a string, True/False and a tuple of non-negative ints.
class DictParser {
 public:
  DictParser(std::string_view text, const std::string& name) : s_(text), name_(name) {}

  void parse(ArrayInfo& info) {
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = string_literal();
      expect(':');
      if (key == "descr" && !have_descr) {
        info.descr = string_literal();
        have_descr = true;
      } else if (key == "fortran_order" && !have_order) {
        info.fortran_order = boolean();
        have_order = true;
      } else if (key == "shape" && !have_shape) {
        info.shape = shape();
        have_shape = true;
      } else {
        fail("unexpected or repeated key '", key, "'");
      }
      skip_space();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      skip_space();
      if (peek() != '}') fail("expected ',' or '}' at offset ", i_);
    }
    ++i_;
    for (; i_ < s_.size(); ++i_)
      if (s_[i_] != ' ' && s_[i_] != '\n' && s_[i_] != '\t' && s_[i_] != '\r') fail("text after the dict");
    if (!have_descr || !have_order || !have_shape) fail("the dict needs the keys 'descr', 'fortran_order' and 'shape'");
  }

 private:
  template <typename... A> [[noreturn]] void fail(const A&... what) const {
    TF_THROW(DataLossError, "", "read_npy: ", name_, " is not a valid .npy file: bad header dict (",
             detail::str_cat(what...), ")");
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail("expected '", std::string(1, c), "' at offset ", i_);
    ++i_;
  }
  std::string string_literal() {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a string at offset ", i_);
    const std::size_t end = s_.find(quote, i_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string out(s_.substr(i_ + 1, end - i_ - 1));
    if (out.find('\\') != std::string::npos) fail("escapes in a string");
    i_ = end + 1;
    return out;
  }
  bool boolean() {
    skip_space();
    if (s_.substr(i_, 4) == "True") return i_ += 4, true;
    if (s_.substr(i_, 5) == "False") return i_ += 5, false;
    fail("fortran_order must be True or False");
  }
  std::vector<int64_t> shape() {
    std::vector<int64_t> dims;
    expect('(');
    while (true) {
      skip_space();
      if (peek() == ')') break;
      if (peek() < '0' || peek() > '9') fail("a shape holds non-negative integers");
      int64_t d = 0;
      for (; peek() >= '0' && peek() <= '9'; ++i_) {
        if (d > (INT64_MAX - 9) / 10) fail("a dimension does not fit in 64 bits");
        d = d * 10 + (peek() - '0');
      }
      if (peek() == 'L') ++i_;  // Python 2's long literal, in files old NumPy wrote
      dims.push_back(d);
      if (dims.size() > std::size_t(kMaxRank)) fail("more than ", kMaxRank, " dimensions");
      skip_space();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      skip_space();
      if (peek() != ')') fail("expected ',' or ')' in the shape");
      if (dims.size() == 1) fail("a one-dimensional shape is written (n,)");
    }
    ++i_;
    return dims;
  }

  std::string_view s_;
  const std::string& name_;
  std::size_t i_ = 0;
};

uint32_t read_le(std::string_view file, std::size_t at, int bytes) {
  uint32_t v = 0;
  for (int b = bytes - 1; b >= 0; --b) v = (v << 8) | uint8_t(file[at + std::size_t(b)]);
  return v;
}

void parse_descr(ArrayInfo& info, const std::string& name) {
  const std::string& d = info.descr;
  const bool well_formed = d.size() >= 3 && std::string_view("<>|=").find(d[0]) != std::string_view::npos &&
                           std::all_of(d.begin() + 2, d.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                           d.size() <= 6;
  TF_CHECK_TYPED(well_formed, UnimplementedError, "", "read_npy: ", name, ": dtype '", d,
                 "' is not supported (supported: float16/32/64, int8/32/64, uint8, bool)");
  info.kind = d[1];
  info.item_size = std::stoi(d.substr(2));
  info.big_endian = d[0] == '>';
  const bool supported = (info.kind == 'f' && (info.item_size == 2 || info.item_size == 4 || info.item_size == 8)) ||
                         (info.kind == 'i' && (info.item_size == 1 || info.item_size == 4 || info.item_size == 8)) ||
                         (info.kind == 'u' && info.item_size == 1) || (info.kind == 'b' && info.item_size == 1);
  TF_CHECK_TYPED(supported, UnimplementedError, "", "read_npy: ", name, ": dtype '", d,
                 "' is not supported (supported: float16/32/64, int8/32/64, uint8, bool)");
}
}  // namespace

std::size_t header_size(std::string_view file, uint64_t file_size, const std::string& name) {
  auto corrupt = [&](const auto&... what) {
    TF_THROW(DataLossError, "", "read_npy: ", name, " is not a valid .npy file: ", what...);
  };
  if (file.size() < 10 || file.substr(0, 6) != kMagic) corrupt("bad magic (expected \\x93NUMPY)");
  const int major = uint8_t(file[6]), minor = uint8_t(file[7]);
  if (major < 1 || major > 3 || minor != 0) corrupt("unknown format version ", major, ".", minor);
  const int len_bytes = major == 1 ? 2 : 4;
  const std::size_t start = 8 + std::size_t(len_bytes);
  if (file.size() < start) corrupt("truncated header");
  const std::size_t header_len = read_le(file, 8, len_bytes);
  if (header_len > file_size - start) corrupt("the header claims ", header_len, " bytes, the file holds ", file_size);
  return start + header_len;
}

ArrayInfo parse_header(std::string_view file, const std::string& name) { return parse_header(file, file.size(), name); }

ArrayInfo parse_header(std::string_view head, uint64_t file_size, const std::string& name) {
  auto corrupt = [&](const auto&... what) {
    TF_THROW(DataLossError, "", "read_npy: ", name, " is not a valid .npy file: ", what...);
  };
  const std::size_t data_offset = header_size(head, file_size, name);
  if (head.size() < data_offset) corrupt("truncated header");
  const std::size_t start = uint8_t(head[6]) == 1 ? 10 : 12;
  ArrayInfo info;
  DictParser(head.substr(start, data_offset - start), name).parse(info);
  parse_descr(info, name);
  info.data_offset = data_offset;
  // The element count and the byte count, checked against the data the file really holds.
  uint64_t n = 1;
  for (int64_t d : info.shape)
    if (__builtin_mul_overflow(n, uint64_t(d), &n)) corrupt("the shape's element count overflows");
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(n, uint64_t(info.item_size), &bytes) || bytes > file_size - info.data_offset)
    corrupt("truncated data: the shape needs ", n, " elements of ", info.item_size, " bytes, the file holds ",
            file_size - info.data_offset, " bytes after the header");
  info.num_elements = int64_t(n);
  return info;
}

std::string decode_data(std::string_view file, const ArrayInfo& info) {
  const std::size_t item = std::size_t(info.item_size), n = std::size_t(info.num_elements);
  std::string out(file.substr(info.data_offset, n * item));
  if (info.big_endian && item > 1)
    for (std::size_t i = 0; i < n; ++i)
      std::reverse(out.begin() + std::ptrdiff_t(i * item), out.begin() + std::ptrdiff_t((i + 1) * item));
  if (info.kind == 'b')
    for (char& c : out) c = c != 0;
  if (info.fortran_order && info.shape.size() > 1 && n > 0) {
    // Element (i0, ..., ik) is at sum(i_j * fstride_j) in the file; walk the C order.
    const std::size_t rank = info.shape.size();
    std::vector<std::size_t> fstride(rank), index(rank, 0);
    std::size_t s = 1;
    for (std::size_t j = 0; j < rank; ++j) fstride[j] = s, s *= std::size_t(info.shape[j]);
    std::string c_order(out.size(), '\0');
    std::size_t src = 0;
    for (std::size_t i = 0; i < n; ++i) {
      std::memcpy(&c_order[i * item], &out[src * item], item);
      for (std::size_t j = rank; j-- > 0;) {  // the C-order odometer, tracking the Fortran offset
        src += fstride[j];
        if (++index[j] < std::size_t(info.shape[j])) break;
        src -= fstride[j] * index[j];
        index[j] = 0;
      }
    }
    out.swap(c_order);
  }
  return out;
}

std::string make_header(const std::string& descr, const std::vector<int64_t>& shape) {
  std::string dims;
  for (int64_t d : shape) dims += std::to_string(d) + ", ";
  if (shape.size() > 1)
    dims.resize(dims.size() - 2);  // (2, 3) but (5,) and ()
  else if (shape.size() == 1)
    dims.pop_back();
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  const bool v1 = dict.size() + 1 + 10 < 65536;
  const std::size_t prefix = v1 ? 10 : 12;
  const std::size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  std::string out(kMagic);
  out += char(v1 ? 1 : 2);
  out += char(0);
  const std::size_t len = dict.size();
  for (std::size_t b = 0; b < (v1 ? 2u : 4u); ++b) out += char((len >> (8 * b)) & 0xff);
  return out + dict;
}

}  // namespace tapeflow::serialization::npy
