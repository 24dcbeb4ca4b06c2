// Keras 3's `.keras` model files: a zip of metadata.json (keras_version, date_saved),
// config.json (the model's serialized config with its compile_config, model_config.h) and
// model.weights.h5 (the .weights.h5 layout, keras_weights_h5.h). Model::save writes them;
// K::models::load_model rebuilds the model without its C++ class, weights and compile included.
//   model.save("model.keras");  auto m = K::models::load_model("model.keras");  m->evaluate(x, y);
#pragma once
#include <memory>
#include <string>

#include "tapeflow/nn/models/model.h"

namespace tapeflow::keras::models {

struct LoadModelOptions {
  /// Compile the model from the file's compile_config (Keras's `compile=True`).
  bool compile = true;
};

/// Reads a `.keras` file (ours or Keras's) into a Sequential or functional model of the layers
/// model_config.h knows, with its weights and, when the file has one, its compile config
/// (optimizer with its state, loss, metrics): `evaluate` works at once. The file is untrusted:
/// DataLossError for a damaged archive or malformed JSON, InvalidArgumentError for a missing entry,
/// an unknown layer class, bad config fields or a weight shape mismatch, each naming the file.
std::shared_ptr<Model> load_model(const std::string& filepath, LoadModelOptions options = {});

}  // namespace tapeflow::keras::models

namespace tapeflow::keras::internal {

/// The archive's bytes to a built (and compiled) model; `read_weights = false` stops before
/// model.weights.h5 reaches libhdf5 (the fuzz target: libhdf5 1.10 crashes on damaged files),
/// bounding the weights by the entry's declared size all the same.
std::shared_ptr<Model> model_from_keras_archive(std::string bytes, const std::string& what, bool compile,
                                                bool read_weights);

}  // namespace tapeflow::keras::internal
