// Zip archives in memory through libzip: the container of Keras 3's `.keras` files. The writer
// collects named entries and returns the archive's bytes (the caller writes them atomically);
// the reader takes bytes that may be damaged or hostile and validates before it allocates.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tapeflow::serialization {

/// Builds an archive of stored (uncompressed) entries, as Python's zipfile writes by default.
class ZipWriter {
 public:
  void add(std::string name, std::string contents);
  /// The archive's bytes. InternalError naming `what` if libzip fails.
  std::string finish(const std::string& what) const;

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

struct ZipLimits {
  uint64_t max_entries = 1024;
  /// The largest entry read (its uncompressed size, checked before any allocation).
  uint64_t max_entry_bytes = uint64_t{4} << 30;
};

/// Reads entries of an archive held in memory. Errors name `what` (the file): DataLossError
/// for bytes that are not a consistent zip archive (truncated, bad central directory, CRC
/// mismatch), InvalidArgumentError for an entry over the limits, NotFoundError for a missing one.
class ZipReader {
 public:
  ZipReader(std::string bytes, std::string what, ZipLimits limits = {});
  ~ZipReader();
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  std::vector<std::string> names() const;
  bool contains(const std::string& name) const;
  /// The entry's uncompressed size as the central directory declares it.
  uint64_t size(const std::string& name) const;
  /// The entry's bytes (at most `max_bytes`, else InvalidArgumentError naming the entry and limit).
  std::string read(const std::string& name, uint64_t max_bytes) const;

 private:
  std::string bytes_, what_;
  ZipLimits limits_;
  void* archive_ = nullptr;  // zip_t*
};

}  // namespace tapeflow::serialization
