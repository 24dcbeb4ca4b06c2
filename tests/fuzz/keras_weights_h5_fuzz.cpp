// Fuzz target: the Keras `.weights.h5` reader (serialization/h5_weights.cpp, H5WeightsReader over
// libhdf5). Input: the bytes of a weights file (tests/fuzz/corpus/keras_weights_h5 holds Keras-
// written ones). The harness opens it and reads every dataset of the groups Keras models use. A
// typed tf::errors::* error is the expected answer to a bad file; anything else (another
// exception, a crash, a sanitizer report, an allocation over -malloc_limit_mb) is a finding. On
// success it checks what the reader promises: a tensor's bytes are exactly shape x dtype.
// libhdf5 itself is not instrumented: ASan sees its wild accesses and its allocations, not its
// in-bounds logic; it allocates sizes read from damaged metadata and leaks on some error paths,
// so tools/run_fuzz.sh lets malloc return NULL to it and does not count leaks for this target.
// Built and run by tools/run_fuzz.sh (Debian's clang, libFuzzer, ASan+UBSan).
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "tapeflow/core/errors.h"
#include "tapeflow/serialization/h5_weights.h"

namespace {
// The groups of the seed files: layers of Sequential MLPs and CNNs, the optimizer's variables.
constexpr const char* kGroups[] = {"layers/dense/vars",
                                   "layers/dense_1/vars",
                                   "layers/conv2d/vars",
                                   "layers/batch_normalization/vars",
                                   "layers/flatten/vars",
                                   "optimizer/vars",
                                   "vars"};
constexpr int64_t kMaxDatasetsPerGroup = 16;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  namespace S = tapeflow::serialization;
  static const std::string path = "/dev/shm/tapeflow-h5-fuzz-" + std::to_string(::getpid()) + ".weights.h5";
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    S::H5WeightsReader reader(path);
    for (const char* group : kGroups) {
      if (!reader.has_group(group)) continue;
      const int64_t n = reader.num_datasets(group);
      for (int64_t i = 0; i < n && i < kMaxDatasetsPerGroup; ++i) {
        try {
          tapeflow::Tensor t = reader.read(group, i);
          if (t.size() != t.shape().num_elements()) std::abort();
        } catch (const tapeflow::errors::OpError&) {}
      }
    }
  } catch (const tapeflow::errors::OpError&) {}
  return 0;
}
