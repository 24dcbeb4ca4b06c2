// Fuzz target: the checkpoint readers (serialization/table_reader.cpp, the index's LevelDB
// table; serialization/tensor_bundle.cpp, BundleReader and get_tensor over the data file).
// Input: a little-endian uint32 n, then n bytes of `.index`, then the `.data-00000-of-00001`
// bytes (tests/fuzz/corpus/checkpoint holds real checkpoints in that form). A typed
// tf::errors::* error is the expected answer to a bad file; anything else (another exception,
// a crash, a sanitizer report, an allocation over -malloc_limit_mb) is a finding. On success it
// checks what the reader promises: each tensor's bytes are exactly shape x dtype.
// Built and run by tools/run_fuzz.sh (Debian's clang, libFuzzer, ASan+UBSan).
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "tapeflow/core/errors.h"
#include "tapeflow/serialization/table_reader.h"
#include "tapeflow/serialization/tensor_bundle.h"

namespace {
std::string scratch_prefix() {
  static const std::string prefix = "/dev/shm/tapeflow-ckpt-fuzz-" + std::to_string(::getpid()) + "/p";
  static const bool made = [] {
    std::string dir = prefix.substr(0, prefix.size() - 2);
    return ::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST;
  }();
  if (!made) std::abort();
  return prefix;
}

void put(const std::string& path, const uint8_t* data, std::size_t n) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  namespace S = tapeflow::serialization;
  if (size < 4) return 0;
  uint32_t n;
  std::memcpy(&n, data, 4);
  data += 4;
  size -= 4;
  if (n > size) n = static_cast<uint32_t>(size);
  try {
    S::read_table(std::string_view(reinterpret_cast<const char*>(data), n), "fuzz.index");
  } catch (const tapeflow::errors::OpError&) {}
  const std::string prefix = scratch_prefix();
  put(S::index_filename(prefix), data, n);
  put(S::data_filename(prefix, 0, 1), data + n, size - n);
  try {
    S::BundleReader reader(prefix);
    for (const auto& [key, entry] : reader.entries()) {
      try {
        tapeflow::Tensor t = reader.get_tensor(key);
        if (t.shape() != entry.shape) std::abort();
        if (t.dtype() != tapeflow::DType::kString && uint64_t(t.size()) * tapeflow::dtype_size(t.dtype()) != entry.size)
          std::abort();
      } catch (const tapeflow::errors::OpError&) {}
    }
  } catch (const tapeflow::errors::OpError&) {}
  return 0;
}
