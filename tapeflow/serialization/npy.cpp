// tf::io::read_npy / write_npy: the tensor side of the .npy format (npy_format.h parses and
// decodes the untrusted bytes).
#include "tapeflow/serialization/npy.h"

#include <cstring>

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
  const std::string file = serialization::read_file(path);
  const auto info = serialization::npy::parse_header(file, path);
  const std::string data = serialization::npy::decode_data(file, info);
  Tensor t = Tensor::empty(Shape(info.shape), dtype_of(info), kCPU0);
  if (!data.empty()) std::memcpy(t.raw_data(), data.data(), data.size());
  return t;
}

void write_npy(const std::string& path, const Tensor& tensor) {
  const char* descr = descr_of(tensor.dtype());
  TF_CHECK_ARG(descr != nullptr, "", "write_npy: NumPy has no ", dtype_name(tensor.dtype()),
               " dtype; cast the tensor (bfloat16 to float32) before writing ", path);
  const Tensor c = tensor.cpu().contiguous();
  std::vector<int64_t> shape(c.shape().dims().begin(), c.shape().dims().end());
  std::string out = serialization::npy::make_header(descr, shape);
  const std::size_t bytes = std::size_t(c.size()) * dtype_size(c.dtype());
  if (bytes) out.append(static_cast<const char*>(c.raw_data()), bytes);
  serialization::write_file_atomically(path, out);
}

}  // namespace tapeflow::io
