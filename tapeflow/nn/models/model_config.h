// Keras 3's configs of layers and models, as JSON text: what keras.saving.serialize_keras_object
// writes ({"module", "class_name", "config", "registered_name", "build_config"}) for the layers
// Tapeflow has, Sequential's and functional models' configs (with compile_config), and the
// reverse through a registry keyed by class_name. The `.keras` archive (keras_archive.h) is
// built on it. `auto json = K::saving::serialize_keras_object(model);`
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tapeflow/nn/models/model.h"

namespace tapeflow::keras::saving {

/// The layer's (or model's) serialized form as Keras 3 writes it; a compiled model carries its
/// compile_config. UnimplementedError naming the layer for a class (or a custom activation,
/// initializer, regularizer) without a Keras config.
std::string serialize_keras_object(const layers::Layer& layer);
/// The layer's get_config() dict alone, as JSON text.
std::string get_config(const layers::Layer& layer);
/// Rebuilds a layer or model from serialize_keras_object's JSON (or Keras's): the class is looked
/// up by class_name (InvalidArgumentError naming an unknown one); a layer with a build_config is
/// built; a model with a compile_config is compiled. Bad JSON: DataLossError.
std::shared_ptr<layers::Layer> deserialize_keras_object(const std::string& json);
/// The Keras class names deserialize_keras_object knows.
std::vector<std::string> registered_classes();

}  // namespace tapeflow::keras::saving

namespace tapeflow::keras::models {
/// `keras.models.model_from_json`: a Sequential or functional model from its JSON config
/// (InvalidArgumentError when the JSON holds another class).
std::shared_ptr<Model> model_from_json(const std::string& json);
}  // namespace tapeflow::keras::models
