// TFRecord framing and its checked reader (record_writer.h).
#include "tapeflow/serialization/record_writer.h"

#include <cstring>

#include "tapeflow/core/errors.h"
#include "tapeflow/serialization/crc32c.h"
#include "tapeflow/serialization/file_io.h"

namespace tapeflow::serialization {
namespace {

void put_u32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_u64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

void append_record(std::string& out, std::string_view data) {
  char header[12];
  put_u64(header, data.size());
  put_u32(header + 8, crc32c::mask(crc32c::value(header, 8)));
  char footer[4];
  put_u32(footer, crc32c::mask(crc32c::value(data)));
  out.append(header, sizeof header);
  out.append(data);
  out.append(footer, sizeof footer);
}

RecordWriter::RecordWriter(std::string path) : path_(std::move(path)) {
  file_ = std::fopen(path_.c_str(), "wb");
  TF_CHECK_TYPED(file_ != nullptr, FailedPreconditionError, "", "cannot create the record file '", path_,
                 "': ", std::strerror(errno));
}

RecordWriter::~RecordWriter() {
  if (file_) std::fclose(file_);
}

void RecordWriter::write_record(std::string_view data) {
  TF_CHECK_TYPED(file_ != nullptr, FailedPreconditionError, "", "record file '", path_, "' is closed");
  frame_.clear();
  append_record(frame_, data);
  TF_CHECK_TYPED(std::fwrite(frame_.data(), 1, frame_.size(), file_) == frame_.size(), DataLossError, "",
                 "writing the record file '", path_, "' failed: ", std::strerror(errno));
}

void RecordWriter::flush() {
  if (file_)
    TF_CHECK_TYPED(std::fflush(file_) == 0, DataLossError, "", "flushing the record file '", path_,
                   "' failed: ", std::strerror(errno));
}

void RecordWriter::close() {
  if (!file_) return;
  const bool ok = std::fclose(file_) == 0;
  file_ = nullptr;
  TF_CHECK_TYPED(ok, DataLossError, "", "closing the record file '", path_, "' failed");
}

std::vector<std::string> parse_records(std::string_view bytes, bool* torn) {
  std::vector<std::string> out;
  if (torn) *torn = false;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 12) {
      if (torn) *torn = true;
      break;
    }
    const char* h = bytes.data() + pos;
    TF_CHECK_TYPED(crc32c::unmask(get_u32(h + 8)) == crc32c::value(h, 8), DataLossError, "",
                   "corrupted record at offset ", pos, ": the length's CRC does not match");
    const uint64_t n = get_u64(h);
    if (n > bytes.size() - pos - 12 || bytes.size() - pos - 12 - n < 4) {
      if (torn) *torn = true;
      break;
    }
    std::string_view data = bytes.substr(pos + 12, n);
    TF_CHECK_TYPED(crc32c::unmask(get_u32(h + 12 + n)) == crc32c::value(data), DataLossError, "",
                   "corrupted record at offset ", pos, ": the data's CRC does not match");
    out.emplace_back(data);
    pos += 12 + n + 4;
  }
  return out;
}

std::vector<std::string> read_records(const std::string& path, bool* torn) {
  return parse_records(read_file(path), torn);
}

}  // namespace tapeflow::serialization
