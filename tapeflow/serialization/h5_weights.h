// Keras 3's `.weights.h5` files through libhdf5: groups such as `layers/dense/vars` (with a
// "name" attribute) holding one dataset per variable, "0", "1", ..., as h5py writes them. This
// file knows the format, not Keras: nn/models/keras_weights_h5.cpp says which groups a model has.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tapeflow/core/tensor.h"
#include "tapeflow/core/variable.h"

namespace tapeflow::serialization {

/// One `.../vars` group: its path in the file ("layers/dense/vars"), the object's name (the
/// group's "name" attribute) and the variables, stored as datasets "0", "1", ... in order.
struct H5VarsGroup {
  std::string path;
  std::string name;
  std::vector<Variable> variables;
};

/// Writes `groups` (and the groups above them) to `filepath` atomically: a temporary beside it,
/// fsynced and renamed into place. Float16/32/64, int8/32/64, uint8 and bool (h5py's enum) are
/// stored; string and bfloat16 variables raise UnimplementedError naming the dataset.
void write_h5_weights(const std::string& filepath, const std::vector<H5VarsGroup>& groups);

/// Reads a weights file. Every dataset is validated (type, shape, stored size within the file)
/// before anything is allocated; a damaged file raises DataLossError naming the file and the
/// dataset, a mismatch InvalidArgumentError naming them.
class H5WeightsReader {
 public:
  /// NotFoundError when the file does not exist, DataLossError when it is not a readable HDF5 file.
  explicit H5WeightsReader(const std::string& filepath);
  ~H5WeightsReader();
  H5WeightsReader(const H5WeightsReader&) = delete;
  H5WeightsReader& operator=(const H5WeightsReader&) = delete;

  const std::string& filepath() const { return filepath_; }
  /// Whether the group (e.g. "optimizer/vars") exists.
  bool has_group(const std::string& path) const;
  /// The number of datasets in the group (0 when the group does not exist).
  int64_t num_datasets(const std::string& path) const;
  /// Checks dataset `group/index` (readable, dtype and shape of `variable`) without reading it.
  void check(const std::string& group, int64_t index, const Variable& variable) const;
  /// Reads dataset `group/index` into `variable` after checking its dtype and shape against it.
  void read_into(const std::string& group, int64_t index, Variable& variable) const;
  /// Reads dataset `group/index` as a host tensor of the shape and dtype the file gives it.
  Tensor read(const std::string& group, int64_t index) const;

 private:
  std::string filepath_;
  int64_t file_id_ = -1;
  uint64_t file_size_ = 0;
};

}  // namespace tapeflow::serialization
