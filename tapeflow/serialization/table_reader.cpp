#include "tapeflow/serialization/table_reader.h"

#include <cstdint>
#include <cstring>

#include "tapeflow/core/errors.h"
#include "tapeflow/serialization/crc32c.h"

namespace tapeflow::serialization {

namespace {
// leveldb's table format (table/format.h): a 48-byte footer holding the metaindex and index
// block handles (varint64 offset, size), zero padding, and an 8-byte magic number. Each block is
// followed by a 1-byte compression type and the masked CRC32C of block + type.
constexpr uint64_t kTableMagic = 0xdb4775248b80fb57ull;
constexpr std::size_t kFooterSize = 48;
constexpr std::size_t kBlockTrailerSize = 5;

class Parser {
 public:
  Parser(std::string_view contents, const std::string& filename) : all_(contents), filename_(filename) {}

  [[noreturn]] void fail(const std::string& why) const {
    throw errors::DataLossError("Corrupted checkpoint index " + filename_ + ": " + why);
  }

  static bool get_varint64(std::string_view& in, uint64_t& v) {
    v = 0;
    for (int shift = 0; shift <= 63 && !in.empty(); shift += 7) {
      const auto byte = static_cast<uint8_t>(in[0]);
      in.remove_prefix(1);
      v |= uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return true;
    }
    return false;
  }
  static bool get_varint32(std::string_view& in, uint32_t& v) {
    uint64_t w;
    if (!get_varint64(in, w) || w > 0xffffffffu) return false;
    v = static_cast<uint32_t>(w);
    return true;
  }
  static uint32_t fixed32(const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }

  struct Handle {
    uint64_t offset = 0, size = 0;
  };
  Handle decode_handle(std::string_view& in, const char* what) const {
    Handle h;
    if (!get_varint64(in, h.offset) || !get_varint64(in, h.size)) fail(std::string("bad ") + what + " block handle");
    return h;
  }

  // The contents of a block after its checks: within the file, uncompressed, CRC matching.
  std::string_view block(const Handle& h, const char* what) const {
    const uint64_t end_limit = all_.size() - kFooterSize;
    if (h.offset > end_limit || h.size > end_limit - h.offset || kBlockTrailerSize > end_limit - h.offset - h.size)
      fail(std::string(what) + " block [" + std::to_string(h.offset) + ", +" + std::to_string(h.size) +
           ") lies outside the file of " + std::to_string(all_.size()) + " bytes (truncated?)");
    const char* p = all_.data() + h.offset;
    const char type = p[h.size];
    const uint32_t stored = crc32c::unmask(fixed32(p + h.size + 1));
    const uint32_t actual = crc32c::value(p, h.size + 1);
    if (stored != actual)
      fail(std::string("block checksum mismatch in the ") + what + " block at offset " + std::to_string(h.offset));
    if (type != 0)
      fail(std::string("compressed ") + what + " block (type " + std::to_string(int(type)) +
           "); TensorFlow writes none");
    return {p, static_cast<std::size_t>(h.size)};
  }

  // The entries of a block, in order (prefix-compressed keys; the restart array is checked
  // for bounds only, since entries are read sequentially).
  std::vector<std::pair<std::string, std::string>> entries(std::string_view b, const char* what) const {
    if (b.size() < 4) fail(std::string(what) + " block too short");
    const uint32_t num_restarts = fixed32(b.data() + b.size() - 4);
    if (num_restarts == 0 || num_restarts > (b.size() - 4) / 4)
      fail(std::string(what) + " block has a bad restart count");
    std::string_view data = b.substr(0, b.size() - 4 - 4 * std::size_t(num_restarts));
    std::vector<std::pair<std::string, std::string>> out;
    std::string key;
    while (!data.empty()) {
      uint32_t shared, non_shared, value_len;
      if (!get_varint32(data, shared) || !get_varint32(data, non_shared) || !get_varint32(data, value_len))
        fail(std::string("bad entry header in the ") + what + " block");
      if (shared > key.size() || non_shared > data.size() || value_len > data.size() - non_shared)
        fail(std::string("entry out of bounds in the ") + what + " block");
      key.resize(shared);
      key.append(data.data(), non_shared);
      out.emplace_back(key, std::string(data.substr(non_shared, value_len)));
      data.remove_prefix(non_shared + value_len);
    }
    return out;
  }

  std::vector<std::pair<std::string, std::string>> run() {
    if (all_.size() < kFooterSize)
      fail("file of " + std::to_string(all_.size()) + " bytes is shorter than a table footer");
    const char* footer = all_.data() + all_.size() - kFooterSize;
    uint64_t magic;
    std::memcpy(&magic, footer + 40, 8);
    if (magic != kTableMagic) fail("bad table magic number (not a checkpoint index, or truncated)");
    std::string_view f(footer, 40);
    const Handle meta_handle = decode_handle(f, "metaindex");
    const Handle index_handle = decode_handle(f, "index");
    entries(block(meta_handle, "metaindex"), "metaindex");  // unused (no filter), but checked
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [sep, handle_bytes] : entries(block(index_handle, "index"), "index")) {
      std::string_view hb = handle_bytes;
      const Handle h = decode_handle(hb, "data");
      for (auto& kv : entries(block(h, "data"), "data")) {
        if (!out.empty() && kv.first <= out.back().first) fail("keys out of order at '" + kv.first + "'");
        if (kv.first > sep) fail("key '" + kv.first + "' lies beyond its block's index separator");
        out.push_back(std::move(kv));
      }
    }
    return out;
  }

 private:
  std::string_view all_;
  const std::string& filename_;
};
}  // namespace

std::vector<std::pair<std::string, std::string>> read_table(std::string_view contents, const std::string& filename) {
  return Parser(contents, filename).run();
}

}  // namespace tapeflow::serialization
