// Shared pieces of the libFuzzer targets in tests/fuzz/ (one per file reader: IDX now;
// checkpoints, event files and SavedModels as their readers arrive). Readers take paths, so a
// target hands its input over as a file; a typed tf::errors::* error is the expected answer to
// a bad file, and anything else (another exception, a crash, a sanitizer report, an allocation
// over -malloc_limit_mb) is a finding.
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tapeflow/core/errors.h"

namespace tapeflow::fuzzing {

/// The fuzzer's bytes as a file readable by path (an in-memory file: no disk traffic).
class InputFile {
 public:
  InputFile(const uint8_t* data, std::size_t size) {
    fd_ = memfd_create("tapeflow-fuzz-input", 0);
    if (fd_ < 0) std::abort();
    for (std::size_t done = 0; done < size;) {
      const ssize_t n = write(fd_, data + done, size - done);
      if (n <= 0) std::abort();
      done += static_cast<std::size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~InputFile() { close(fd_); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

/// Runs a reader on one input: typed errors are the reader saying "bad file" and are fine.
template <typename Reader> void run_reader(const uint8_t* data, std::size_t size, Reader&& read) {
  InputFile file(data, size);
  try {
    read(file.path());
  } catch (const errors::OpError&) {
    // The documented answer to a malformed file.
  }
}

}  // namespace tapeflow::fuzzing
