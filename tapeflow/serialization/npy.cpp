// tf::io::read_npy / write_npy: the tensor side of the .npy format (npy_format.h parses and
// decodes the untrusted bytes).
#include "tapeflow/serialization/npy.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>

#include "tapeflow/core/errors.h"
#include "tapeflow/serialization/file_io.h"
#include "tapeflow/serialization/npy_format.h"

namespace tapeflow::io {

namespace {
DType dtype_of(const serialization::npy::ArrayInfo& info) {
  switch (info.kind) {
    case 'f': return info.item_size == 2 ? DType::kFloat16 : info.item_size == 4 ? DType::kFloat32 : DType::kFloat64;
    case 'i': return info.item_size == 1 ? DType::kInt8 : info.item_size == 4 ? DType::kInt32 : DType::kInt64;
    case 'u': return DType::kUInt8;
    default: return DType::kBool;
  }
}

const char* descr_of(DType dt) {
  switch (dt) {
    case DType::kFloat16: return "<f2";
    case DType::kFloat32: return "<f4";
    case DType::kFloat64: return "<f8";
    case DType::kInt8: return "|i1";
    case DType::kInt32: return "<i4";
    case DType::kInt64: return "<i8";
    case DType::kUInt8: return "|u1";
    case DType::kBool: return "|b1";
    default: return nullptr;
  }
}
}  // namespace

Tensor read_npy(const std::string& path) {
  // The header first, then the data straight into the tensor (np.load's one copy): every size
  // is checked against the file's before anything is allocated for it.
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  TF_CHECK_TYPED(f != nullptr, NotFoundError, "", "read_npy: cannot open ", path);
  struct stat st;
  TF_CHECK_TYPED(::fstat(fileno(f.get()), &st) == 0 && S_ISREG(st.st_mode), DataLossError, "", "read_npy: ", path,
                 " is not a regular file");
  const uint64_t file_size = uint64_t(st.st_size);
  auto read = [&](char* into, std::size_t n) {
    TF_CHECK_TYPED(std::fread(into, 1, n, f.get()) == n, DataLossError, "", "read_npy: cannot read ", n,
                   " bytes of ", path, " (truncated while reading?)");
  };
  std::string head(std::size_t(std::min<uint64_t>(file_size, 12)), '\0');
  read(head.data(), head.size());
  const std::size_t header = serialization::npy::header_size(head, file_size, path);
  const std::size_t have = head.size();
  head.resize(header);
  if (header > have)
    read(head.data() + have, header - have);
  else
    std::fseek(f.get(), long(header), SEEK_SET);  // a header shorter than the 12 bytes read
  const auto info = serialization::npy::parse_header(head, file_size, path);
  Tensor t = Tensor::empty(Shape(info.shape), dtype_of(info), kCPU0);
  const std::size_t bytes = std::size_t(info.num_elements) * std::size_t(info.item_size);
  if (bytes == 0) return t;
  if (!info.big_endian && !info.fortran_order && info.kind != 'b') {  // np.save's layout
    read(static_cast<char*>(t.raw_data()), bytes);
  } else {
    std::string raw(bytes, '\0');
    read(raw.data(), bytes);
    auto at_start = info;
    at_start.data_offset = 0;
    const std::string data = serialization::npy::decode_data(raw, at_start);
    std::memcpy(t.raw_data(), data.data(), data.size());
  }
  return t;
}

void write_npy(const std::string& path, const Tensor& tensor) {
  const char* descr = descr_of(tensor.dtype());
  TF_CHECK_ARG(descr != nullptr, "", "write_npy: NumPy has no ", dtype_name(tensor.dtype()),
               " dtype; cast the tensor (bfloat16 to float32) before writing ", path);
  const Tensor c = tensor.cpu().contiguous();
  std::vector<int64_t> shape(c.shape().dims().begin(), c.shape().dims().end());
  serialization::AtomicFile out(path);  // temporary, fsync, rename: no half-written file
  out.write(serialization::npy::make_header(descr, shape));
  const std::size_t bytes = std::size_t(c.size()) * dtype_size(c.dtype());
  if (bytes) out.write(c.raw_data(), bytes);
  out.commit();
}

}  // namespace tapeflow::io
