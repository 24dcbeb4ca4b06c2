#include "tapeflow/serialization/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "tapeflow/core/errors.h"

namespace tapeflow::serialization {

namespace {
[[noreturn]] void throw_io(const std::string& what, const std::string& path) {
  const int e = errno;
  const std::string msg = what + " " + path + ": " + std::strerror(e);
  if (e == ENOENT) throw errors::NotFoundError(msg);
  if (e == ENOSPC || e == EDQUOT) throw errors::ResourceExhaustedError(msg);
  if (e == EACCES || e == EPERM) throw errors::FailedPreconditionError(msg);
  throw errors::UnknownError(msg);
}
}  // namespace

std::string temp_name_for(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return path + ".tmp" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
}

void sync_parent_directory(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) throw_io("cannot open directory", dir);
  ::fsync(fd);  // some file systems refuse fsync on a directory; the rename is still atomic
  ::close(fd);
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), temp_(temp_name_for(path_)) {
  file_ = std::fopen(temp_.c_str(), "wb");
  if (!file_) throw_io("cannot create", temp_);
}

AtomicFile::~AtomicFile() {
  if (file_) std::fclose(file_);
  if (!committed_) std::remove(temp_.c_str());
}

void AtomicFile::write(const void* data, std::size_t n) {
  if (n == 0) return;
  if (std::fwrite(data, 1, n, file_) != n) throw_io("cannot write", temp_);
  written_ += n;
}

void AtomicFile::sync() {
  if (std::fflush(file_) != 0) throw_io("cannot write", temp_);
  if (::fsync(::fileno(file_)) != 0) throw_io("cannot fsync", temp_);
}

void AtomicFile::commit() {
  sync();
  const int rc = std::fclose(file_);
  file_ = nullptr;
  if (rc != 0) throw_io("cannot close", temp_);
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) throw_io("cannot rename to", path_);
  committed_ = true;
  sync_parent_directory(path_);
}

void write_file_atomically(const std::string& path, std::string_view contents) {
  AtomicFile f(path);
  f.write(contents);
  f.commit();
}

std::string read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw_io("cannot open", path);
  std::string out;
  // A regular file is read in one call into a buffer of its size; more bytes (a file still
  // growing) or other files (pipes) in chunks.
  struct stat st;
  if (::fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    out.resize(static_cast<std::size_t>(st.st_size));
    out.resize(std::fread(out.data(), 1, out.size(), f));
  }
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) throw_io("cannot read", path);
  return out;
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace tapeflow::serialization
