// Model.save_weights / load_weights for "*.weights.h5": the HDF5 layout Keras 3's saving_lib
// writes (groups named after the layers' classes, `vars` datasets, the optimizer's variables),
// so keras.Model.load_weights reads our files and we read Keras's. The HDF5 side is
// serialization/h5_weights.h; this file knows which groups a Keras model has.
#pragma once
#include <string>
#include <vector>

#include "tapeflow/nn/layers/naming.h"  // to_snake_case
#include "tapeflow/serialization/h5_weights.h"

namespace tapeflow::keras {
class Model;
}

namespace tapeflow::keras::internal {

/// Whether save_weights/load_weights take the Keras 3 HDF5 format for this path.
bool is_keras_weights_h5(const std::string& filepath);
/// The `vars` groups of the model's layers, as Keras 3 names them ("vars", "layers/dense/vars", ...).
std::vector<serialization::H5VarsGroup> keras_weight_groups(const Model& model);
void save_weights_h5(const Model& model, const std::string& filepath);
/// Validates every group and dataset against the model before assigning anything.
void load_weights_h5(const Model& model, const std::string& filepath);

}  // namespace tapeflow::keras::internal
