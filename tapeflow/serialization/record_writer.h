// TFRecord framing (TF's io/record_writer.cc): each record is its uint64 length, the masked
// CRC32C of those 8 bytes, the data and the masked CRC32C of the data, all little-endian.
// Event files are TFRecord files of serialized Events; the reader is what tests and tools use.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace tapeflow::serialization {

/// Appends the framed `data` (header, data, footer) to `out`.
void append_record(std::string& out, std::string_view data);

/// Appends records to a file opened for writing; errors are typed (an OpError naming the file).
class RecordWriter {
 public:
  /// Creates (truncates) `path`; FailedPreconditionError when it cannot be opened.
  explicit RecordWriter(std::string path);
  ~RecordWriter();
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  void write_record(std::string_view data);
  /// Hands the buffered bytes to the OS (fflush): a killed process keeps them.
  void flush();
  void close();
  const std::string& path() const { return path_; }

 private:
  std::string path_, frame_;
  std::FILE* file_ = nullptr;
};

/// The records of a TFRecord file's bytes, each CRC checked (DataLossError naming the offset on
/// a mismatch). A torn last record (the file ends inside it: a writer killed mid-write) is
/// skipped, as TensorBoard's reader does; `*torn` says whether one was.
std::vector<std::string> parse_records(std::string_view bytes, bool* torn = nullptr);
/// parse_records of the file at `path` (NotFoundError when it cannot be read).
std::vector<std::string> read_records(const std::string& path, bool* torn = nullptr);

}  // namespace tapeflow::serialization
