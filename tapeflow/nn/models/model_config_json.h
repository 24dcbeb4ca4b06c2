// The JSON side of model_config.h, for the files that read and write Keras configs (keras_archive,
// config_values, layer_configs, model_config): nlohmann's ordered JSON (key order kept as Keras
// writes it), a parser for untrusted text with limits, (de)serialization with a context naming
// the file, and the checked field reader they share.
// Not part of the umbrella header: users see model_config.h's JSON text API.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "tapeflow/core/errors.h"
#include "tapeflow/nn/activations.h"
#include "tapeflow/nn/initializers.h"
#include "tapeflow/nn/layers/convolutional.h"
#include "tapeflow/nn/models/model.h"
#include "tapeflow/nn/models/sequential.h"
#include "tapeflow/nn/regularizers.h"

namespace tapeflow::keras::internal {

using Json = nlohmann::ordered_json;

struct JsonLimits {
  std::size_t max_bytes = std::size_t{64} << 20;
  int max_depth = 64;  // Keras's configs nest about 10 deep
};

/// Parses untrusted JSON text: InvalidArgumentError naming `what` past the limits (checked before
/// parsing), DataLossError for malformed text.
Json parse_json(std::string_view text, const std::string& what, JsonLimits limits = {});

/// What deserialization needs beyond the JSON: `what` names the source in every error; the
/// layers may create at most `weight_bytes` bytes of weights (checked before each is allocated:
/// a `.keras` file's weights entry bounds them), shared by every layer of a model.
/// `run_initializers = false` when the weights will be read from the file right after: the
/// layers start from zeros (the initializers' configs are kept for saving again).
struct ConfigContext {
  std::string what = "Keras config";
  std::shared_ptr<int64_t> weight_bytes = std::make_shared<int64_t>(std::numeric_limits<int64_t>::max());
  bool run_initializers = true;
};

/// serialize_keras_object's dict: a compiled model also gets its compile_config.
Json serialize_layer(const layers::Layer& layer);
/// The model's compile_config, as Keras's Model.get_compile_config.
Json compile_config(const Model& model);
/// Rebuilds a layer or model from its serialized dict; `build` builds a lone layer from its
/// build_config (models build from their inputs). Compiles a model with a compile_config.
std::shared_ptr<layers::Layer> deserialize_layer(const Json& j, ConfigContext& ctx, bool build = true);
/// Compiles `model` from Keras's compile_config (optimizer, loss, metrics).
void compile_from_config(Model& model, const Json& config, const ConfigContext& ctx);

// ---- the pieces the config files share (config_values.cpp, layer_configs.cpp, model_config.cpp)

// Bounds on the integers a config may hold, so that a hostile file cannot make the layers build
// absurd shapes: each dimension, and the values one example may reach in any layer (the
// functional API probes each layer with a batch of one and of two).
constexpr int64_t kMaxDim = int64_t{1} << 24;
constexpr int64_t kMaxExampleElements = int64_t{1} << 22;

/// The JSON, cut to 80 characters, for error messages.
std::string short_dump(const Json& j);

/// A config object read with typed errors naming where it sits ("model.keras: config.json: layer
/// \"dense\" (Dense)"). Absent and null fields take the given default, as Keras fills missing keys.
class Fields {
 public:
  Fields(const Json& j, std::string where) : j_(j), where_(std::move(where)) {
    TF_CHECK_ARG(j.is_object(), "", where_, ": expected a JSON object, got ", short_dump(j));
  }
  const std::string& where() const { return where_; }
  const Json* get(const char* k) const {
    auto it = j_.find(k);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  [[noreturn]] void fail(const char* k, const char* expected, const Json& got) const {
    TF_THROW(InvalidArgumentError, "", where_, ": field \"", k, "\" must be ", expected, ", got ", short_dump(got));
  }
  const Json& required(const char* k) const {
    const Json* v = get(k);
    TF_CHECK_ARG(v, "", where_, ": field \"", k, "\" is missing");
    return *v;
  }
  int64_t integer(const char* k, std::optional<int64_t> def = {}, int64_t lo = -kMaxDim, int64_t hi = kMaxDim) const {
    const Json* v = get(k);
    if (!v && def) return *def;
    const Json& j = v ? *v : required(k);
    if (!j.is_number_integer()) fail(k, "an integer", j);
    const int64_t x = j.get<int64_t>();
    TF_CHECK_ARG(x >= lo && x <= hi, "", where_, ": field \"", k, "\" = ", x, " is outside [", lo, ", ", hi, "]");
    return x;
  }
  std::optional<int64_t> optional_integer(const char* k) const {
    if (!get(k)) return std::nullopt;
    const Json& j = *get(k);
    if (!j.is_number_integer()) fail(k, "an integer or null", j);
    return j.get<int64_t>();
  }
  double number(const char* k, std::optional<double> def = {}) const {
    const Json* v = get(k);
    if (!v && def) return *def;
    const Json& j = v ? *v : required(k);
    if (!j.is_number()) fail(k, "a number", j);
    return j.get<double>();
  }
  std::optional<double> optional_number(const char* k) const {
    if (!get(k)) return std::nullopt;
    return number(k);
  }
  bool boolean(const char* k, std::optional<bool> def = {}) const {
    const Json* v = get(k);
    if (!v && def) return *def;
    const Json& j = v ? *v : required(k);
    if (!j.is_boolean()) fail(k, "true or false", j);
    return j.get<bool>();
  }
  std::string string(const char* k, std::optional<std::string> def = {}) const {
    const Json* v = get(k);
    if (!v && def) return *def;
    const Json& j = v ? *v : required(k);
    if (!j.is_string()) fail(k, "a string", j);
    return j.get<std::string>();
  }
  // Keras's int-or-tuple arguments (kernel_size, strides, pool_size): 3 or [3, 3].
  layers::IntPair pair(const char* k, std::optional<layers::IntPair> def = {}) const {
    const Json* v = get(k);
    if (!v && def) return *def;
    const Json& j = v ? *v : required(k);
    auto dim = [&](const Json& d) {
      if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > 4096)
        fail(k, "an integer in [1, 4096] or a pair of them", j);
      return d.get<int64_t>();
    };
    if (j.is_array()) {
      if (j.size() != 2) fail(k, "a pair", j);
      return {dim(j[0]), dim(j[1])};
    }
    return dim(j);
  }
  // A shape: a list of positive integers, null (None, -1) where allowed.
  Shape shape(const char* k, bool allow_none) const {
    const Json& j = required(k);
    if (!j.is_array() || j.size() > 8) fail(k, "a list of at most 8 dimensions", j);
    Shape s;
    int64_t elements = 1;
    for (const Json& d : j) {
      if (d.is_null() && allow_none) {
        s.push_back(-1);
        continue;
      }
      if (!d.is_number_integer() || d.get<int64_t>() < (allow_none ? 1 : -1) || d.get<int64_t>() > kMaxDim ||
          d.get<int64_t>() == 0)
        fail(k, allow_none ? "a list of positive integers or null" : "a list of positive integers (one -1)", j);
      s.push_back(d.get<int64_t>());
      elements *= std::max<int64_t>(d.get<int64_t>(), 1);
      TF_CHECK_ARG(elements <= kMaxExampleElements, "", where_, ": field \"", k, "\" = ", short_dump(j),
                   " has more than ", kMaxExampleElements, " elements per example");
    }
    return s;
  }
  // Fields Tapeflow does not implement must hold Keras's default (constraints, data_format...).
  void require_default(const char* k, const Json& keras_default) const {
    const Json* v = get(k);
    if (!v || *v == keras_default) return;  // absent or null: Keras's default
    TF_THROW(UnimplementedError, "", where_, ": field \"", k, "\" = ", short_dump(*v),
             " is not supported (only Keras's default ", short_dump(keras_default), ")");
  }

 private:
  const Json& j_;
  std::string where_;
};

Json value_json(const ConfigValue& v);
/// A shape as Keras writes it: -1 is null (None).
Json shape_json(const Shape& s);
/// A shape with its batch dimension unknown, as Keras's build_config shows it.
Shape unknown_batch(Shape s);
/// `{"module", "class_name", "config", "registered_name"}` of an initializer, regularizer,
/// optimizer or loss; UnimplementedError naming `what` when it has no Keras class.
Json object_json(const ObjectConfig& c, const char* module, const std::string& what);
Json dtype_policy_json(DType dt);
Json activation_json(const activations::Activation& a, const std::string& layer);
Json initializer_json(const initializers::Initializer& i, const std::string& layer);
Json regularizer_json(const regularizers::Regularizer& r, const std::string& layer);

/// A `{"module", "class_name", "config"}` object, or a bare Keras name (the string form).
struct Serialized {
  std::string class_name;
  Json config = Json::object();
  bool is_name = false;
};
Serialized read_serialized(const Json& j, const std::string& where);
/// An InputLayer config's batch_shape (or Keras 2's batch_input_shape), batch included.
Shape input_layer_shape(const Fields& c);
/// The "dtype" field (a name or a DTypePolicy); float32 when absent.
DType dtype_of(const Fields& f);
activations::Activation activation_from(const Fields& f, const char* k);
/// The initializer of field `k` (`def` when absent), bounded by the context's weight budget.
initializers::Initializer initializer_from(const Fields& f, const char* k, const char* def, const ConfigContext& ctx);
regularizers::Regularizer regularizer_from(const Fields& f, const char* k);
/// Fields of Keras's config that Tapeflow keeps at Keras's defaults: another value is an
/// UnimplementedError naming the field.
void require_defaults(const Fields& f, std::initializer_list<std::pair<const char*, Json>> defaults);

/// A layer class's get_config() and its rebuild from a config (layer_configs.cpp).
struct LayerClass {
  std::function<Json(const layers::Layer&)> write;
  std::function<std::shared_ptr<layers::Layer>(const Fields&, ConfigContext&)> read;
};
/// Every class Tapeflow saves and rebuilds, by Keras class name.
const std::map<std::string, LayerClass>& layer_classes();
/// `table` with Masking's, SimpleRNN's, LSTM's and GRU's entries added (recurrent_configs.cpp).
std::map<std::string, LayerClass> with_recurrent_layer_classes(std::map<std::string, LayerClass> table);

/// The models' configs and rebuilds (model_config.cpp).
Json sequential_config(const Sequential& m);
Json functional_config(const Model& m);
std::shared_ptr<Model> sequential_from_config(const Fields& f, ConfigContext& ctx);
std::shared_ptr<Model> functional_from_config(const Fields& f, ConfigContext& ctx);

}  // namespace tapeflow::keras::internal
