// Fuzz target: the gzip'ed IDX reader of Fashion-MNIST (tapeflow/nn/datasets/idx_file.cpp).
// Besides "no crash, only typed errors", it checks what the reader promises on success: the
// sizes multiply to the number of bytes returned.
#include <cstdlib>

#include "tapeflow/nn/datasets/idx_file.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  tapeflow::fuzzing::run_reader(data, size, [](const std::string& path) {
    const auto c = tapeflow::keras::datasets::mnist_idx::read_idx_contents(path);
    uint64_t n = 1;
    for (int64_t d : c.dims) n *= static_cast<uint64_t>(d);
    if (c.dims.empty() || c.dims.size() > 4 || n != c.bytes.size()) std::abort();
  });
  return 0;
}
