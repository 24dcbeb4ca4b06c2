// Keras's names derived from class names: to_snake_case ("BatchNormalization" ->
// "batch_normalization"), used for default layer names and the groups of .weights.h5 files, and
// the unqualified C++ class name of an object (a custom layer's class_name()).
#pragma once
#include <string>
#include <typeinfo>

namespace tapeflow::keras::internal {

/// Keras's naming.to_snake_case: "BatchNormalization" -> "batch_normalization", "ReLU" -> "re_lu".
std::string to_snake_case(const std::string& class_name);
/// The class of `type` without namespaces or template arguments: "MyDense" for
/// `(anonymous namespace)::MyDense`.
std::string unqualified_class_name(const std::type_info& type);

}  // namespace tapeflow::keras::internal
