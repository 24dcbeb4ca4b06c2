#include "tapeflow/serialization/tensor_bundle.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/table_builder.h>

#include "tapeflow/core/errors.h"
#include "tapeflow/serialization/crc32c.h"
#include "tapeflow/serialization/file_io.h"
#include "tapeflow/serialization/table_reader.h"
#include "tensor_bundle.pb.h"

namespace tapeflow::serialization {

std::string data_filename(const std::string& prefix, int shard, int num_shards) {
  char buf[64];
  std::snprintf(buf, sizeof buf, ".data-%05d-of-%05d", shard, num_shards);
  return prefix + buf;
}
std::string index_filename(const std::string& prefix) { return prefix + ".index"; }

int tf_datatype(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return tensorflow::DT_FLOAT;
    case DType::kFloat64: return tensorflow::DT_DOUBLE;
    case DType::kFloat16: return tensorflow::DT_HALF;
    case DType::kBFloat16: return tensorflow::DT_BFLOAT16;
    case DType::kInt8: return tensorflow::DT_INT8;
    case DType::kInt32: return tensorflow::DT_INT32;
    case DType::kInt64: return tensorflow::DT_INT64;
    case DType::kUInt8: return tensorflow::DT_UINT8;
    case DType::kBool: return tensorflow::DT_BOOL;
    case DType::kString: return tensorflow::DT_STRING;
  }
  return tensorflow::DT_INVALID;
}

std::optional<DType> dtype_from_tf_datatype(int datatype) {
  for (int i = 0; i < kNumDTypes; ++i)
    if (tf_datatype(static_cast<DType>(i)) == datatype) return static_cast<DType>(i);
  return std::nullopt;
}

std::string tf_datatype_name(int datatype) {
  if (auto dt = dtype_from_tf_datatype(datatype)) return std::string(dtype_name(*dt));
  switch (datatype) {
    case tensorflow::DT_INT16: return "int16";
    case tensorflow::DT_UINT16: return "uint16";
    case tensorflow::DT_UINT32: return "uint32";
    case tensorflow::DT_UINT64: return "uint64";
    case tensorflow::DT_COMPLEX64: return "complex64";
    case tensorflow::DT_COMPLEX128: return "complex128";
    case tensorflow::DT_RESOURCE: return "resource";
    case tensorflow::DT_VARIANT: return "variant";
    default: return "DataType(" + std::to_string(datatype) + ")";
  }
}

namespace {
// Bytes per element of a TF DataType stored as raw bytes; 0 for strings and unknown types.
std::size_t tf_element_size(int datatype) {
  switch (datatype) {
    case tensorflow::DT_FLOAT:
    case tensorflow::DT_INT32:
    case tensorflow::DT_UINT32: return 4;
    case tensorflow::DT_DOUBLE:
    case tensorflow::DT_INT64:
    case tensorflow::DT_UINT64:
    case tensorflow::DT_COMPLEX64: return 8;
    case tensorflow::DT_COMPLEX128: return 16;
    case tensorflow::DT_HALF:
    case tensorflow::DT_BFLOAT16:
    case tensorflow::DT_INT16:
    case tensorflow::DT_UINT16: return 2;
    case tensorflow::DT_INT8:
    case tensorflow::DT_UINT8:
    case tensorflow::DT_BOOL: return 1;
    default: return 0;
  }
}

void put_varint64(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// TF's checksum of one string length: as a little-endian uint32 when it fits (what older
// checkpoints wrote), else as a uint64; never the varint bytes.
uint32_t extend_with_length(uint32_t crc, uint64_t n) {
  if (n <= 0xffffffffu) {
    const auto n32 = static_cast<uint32_t>(n);
    return crc32c::extend(crc, &n32, sizeof n32);
  }
  return crc32c::extend(crc, &n, sizeof n);
}

[[noreturn]] void throw_leveldb(const leveldb::Status& s, const std::string& path) {
  throw errors::UnknownError("cannot write checkpoint index " + path + ": " + s.ToString());
}
}  // namespace

// ---- writer ----------------------------------------------------------------------------------

struct BundleWriter::Impl {
  std::string prefix;
  AtomicFile data;
  std::map<std::string, std::string> entries;  // key -> serialized BundleEntryProto
  bool finished = false;
  explicit Impl(std::string p) : prefix(std::move(p)), data(data_filename(prefix, 0, 1)) {}
};

namespace {
std::string with_parent_created(std::string prefix) {  // as TF's BundleWriter, make the directory
  const auto dir = std::filesystem::path(prefix).parent_path();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  return prefix;
}
}  // namespace

BundleWriter::BundleWriter(std::string prefix)
    : impl_(std::make_unique<Impl>(with_parent_created(std::move(prefix)))) {}
BundleWriter::~BundleWriter() = default;

void BundleWriter::add(const std::string& key, const Tensor& tensor) {
  TF_CHECK_ARG(!key.empty(), "", "a checkpoint key cannot be empty (it holds the bundle header)");
  TF_CHECK_ARG(!impl_->entries.count(key), "", "checkpoint key '", key, "' added twice");
  tensorflow::BundleEntryProto entry;
  entry.set_dtype(static_cast<tensorflow::DataType>(tf_datatype(tensor.dtype())));
  for (int i = 0; i < tensor.ndim(); ++i) entry.mutable_shape()->add_dim()->set_size(tensor.shape()[i]);
  entry.set_offset(static_cast<int64_t>(impl_->data.bytes_written()));
  AtomicFile& out = impl_->data;
  uint32_t crc = 0;
  if (tensor.dtype() == DType::kString) {
    // TF's WriteStringTensor: varint64 lengths, the masked CRC32C of the lengths (see
    // extend_with_length), then the bytes; the entry's CRC covers it all.
    std::vector<std::string> strings(static_cast<std::size_t>(tensor.size()));
    detail::copy_to_host(tensor, strings.data());
    std::string lengths;
    for (const std::string& s : strings) {
      crc = extend_with_length(crc, s.size());
      put_varint64(lengths, s.size());
    }
    out.write(lengths);
    const uint32_t length_checksum = crc32c::mask(crc);
    out.write(&length_checksum, sizeof length_checksum);
    crc = crc32c::extend(crc, &length_checksum, sizeof length_checksum);
    for (const std::string& s : strings) {
      out.write(s);
      crc = crc32c::extend(crc, s.data(), s.size());
    }
  } else {
    const std::size_t nbytes = static_cast<std::size_t>(tensor.size()) * dtype_size(tensor.dtype());
    if (tensor.device().is_cpu() && tensor.is_contiguous()) {
      // 4 MiB at a time: each chunk is checksummed and written while it is in cache.
      const char* p = static_cast<const char*>(tensor.raw_data());
      constexpr std::size_t kChunk = std::size_t{4} << 20;
      for (std::size_t done = 0; done < nbytes; done += kChunk) {
        const std::size_t n = std::min(kChunk, nbytes - done);
        crc = crc32c::extend(crc, p + done, n);
        out.write(p + done, n);
      }
    } else {  // one host copy of this tensor: the writer's peak extra memory is the largest tensor
      std::vector<char> host(nbytes);
      detail::copy_to_host(tensor, host.data());
      out.write(host.data(), nbytes);
      crc = crc32c::value(host.data(), nbytes);
    }
  }
  entry.set_size(static_cast<int64_t>(out.bytes_written()) - entry.offset());
  entry.set_crc32c(crc32c::mask(crc));
  impl_->entries.emplace(key, entry.SerializeAsString());
}

void BundleWriter::finish() {
  TF_CHECK_TYPED(!impl_->finished, FailedPreconditionError, "", "BundleWriter::finish called twice");
  impl_->finished = true;
  const std::string index_path = index_filename(impl_->prefix);
  const std::string temp = temp_name_for(index_path);
  {
    // TF's index options: no compression, no filter, 256 KiB blocks: the bytes are TF's.
    leveldb::Options options;
    options.compression = leveldb::kNoCompression;
    options.block_size = 262144;
    options.filter_policy = nullptr;
    leveldb::WritableFile* raw = nullptr;
    leveldb::Status s = leveldb::Env::Default()->NewWritableFile(temp, &raw);
    if (!s.ok()) throw_leveldb(s, temp);
    std::unique_ptr<leveldb::WritableFile> file(raw);
    leveldb::TableBuilder builder(options, file.get());
    tensorflow::BundleHeaderProto header;
    header.set_num_shards(1);
    header.set_endianness(tensorflow::BundleHeaderProto::LITTLE);
    header.mutable_version()->set_producer(1);
    builder.Add("", header.SerializeAsString());
    for (const auto& [key, value] : impl_->entries) builder.Add(key, value);
    s = builder.Finish();
    if (s.ok()) s = file->Sync();
    if (s.ok()) s = file->Close();
    if (!s.ok()) {
      std::remove(temp.c_str());
      throw_leveldb(s, temp);
    }
  }
  // Data first: an index under the final name always points into a complete data file.
  impl_->data.commit();
  if (std::rename(temp.c_str(), index_path.c_str()) != 0) {
    std::remove(temp.c_str());
    throw errors::UnknownError("cannot rename checkpoint index to " + index_path);
  }
  sync_parent_directory(index_path);
}

// ---- reader ----------------------------------------------------------------------------------

namespace {
[[noreturn]] void data_loss(const std::string& file, const std::string& key, const std::string& why) {
  throw errors::DataLossError("Corrupted checkpoint " + file + " (key '" + key + "'): " + why);
}

uint64_t file_size_or_throw(const std::string& path, const std::string& key) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    throw errors::DataLossError("Checkpoint data file " + path + " is missing (needed for key '" + key + "')");
  return static_cast<uint64_t>(st.st_size);
}

bool get_varint64(const char*& p, const char* end, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift <= 63 && p < end; shift += 7) {
    const auto byte = static_cast<uint8_t>(*p++);
    v |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}
}  // namespace

BundleReader::BundleReader(std::string prefix) : prefix_(std::move(prefix)) {
  const std::string index_path = index_filename(prefix_);
  if (!file_exists(index_path))
    throw errors::NotFoundError("Unsuccessful TensorSliceReader constructor: Failed to find any matching files for " +
                                prefix_);
  const std::string contents = read_file(index_path);
  auto table = read_table(contents, index_path);
  if (table.empty() || !table.front().first.empty())
    data_loss(index_path, "", "the bundle header (key \"\") is missing");
  tensorflow::BundleHeaderProto header;
  if (!header.ParseFromString(table.front().second)) data_loss(index_path, "", "the bundle header does not parse");
  if (header.endianness() != tensorflow::BundleHeaderProto::LITTLE)
    throw errors::UnimplementedError("Checkpoint " + index_path +
                                     " is big-endian; only little-endian bundles are read");
  if (header.num_shards() < 1 || header.num_shards() > 65536)
    data_loss(index_path, "", "bad num_shards " + std::to_string(header.num_shards()));
  if (header.version().producer() < 1 || header.version().min_consumer() > 1)
    throw errors::UnimplementedError("Checkpoint " + index_path + " needs a newer reader (bundle version producer " +
                                     std::to_string(header.version().producer()) + ", min_consumer " +
                                     std::to_string(header.version().min_consumer()) + ")");
  num_shards_ = header.num_shards();
  shard_sizes_.assign(static_cast<std::size_t>(num_shards_), std::numeric_limits<uint64_t>::max());
  for (std::size_t i = 1; i < table.size(); ++i) {
    const std::string& key = table[i].first;
    tensorflow::BundleEntryProto proto;
    if (!proto.ParseFromString(table[i].second)) data_loss(index_path, key, "the entry does not parse");
    if (!proto.GetReflection()->GetUnknownFields(proto).empty())
      throw errors::UnimplementedError("Checkpoint " + index_path + " key '" + key +
                                       "': partitioned (sliced) variables are not supported");
    BundleEntry e;
    e.datatype = proto.dtype();
    if (proto.shape().unknown_rank()) data_loss(index_path, key, "the shape has unknown rank");
    if (proto.shape().dim_size() > 64) data_loss(index_path, key, "the shape has more than 64 dimensions");
    DimVector dims;
    uint64_t elements = 1;
    bool overflow = false;
    for (const auto& d : proto.shape().dim()) {
      if (d.size() < 0) data_loss(index_path, key, "negative dimension " + std::to_string(d.size()));
      dims.push_back(d.size());
      if (d.size() != 0 && elements > std::numeric_limits<uint64_t>::max() / uint64_t(d.size())) overflow = true;
      elements *= uint64_t(d.size());
    }
    e.shape = Shape(dims);
    if (proto.offset() < 0 || proto.size() < 0) data_loss(index_path, key, "negative offset or size");
    e.offset = uint64_t(proto.offset());
    e.size = uint64_t(proto.size());
    e.masked_crc32c = proto.crc32c();
    e.shard_id = proto.shard_id();
    if (e.shard_id < 0 || e.shard_id >= num_shards_)
      data_loss(index_path, key, "shard " + std::to_string(e.shard_id) + " of " + std::to_string(num_shards_));
    const std::size_t elem = tf_element_size(e.datatype);
    if (e.datatype == tensorflow::DT_STRING) {
      // At least one length byte per element plus the 4-byte length checksum.
      if (overflow || elements > e.size || e.size - elements < 4)
        data_loss(index_path, key,
                  "size " + std::to_string(e.size) + " cannot hold " + std::to_string(elements) + " strings");
    } else if (elem != 0) {
      if (overflow || elements > std::numeric_limits<uint64_t>::max() / elem || elements * elem != e.size)
        data_loss(index_path, key,
                  "size " + std::to_string(e.size) + " does not match shape " + e.shape.to_string() + " of " +
                      tf_datatype_name(e.datatype));
    }
    uint64_t& shard_size = shard_sizes_[static_cast<std::size_t>(e.shard_id)];
    const std::string data_path = data_filename(prefix_, e.shard_id, num_shards_);
    if (shard_size == std::numeric_limits<uint64_t>::max()) shard_size = file_size_or_throw(data_path, key);
    if (e.offset > shard_size || e.size > shard_size - e.offset)
      data_loss(data_path, key,
                "bytes [" + std::to_string(e.offset) + ", +" + std::to_string(e.size) +
                    ") lie outside the data file of " + std::to_string(shard_size) + " bytes (truncated?)");
    entries_.emplace(key, std::move(e));
  }
}

const BundleEntry& BundleReader::entry(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) throw errors::NotFoundError("Key " + key + " not found in checkpoint");
  return it->second;
}

namespace {
// The data file of an entry, opened for reading; closed on scope exit.
struct DataFile {
  std::string path;
  std::FILE* f = nullptr;
  DataFile(std::string p, const std::string& key) : path(std::move(p)), f(std::fopen(path.c_str(), "rb")) {
    if (!f) throw errors::DataLossError("Checkpoint data file " + path + " is missing (needed for key '" + key + "')");
  }
  ~DataFile() { std::fclose(f); }
  DataFile(const DataFile&) = delete;
  DataFile& operator=(const DataFile&) = delete;
  void read_at(void* dst, uint64_t offset, uint64_t n, const std::string& key) const {
    if (n == 0) return;
    if (::fseeko(f, static_cast<off_t>(offset), SEEK_SET) != 0 || std::fread(dst, 1, n, f) != n)
      data_loss(path, key, "short read (the file shrank?)");
  }
};
}  // namespace

void BundleReader::read_into(const std::string& key, void* dst) const {
  const BundleEntry& e = entry(key);
  auto dtype = dtype_from_tf_datatype(e.datatype);
  if (!dtype || *dtype == DType::kString)
    throw errors::InternalError("BundleReader::read_into: key '" + key + "' does not hold a numeric tensor");
  DataFile file(data_filename(prefix_, e.shard_id, num_shards_), key);
  // Chunks of 4 MiB: each is checksummed while it is still in cache, and one sequential pass
  // over the file fills the variable's buffer (no staging copy).
  constexpr uint64_t kChunk = uint64_t{4} << 20;
  auto* out = static_cast<char*>(dst);
  uint32_t crc = 0;
  if (e.size > 0 && ::fseeko(file.f, static_cast<off_t>(e.offset), SEEK_SET) != 0)
    data_loss(file.path, key, "cannot seek to the entry");
  for (uint64_t done = 0; done < e.size; done += kChunk) {
    const uint64_t n = std::min(kChunk, e.size - done);
    if (std::fread(out + done, 1, n, file.f) != n) data_loss(file.path, key, "short read (the file shrank?)");
    crc = crc32c::extend(crc, out + done, n);
  }
  if (crc != crc32c::unmask(e.masked_crc32c)) data_loss(file.path, key, "checksum mismatch (bit flip?)");
  if (*dtype == DType::kBool) {  // NumPy and TF store bools as bytes 0/1; anything else is damage
    const auto* b = static_cast<const uint8_t*>(dst);
    for (uint64_t i = 0; i < e.size; ++i)
      if (b[i] > 1) data_loss(file.path, key, "bool byte " + std::to_string(b[i]));
  }
}

Tensor BundleReader::get_tensor(const std::string& key) const {
  const BundleEntry& e = entry(key);
  auto dtype = dtype_from_tf_datatype(e.datatype);
  if (!dtype)
    throw errors::UnimplementedError("Checkpoint key '" + key + "' holds a " + tf_datatype_name(e.datatype) +
                                     " tensor, a dtype Tapeflow does not have");
  if (*dtype != DType::kString) {
    Tensor t = Tensor::empty(e.shape, *dtype);  // size == shape x dtype was checked against the file
    read_into(key, t.raw_data());
    return t;
  }
  DataFile file(data_filename(prefix_, e.shard_id, num_shards_), key);
  const std::string& path = file.path;
  auto read_at = [&](void* dst, uint64_t offset, uint64_t n) { file.read_at(dst, offset, n, key); };
  const uint32_t want = crc32c::unmask(e.masked_crc32c);
  std::string bytes(e.size, '\0');
  read_at(bytes.data(), e.offset, e.size);
  // The entry's CRC is TF's: over each length (extend_with_length), the masked length
  // checksum, then the string bytes.
  const int64_t n = e.shape.num_elements();
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  std::vector<uint64_t> lengths(static_cast<std::size_t>(n));
  uint32_t crc = 0;
  uint64_t total = 0;
  for (auto& len : lengths) {
    if (!get_varint64(p, end, len)) data_loss(path, key, "bad string length");
    crc = extend_with_length(crc, len);
    if (len > bytes.size() || (total += len) > bytes.size()) data_loss(path, key, "string lengths exceed the entry");
  }
  uint32_t stored;
  if (end - p < 4) data_loss(path, key, "the string length checksum is missing");
  std::memcpy(&stored, p, 4);
  if (crc32c::unmask(stored) != crc) data_loss(path, key, "string length checksum mismatch");
  crc = crc32c::extend(crc, p, 4);
  p += 4;
  if (uint64_t(end - p) != total) data_loss(path, key, "string bytes do not fill the entry");
  if (crc32c::extend(crc, p, total) != want) data_loss(path, key, "checksum mismatch (bit flip?)");
  Tensor t = Tensor::empty(e.shape, DType::kString);
  auto* out = static_cast<std::string*>(t.raw_data());
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    out[i].assign(p, lengths[i]);
    p += lengths[i];
  }
  return t;
}

}  // namespace tapeflow::serialization
