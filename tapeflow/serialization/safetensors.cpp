#include "tapeflow/serialization/safetensors.h"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>

#include "tapeflow/core/errors.h"
#include "tapeflow/serialization/file_io.h"

namespace tapeflow::io {

namespace {
const char* st_dtype(DType dt) {
  switch (dt) {
    case DType::kFloat32: return "F32";
    case DType::kFloat64: return "F64";
    case DType::kFloat16: return "F16";
    case DType::kBFloat16: return "BF16";
    case DType::kInt8: return "I8";
    case DType::kInt32: return "I32";
    case DType::kInt64: return "I64";
    case DType::kUInt8: return "U8";
    case DType::kBool: return "BOOL";
    case DType::kString: return nullptr;
  }
  return nullptr;
}

std::optional<DType> from_st_dtype(const std::string& s) {
  for (int i = 0; i < kNumDTypes; ++i)
    if (const char* n = st_dtype(static_cast<DType>(i)); n && s == n) return static_cast<DType>(i);
  return std::nullopt;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      out += '\\', out += char(c);
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else
      out += char(c);
  }
  return out + "\"";
}

// A small validating JSON reader for the header: objects, arrays, strings, non-negative
// integers (all the header holds); anything else is DataLoss.
class Json {
 public:
  Json(std::string_view s, const std::string& file) : s_(s), file_(file) {}
  [[noreturn]] void fail(const std::string& why) const {
    throw errors::DataLossError("Corrupted safetensors file " + file_ + ": " + why + " (header byte " +
                                std::to_string(pos_) + ")");
  }
  void ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) ++pos_;
  }
  bool peek(char c) {
    ws();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  void expect(char c) {
    if (!peek(c)) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string string() {
    expect('"');
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c == '\\') {
        if (pos_ >= s_.size()) fail("bad escape");
        char e = s_[pos_++];
        if (e == 'u') {
          if (pos_ + 4 > s_.size()) fail("bad \\u escape");
          unsigned v = 0;
          for (int i = 0; i < 4; ++i) {
            char h = s_[pos_++];
            v = v * 16 + unsigned(std::isdigit(h) ? h - '0' : (std::tolower(h) - 'a' + 10));
          }
          if (v < 0x80)
            out += char(v);
          else if (v < 0x800)
            out += char(0xc0 | (v >> 6)), out += char(0x80 | (v & 0x3f));
          else
            out += char(0xe0 | (v >> 12)), out += char(0x80 | ((v >> 6) & 0x3f)), out += char(0x80 | (v & 0x3f));
        } else {
          const char* map = "\"\"\\\\//b\bf\fn\nr\rt\t";
          const char* m = std::strchr(map, e);
          if (!m || (m - map) % 2) fail("bad escape");
          out += m[1];
        }
      } else {
        out += c;
      }
    }
    expect('"');
    return out;
  }
  uint64_t integer() {
    ws();
    if (pos_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[pos_])))
      fail("expected a non-negative integer");
    uint64_t v = 0;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
      const uint64_t d = uint64_t(s_[pos_++] - '0');
      if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) fail("integer overflow");
      v = v * 10 + d;
    }
    return v;
  }
  std::vector<uint64_t> integers() {
    std::vector<uint64_t> out;
    expect('[');
    if (peek(']')) return ++pos_, out;
    do {
      if (out.size() > 64) fail("too many dimensions");
      out.push_back(integer());
    } while (peek(',') && ++pos_);
    expect(']');
    return out;
  }
  // Skips any value (the __metadata__ object of string values, per the format).
  void skip_string_map() {
    expect('{');
    if (peek('}')) return void(++pos_);
    do {
      string();
      expect(':');
      string();
    } while (peek(',') && ++pos_);
    expect('}');
  }
  bool at_end() {
    ws();
    return pos_ == s_.size();
  }
  std::size_t pos_ = 0;

 private:
  std::string_view s_;
  const std::string& file_;
};
}  // namespace

void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors) {
  std::string header = "{";
  uint64_t offset = 0;
  std::map<std::string, int> seen;
  for (const auto& [name, t] : tensors) {
    const char* dt = st_dtype(t.dtype());
    TF_CHECK_ARG(dt, "", "safetensors cannot hold ", dtype_name(t.dtype()), " tensor '", name, "'");
    TF_CHECK_ARG(seen[name]++ == 0, "", "safetensors: tensor name '", name, "' appears twice");
    const uint64_t n = uint64_t(t.size()) * dtype_size(t.dtype());
    if (header.size() > 1) header += ',';
    header.append(json_string(name)).append(":{\"dtype\":\"").append(dt).append("\",\"shape\":[");
    for (int i = 0; i < t.ndim(); ++i) {
      if (i) header += ',';
      header += std::to_string(t.shape()[i]);
    }
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + n) + "]}";
    offset += n;
  }
  header += "}";
  while ((8 + header.size()) % 8) header += ' ';  // the format's alignment of the data section
  serialization::AtomicFile f(path);
  const uint64_t len = header.size();
  f.write(&len, 8);
  f.write(header);
  for (const auto& [name, t] : tensors) {
    std::vector<char> host(static_cast<std::size_t>(t.size()) * dtype_size(t.dtype()));
    detail::copy_to_host(t, host.data());
    f.write(host.data(), host.size());
  }
  f.commit();
}

void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Variable>>& variables) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& [n, v] : variables) tensors.emplace_back(n, v.read_value());
  save_safetensors(path, tensors);
}

std::map<std::string, Tensor> load_safetensors(const std::string& path) {
  const std::string bytes = serialization::read_file(path);
  auto fail = [&](const std::string& why) -> void {
    throw errors::DataLossError("Corrupted safetensors file " + path + ": " + why);
  };
  if (bytes.size() < 8) fail("shorter than its 8-byte header length");
  uint64_t len;
  std::memcpy(&len, bytes.data(), 8);
  if (len > bytes.size() - 8) fail("header length " + std::to_string(len) + " exceeds the file");
  Json j(std::string_view(bytes).substr(8, len), path);
  const std::size_t data_begin = 8 + len, data_size = bytes.size() - data_begin;
  struct Entry {
    DType dtype;
    Shape shape;
    uint64_t begin, end;
  };
  std::map<std::string, Entry> entries;
  j.expect('{');
  if (!j.peek('}')) {
    do {
      const std::string name = j.string();
      j.expect(':');
      if (name == "__metadata__") {
        j.skip_string_map();
        continue;
      }
      std::optional<DType> dtype;
      std::optional<std::vector<uint64_t>> shape, offsets;
      j.expect('{');
      do {
        const std::string field = j.string();
        j.expect(':');
        if (field == "dtype") {
          const std::string d = j.string();
          dtype = from_st_dtype(d);
          if (!dtype)
            throw errors::UnimplementedError("safetensors file " + path + ": tensor '" + name + "' has dtype " + d +
                                             ", which Tapeflow lacks");
        } else if (field == "shape") {
          shape = j.integers();
        } else if (field == "data_offsets") {
          offsets = j.integers();
        } else {
          j.fail("unknown field '" + field + "' of tensor '" + name + "'");
        }
      } while (j.peek(',') && ++j.pos_);
      j.expect('}');
      if (!dtype || !shape || !offsets || offsets->size() != 2)
        j.fail("tensor '" + name + "' lacks dtype, shape or data_offsets");
      uint64_t n = 1;
      DimVector dims;
      for (uint64_t d : *shape) {
        if (d > uint64_t(std::numeric_limits<int64_t>::max()) || (d && n > data_size / d + 1))
          j.fail("tensor '" + name + "' is larger than the file");
        n *= d;
        dims.push_back(int64_t(d));
      }
      const uint64_t b = (*offsets)[0], e = (*offsets)[1];
      if (b > e || e > data_size || e - b != n * dtype_size(*dtype))
        j.fail("tensor '" + name + "' has data_offsets [" + std::to_string(b) + ", " + std::to_string(e) +
               "] that do not match its shape and dtype within the file");
      if (!entries.emplace(name, Entry{*dtype, Shape(dims), b, e}).second)
        j.fail("tensor '" + name + "' appears twice");
    } while (j.peek(',') && ++j.pos_);
  }
  j.expect('}');
  if (!j.at_end()) j.fail("trailing bytes after the header");
  std::map<std::string, Tensor> out;
  for (const auto& [name, e] : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    if (e.end > e.begin) std::memcpy(t.raw_data(), bytes.data() + data_begin + e.begin, e.end - e.begin);
    if (e.dtype == DType::kBool)
      for (uint64_t i = 0; i < e.end - e.begin; ++i)
        if (uint8_t(bytes[data_begin + e.begin + i]) > 1)
          fail("tensor '" + name + "' holds a bool byte other than 0/1");
    out.emplace(name, t);
  }
  return out;
}

}  // namespace tapeflow::io
