// Fuzz target: the SavedModel loader (serialization/saved_model_load.cpp, function_def.cpp,
// tf_op_table.cpp, run from libtapeflow.so: they include the op door, beyond this clang's
// reach). Input: a little-endian uint32 n, n bytes of saved_model.pb, a uint32 k, k bytes of
// variables/variables.index, then the variables' data file (tests/fuzz/corpus/saved_model holds
// real SavedModels in that form, written by make_saved_model_seeds.sh). The loader reads them
// from a scratch directory, then every signature is called once. A typed tf::errors::* error
// is the expected answer to a bad model; anything else (another exception, a crash, a sanitizer
// report, an allocation over -malloc_limit_mb) is a finding.
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
#include "tapeflow/serialization/saved_model_entry.h"

namespace {
std::string scratch_dir() {
  static const std::string dir = "/dev/shm/tapeflow-sm-fuzz-" + std::to_string(::getpid());
  static const bool made = [] {
    bool ok = (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST);
    std::string vars = dir + "/variables";
    return ok && (::mkdir(vars.c_str(), 0700) == 0 || errno == EEXIST);
  }();
  if (!made) std::abort();
  return dir;
}

void put(const std::string& path, const uint8_t* data, std::size_t n) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n));
}

// Takes a uint32 length and that many bytes (clamped to what is left).
std::pair<const uint8_t*, std::size_t> take(const uint8_t*& data, std::size_t& size) {
  uint32_t n = 0;
  if (size >= 4) {
    std::memcpy(&n, data, 4);
    data += 4;
    size -= 4;
  }
  const std::size_t len = n < size ? n : size;
  auto out = std::make_pair(data, len);
  data += len;
  size -= len;
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string dir = scratch_dir();
  auto [pb, pb_size] = take(data, size);
  auto [index, index_size] = take(data, size);
  put(dir + "/saved_model.pb", pb, pb_size);
  put(dir + "/variables/variables.index", index, index_size);
  put(dir + "/variables/variables.data-00000-of-00001", data, size);
  try {
    tapeflow::saved_model::load_and_call_signatures(dir);
  } catch (const tapeflow::errors::OpError&) {
    // The expected answer to a damaged SavedModel.
  }
  return 0;
}
