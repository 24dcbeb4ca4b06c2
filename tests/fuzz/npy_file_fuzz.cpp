// Fuzz target: the .npy reader's header parser and data decoder
// (tapeflow/serialization/npy_format.cpp). Besides "no crash, only typed errors", it checks what
// the parser promises on success: the shape's element count times the item size fits in the
// file after the header, and the decoded data has exactly that many bytes.
#include <cstdlib>

#include "tapeflow/serialization/file_io.h"
#include "tapeflow/serialization/npy_format.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  tapeflow::fuzzing::run_reader(data, size, [](const std::string& path) {
    namespace npy = tapeflow::serialization::npy;
    const std::string file = tapeflow::serialization::read_file(path);
    const npy::ArrayInfo info = npy::parse_header(file, path);
    uint64_t n = 1;
    for (int64_t d : info.shape) n *= static_cast<uint64_t>(d);
    const uint64_t bytes = n * static_cast<uint64_t>(info.item_size);
    if (n != static_cast<uint64_t>(info.num_elements) || info.data_offset > file.size() ||
        bytes > file.size() - info.data_offset)
      std::abort();
    if (npy::decode_data(file, info).size() != bytes) std::abort();
  });
  return 0;
}
