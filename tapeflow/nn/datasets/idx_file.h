// The IDX file format of (Fashion-)MNIST, gzip'ed: a 4-byte magic (two zero bytes, the type
// 0x08 = unsigned byte, the rank), the rank's big-endian uint32 sizes, then the bytes. The
// reader validates the header against the data before it allocates for it. It depends on zlib
// and core/errors.h only, so the fuzz target (tests/fuzz/idx_file_fuzz.cpp) builds it alone.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tapeflow::keras::datasets::mnist_idx {

struct IdxContents {
  std::vector<int64_t> dims;   // (n, rows, cols) for images, (n,) for labels
  std::vector<uint8_t> bytes;  // row-major, product(dims) of them
};

/// Reads one gzip'ed unsigned-byte IDX file. A missing file is a NotFoundError; a short header
/// an OutOfRangeError; a wrong magic, a corrupt stream or a header that claims more data than
/// the file holds an InvalidArgumentError naming the file. Memory grows with the data read,
/// never with what the header claims.
IdxContents read_idx_contents(const std::string& path);

}  // namespace tapeflow::keras::datasets::mnist_idx
