// Reading checkpoints by key, as tf.train.load_checkpoint and tf.train.list_variables do.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tapeflow/core/tensor.h"

namespace tapeflow::serialization {
class BundleReader;
}

namespace tapeflow::train {

class CheckpointReader {
 public:
  /// Opens a checkpoint prefix, or the latest checkpoint of a directory.
  explicit CheckpointReader(const std::string& path);
  /// The tensor under `key` (NotFoundError for a missing key, DataLossError when damaged).
  Tensor get_tensor(const std::string& key) const;
  bool has_tensor(const std::string& key) const;
  std::map<std::string, Shape> get_variable_to_shape_map() const;
  /// Dtypes by TF name ("float32", "int16", ...): a TF checkpoint may hold dtypes Tapeflow lacks.
  std::map<std::string, std::string> get_variable_to_dtype_map() const;

 private:
  std::shared_ptr<serialization::BundleReader> reader_;
};

/// `tf.train.load_checkpoint(path)`.
CheckpointReader load_checkpoint(const std::string& path);
/// `tf.train.list_variables(path)`: (key, shape) pairs sorted by key, the object graph included.
std::vector<std::pair<std::string, Shape>> list_variables(const std::string& path);

}  // namespace tapeflow::train
