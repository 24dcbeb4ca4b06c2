// Crash-safe file writing for checkpoints: write a temporary file beside the target, fsync it,
// rename it into place, fsync the directory. A reader never sees a half-written file under
// the final name; a killed writer leaves at most a `*.tmp*` file behind.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace tapeflow::serialization {

/// A file written under a temporary name and renamed into place by commit(); destroyed
/// without commit() it removes the temporary. Errors are typed (an OpError naming the file).
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t n);
  void write(std::string_view s) { write(s.data(), s.size()); }
  uint64_t bytes_written() const { return written_; }
  const std::string& temp_path() const { return temp_; }
  /// Flushes and fsyncs the temporary (without renaming): for files whose bytes another
  /// library wrote to temp_path().
  void sync();
  /// fsync, rename to the final path, fsync the directory.
  void commit();

 private:
  std::string path_, temp_;
  std::FILE* file_ = nullptr;
  uint64_t written_ = 0;
  bool committed_ = false;
};

/// Writes `contents` to `path` atomically (temporary, fsync, rename, directory fsync).
void write_file_atomically(const std::string& path, std::string_view contents);
/// fsyncs the directory holding `path` so a rename inside it is durable.
void sync_parent_directory(const std::string& path);
/// A temporary name beside `path`, unique per process and call.
std::string temp_name_for(const std::string& path);
/// The whole file; NotFoundError when it cannot be opened.
std::string read_file(const std::string& path);
bool file_exists(const std::string& path);

}  // namespace tapeflow::serialization
