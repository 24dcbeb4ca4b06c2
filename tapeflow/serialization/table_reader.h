// A validating reader of LevelDB-format tables (the `.index` file of a TensorBundle). leveldb's
// own Table reader allocates block buffers from sizes read out of the file before checking
// them, so checkpoints are read here instead: every offset, size, varint and CRC is checked
// against the bytes at hand, and nothing is allocated beyond the file's own size. The writer
// stays leveldb's TableBuilder (byte-identical to TF's index).
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapeflow::serialization {

/// Every (key, value) of the table in `contents` (the whole file), keys strictly increasing.
/// Anything malformed (footer magic, block CRC, compression, truncation, key order) raises
/// DataLossError naming `filename`.
std::vector<std::pair<std::string, std::string>> read_table(std::string_view contents, const std::string& filename);

}  // namespace tapeflow::serialization
