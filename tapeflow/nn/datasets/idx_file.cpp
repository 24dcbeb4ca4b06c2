#include "tapeflow/nn/datasets/idx_file.h"

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <memory>

#include "tapeflow/core/errors.h"

namespace tapeflow::keras::datasets::mnist_idx {
namespace {

using GzFile = std::unique_ptr<gzFile_s, int (*)(gzFile)>;

/// Reads up to n bytes; fewer only at the end of the data. A corrupt stream raises.
std::size_t read_some(gzFile f, void* dst, std::size_t n, const std::string& path) {
  std::size_t done = 0;
  while (done < n) {
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, std::size_t(1) << 30));
    const int got = gzread(f, static_cast<char*>(dst) + done, chunk);
    if (got < 0) {
      int errnum = 0;
      const char* why = gzerror(f, &errnum);
      TF_THROW(InvalidArgumentError, "", path, " is not a readable gzip'ed IDX file: ", why ? why : "zlib error");
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

void read_exactly(gzFile f, void* dst, std::size_t n, const std::string& path, const char* what) {
  if (read_some(f, dst, n, path) != n) TF_THROW(OutOfRangeError, "", "Truncated IDX file ", path, ": no ", what);
}

}  // namespace

IdxContents read_idx_contents(const std::string& path) {
  GzFile f(gzopen(path.c_str(), "rb"), gzclose);
  if (!f) TF_THROW(NotFoundError, "", "Could not open ", path);
  unsigned char magic[4];
  read_exactly(f.get(), magic, 4, path, "header");
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || magic[3] < 1 || magic[3] > 4)
    TF_THROW(InvalidArgumentError, "", path, " is not an unsigned-byte IDX file");
  IdxContents out;
  uint64_t total = 1;
  bool overflow = false;
  for (int i = 0; i < magic[3]; ++i) {
    unsigned char b[4];
    read_exactly(f.get(), b, 4, path, "dimension sizes");
    const uint64_t d = (uint64_t(b[0]) << 24) | (uint64_t(b[1]) << 16) | (uint64_t(b[2]) << 8) | uint64_t(b[3]);
    out.dims.push_back(static_cast<int64_t>(d));
    if (d != 0 && total > std::numeric_limits<uint64_t>::max() / d)
      overflow = true;
    else
      total *= d;
  }
  auto claims = [&] {
    std::string s;
    for (int64_t d : out.dims) {
      if (!s.empty()) s += " x ";
      s += std::to_string(d);
    }
    return s;
  };
  TF_CHECK_ARG(!overflow && total <= uint64_t(std::numeric_limits<int64_t>::max()), "", path,
               ": the IDX header claims ", claims(), " bytes of data, more than any file holds");
  // Read in bounded chunks: the vector grows with the data actually present, so a header that
  // claims 2^31 images costs nothing until the data backs it.
  constexpr std::size_t kChunk = std::size_t(1) << 20;
  std::size_t have = 0;
  while (have < total) {
    const std::size_t want = static_cast<std::size_t>(std::min<uint64_t>(kChunk, total - have));
    out.bytes.resize(have + want);
    const std::size_t got = read_some(f.get(), out.bytes.data() + have, want, path);
    have += got;
    if (got < want) break;
  }
  out.bytes.resize(have);
  TF_CHECK_ARG(have == total, "", path, ": the IDX header claims ", claims(), " = ", total,
               " bytes of data but the file holds ", have);
  return out;
}

}  // namespace tapeflow::keras::datasets::mnist_idx
