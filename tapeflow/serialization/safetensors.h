// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
// {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}},
// then the tensors' bytes. `safetensors.numpy.load_file` reads what save_safetensors writes.
//   tf::io::save_safetensors("w.safetensors", model.named_variables());
//   auto tensors = tf::io::load_safetensors("w.safetensors");   // name -> Tensor
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tapeflow/core/variable.h"

namespace tapeflow::io {

/// Writes the tensors under their names (atomically: temporary file, fsync, rename). Every
/// dtype but string; names must be unique.
void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors);
void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Variable>>& variables);
/// Reads every tensor (CPU:0). A malformed file raises DataLossError naming the file (and the
/// tensor when one is at fault); the header is validated before any tensor is allocated.
std::map<std::string, Tensor> load_safetensors(const std::string& path);

}  // namespace tapeflow::io
