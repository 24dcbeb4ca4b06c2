// TensorBundle V2, TensorFlow's checkpoint format: `<prefix>.index` (a LevelDB table: the
// BundleHeaderProto under key "", a BundleEntryProto per tensor) and
// `<prefix>.data-00000-of-00001` (tensor bytes back to back, each CRC32C-checked).
// The writer streams tensors to disk as they are added; the reader validates every entry
// against the files before it allocates anything.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tapeflow/core/tensor.h"

namespace tapeflow::serialization {

/// `<prefix>.data-00000-of-00001` for shard 0 of 1.
std::string data_filename(const std::string& prefix, int shard, int num_shards);
std::string index_filename(const std::string& prefix);
/// TF's DataType enum value of a dtype, and back (std::nullopt for a TF dtype Tapeflow lacks).
int tf_datatype(DType dtype);
std::optional<DType> dtype_from_tf_datatype(int datatype);
/// TF's name of a DataType value ("float32", "int16", "complex64", ...), for messages and listing.
std::string tf_datatype_name(int datatype);

class BundleWriter {
 public:
  /// Starts writing `prefix`; nothing appears under the final names before finish().
  explicit BundleWriter(std::string prefix);
  ~BundleWriter();
  BundleWriter(const BundleWriter&) = delete;
  BundleWriter& operator=(const BundleWriter&) = delete;

  /// Appends the tensor's bytes to the data file (any device; strings as TF writes them).
  void add(const std::string& key, const Tensor& tensor);
  /// Writes the index, fsyncs both files and renames them into place (data first).
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One tensor's index entry, validated.
struct BundleEntry {
  int datatype = 0;  // TF's DataType value
  Shape shape;
  int shard_id = 0;
  uint64_t offset = 0, size = 0;
  uint32_t masked_crc32c = 0;
};

class BundleReader {
 public:
  /// Reads and validates `<prefix>.index` (NotFoundError when absent, DataLossError when
  /// damaged): header, entries, shapes, sizes against dtypes, extents against the data files.
  explicit BundleReader(std::string prefix);

  const std::string& prefix() const { return prefix_; }
  const std::map<std::string, BundleEntry>& entries() const { return entries_; }
  bool contains(const std::string& key) const { return entries_.count(key) != 0; }
  /// The tensor under `key` on CPU:0, its CRC checked (DataLossError naming file and key);
  /// NotFoundError for a missing key.
  Tensor get_tensor(const std::string& key) const;
  /// Reads the numeric (non-string) tensor under `key` straight into `dst` (entry.size bytes,
  /// host memory the caller checked matches the entry's dtype and shape), CRC checked chunk by
  /// chunk. On a DataLossError `dst` holds partial data.
  void read_into(const std::string& key, void* dst) const;

 private:
  const BundleEntry& entry(const std::string& key) const;
  std::string prefix_;
  int num_shards_ = 1;
  std::vector<uint64_t> shard_sizes_;
  std::map<std::string, BundleEntry> entries_;
};

}  // namespace tapeflow::serialization
