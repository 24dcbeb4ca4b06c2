#include "tapeflow/serialization/checkpoint_reader.h"

#include <filesystem>

#include "tapeflow/core/errors.h"
#include "tapeflow/serialization/checkpoint_management.h"
#include "tapeflow/serialization/tensor_bundle.h"

namespace tapeflow::train {

namespace {
std::string resolve_prefix(const std::string& path) {
  if (!std::filesystem::is_directory(path)) return path;
  std::string latest = latest_checkpoint(path);
  if (latest.empty())
    throw errors::NotFoundError("Couldn't find 'checkpoint' file or checkpoints in given directory " + path);
  return latest;
}
}  // namespace

CheckpointReader::CheckpointReader(const std::string& path)
    : reader_(std::make_shared<serialization::BundleReader>(resolve_prefix(path))) {}

Tensor CheckpointReader::get_tensor(const std::string& key) const { return reader_->get_tensor(key); }
bool CheckpointReader::has_tensor(const std::string& key) const { return reader_->contains(key); }

std::map<std::string, Shape> CheckpointReader::get_variable_to_shape_map() const {
  std::map<std::string, Shape> out;
  for (const auto& [k, e] : reader_->entries()) out.emplace(k, e.shape);
  return out;
}

std::map<std::string, std::string> CheckpointReader::get_variable_to_dtype_map() const {
  std::map<std::string, std::string> out;
  for (const auto& [k, e] : reader_->entries()) out.emplace(k, serialization::tf_datatype_name(e.datatype));
  return out;
}

CheckpointReader load_checkpoint(const std::string& path) { return CheckpointReader(path); }

std::vector<std::pair<std::string, Shape>> list_variables(const std::string& path) {
  std::vector<std::pair<std::string, Shape>> out;
  for (auto& [k, s] : load_checkpoint(path).get_variable_to_shape_map()) out.emplace_back(k, s);
  return out;
}

}  // namespace tapeflow::train
