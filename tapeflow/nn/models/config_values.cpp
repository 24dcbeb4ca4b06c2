// The JSON of Keras's small objects (initializers, regularizers, activations, dtype policies)
// both ways, and the checked reading of untrusted JSON (parse_json, Fields' helpers).
#include <algorithm>

#include "tapeflow/core/ops/creation.h"
#include "tapeflow/nn/models/model_config_json.h"

namespace tapeflow::keras::internal {

std::string short_dump(const Json& j) {
  std::string s = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

Json value_json(const ConfigValue& v) {
  return std::visit(
      [](const auto& x) -> Json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>)
          return nullptr;
        else
          return x;
      },
      v);
}

Json shape_json(const Shape& s) {
  Json out = Json::array();
  for (int64_t d : s) out.push_back(d < 0 ? Json(nullptr) : Json(d));
  return out;
}

// A shape with its batch dimension unknown, as Keras's build_config shows it.
Shape unknown_batch(Shape s) {
  if (s.rank() > 0) s[0] = -1;
  return s;
}

Json object_json(const ObjectConfig& c, const char* module, const std::string& what) {
  TF_CHECK_TYPED(!c.class_name.empty(), UnimplementedError, "", what,
                 " has no Keras config (a custom function or class) and cannot be saved");
  Json config = Json::object();
  for (const auto& [k, v] : c.config) config[k] = value_json(v);
  return {{"module", module}, {"class_name", c.class_name}, {"config", config}, {"registered_name", nullptr}};
}

Json dtype_policy_json(DType dt) {
  return {{"module", "keras"},
          {"class_name", "DTypePolicy"},
          {"config", {{"name", std::string(dtype_name(dt))}}},
          {"registered_name", nullptr}};
}

Json activation_json(const activations::Activation& a, const std::string& layer) {
  if (a.is_linear()) return "linear";
  TF_CHECK_TYPED(a.name() != "function", UnimplementedError, "", "layer \"", layer,
                 "\": a custom activation function has no Keras config and cannot be saved");
  return a.name();
}

Json initializer_json(const initializers::Initializer& i, const std::string& layer) {
  return object_json(i.get_config(), "keras.initializers", "layer \"" + layer + "\": initializer " + i.name());
}

Json regularizer_json(const regularizers::Regularizer& r, const std::string& layer) {
  if (!r) return nullptr;
  return object_json(r.get_config(), "keras.regularizers", "layer \"" + layer + "\": a regularizer");
}

// ---- values back -----------------------------------------------------------------------------

Serialized read_serialized(const Json& j, const std::string& where) {
  if (j.is_string()) return {j.get<std::string>(), Json::object(), true};
  Fields f(j, where);
  Serialized s{f.string("class_name"), Json::object(), false};
  if (const Json* c = f.get("config")) {
    // An object; a string for Keras's serialized functions (activations: "config": "relu").
    TF_CHECK_ARG(c->is_object() || c->is_string(), "", where, ": \"config\" must be an object, got ", short_dump(*c));
    s.config = *c;
  }
  return s;
}

DType dtype_of(const Fields& f) {
  const Json* d = f.get("dtype");
  if (!d) return DType::kFloat32;
  std::string name;
  if (d->is_string())
    name = d->get<std::string>();
  else
    name = Fields(Fields(*d, f.where() + ": dtype").required("config"), f.where() + ": dtype").string("name");
  TF_CHECK_TYPED(name.rfind("mixed_", 0) != 0, UnimplementedError, "", f.where(), ": dtype policy \"", name,
                 "\" (mixed precision) is not supported");
  try {
    return dtype_from_name(name);
  } catch (const errors::OpError&) { TF_THROW(InvalidArgumentError, "", f.where(), ": unknown dtype \"", name, "\""); }
}

activations::Activation activation_from(const Fields& f, const char* k) {
  const Json* v = f.get(k);
  if (!v) return {};
  std::string name;
  if (v->is_string())
    name = v->get<std::string>();
  else {
    Serialized s = read_serialized(*v, f.where() + ": " + k);
    name = s.config.is_string() ? s.config.get<std::string>() : s.class_name;
  }
  try {
    return activations::Activation(name);
  } catch (const errors::OpError& e) { TF_THROW(InvalidArgumentError, "", f.where(), ": ", e.message()); }
}

// The initializer, bounded by the context's weight budget: the bytes of each weight it makes
// are checked (without overflow) before it is allocated.
initializers::Initializer budgeted(const initializers::Initializer& init, const ConfigContext& ctx,
                                   const std::string& where) {
  auto left = ctx.weight_bytes;
  const bool run = ctx.run_initializers;
  return initializers::Initializer(
      [init, left, where, run](const Shape& shape, DType dt) {
        int64_t bytes = static_cast<int64_t>(dtype_size(dt));
        for (int64_t d : shape) {
          const int64_t n = std::max<int64_t>(d, 0);
          TF_CHECK_ARG(n == 0 || bytes <= *left / n, "", where, ": a weight of shape ", shape.to_string(),
                       " is larger than the weights the file holds");
          bytes *= n;
        }
        TF_CHECK_ARG(bytes <= *left, "", where, ": a weight of shape ", shape.to_string(),
                     " is larger than the weights the file holds");
        *left -= bytes;
        return run ? init(shape, dt) : zeros(shape, dt);
      },
      init.name(), init.get_config());
}

initializers::Initializer initializer_from(const Fields& f, const char* k, const char* def, const ConfigContext& ctx) {
  const Json* v = f.get(k);
  const std::string where = f.where() + ": " + k;
  initializers::Initializer init = def;
  if (v) {
    Serialized s = read_serialized(*v, where);
    Fields c(s.config, where);
    auto seed = [&] { return c.optional_integer("seed"); };
    const std::string& n = s.class_name;
    namespace I = initializers;
    if (s.is_name) {
      try {
        init = I::Initializer(n);
      } catch (const errors::OpError& e) { TF_THROW(InvalidArgumentError, "", where, ": ", e.message()); }
    } else if (n == "Zeros")
      init = I::Zeros();
    else if (n == "Ones")
      init = I::Ones();
    else if (n == "Constant")
      init = I::Constant(c.number("value", 0.0));
    else if (n == "RandomUniform")
      init =
          I::RandomUniform({.minval = c.number("minval", -0.05), .maxval = c.number("maxval", 0.05), .seed = seed()});
    else if (n == "RandomNormal")
      init = I::RandomNormal({.mean = c.number("mean", 0.0), .stddev = c.number("stddev", 0.05), .seed = seed()});
    else if (n == "TruncatedNormal")
      init = I::TruncatedNormal({.mean = c.number("mean", 0.0), .stddev = c.number("stddev", 0.05), .seed = seed()});
    else if (n == "VarianceScaling")
      init = I::VarianceScaling({.scale = c.number("scale", 1.0),
                                 .mode = c.string("mode", "fan_in"),
                                 .distribution = c.string("distribution", "truncated_normal"),
                                 .seed = seed()});
    else if (n == "GlorotUniform")
      init = I::GlorotUniform({.seed = seed()});
    else if (n == "GlorotNormal")
      init = I::GlorotNormal({.seed = seed()});
    else if (n == "HeNormal")
      init = I::HeNormal({.seed = seed()});
    else if (n == "HeUniform")
      init = I::HeUniform({.seed = seed()});
    else if (n == "LecunNormal")
      init = I::LecunNormal({.seed = seed()});
    else if (n == "LecunUniform")
      init = I::LecunUniform({.seed = seed()});
    else if (n == "Orthogonal")
      init = I::Orthogonal({.gain = c.number("gain", 1.0), .seed = seed()});
    else
      TF_THROW(InvalidArgumentError, "", where, ": unknown initializer class \"", n, "\"");
  }
  return budgeted(init, ctx, f.where());
}

regularizers::Regularizer regularizer_from(const Fields& f, const char* k) {
  const Json* v = f.get(k);
  if (!v) return {};
  const std::string where = f.where() + ": " + k;
  Serialized s = read_serialized(*v, where);
  Fields c(s.config, where);
  const std::string n = s.is_name ? (s.class_name == "l1"      ? "L1"
                                     : s.class_name == "l2"    ? "L2"
                                     : s.class_name == "l1_l2" ? "L1L2"
                                                               : s.class_name)
                                  : s.class_name;
  if (n == "L1") return regularizers::L1(c.number("l1", 0.01));
  if (n == "L2") return regularizers::L2(c.number("l2", 0.01));
  if (n == "L1L2") return regularizers::L1L2(c.number("l1", 0.0), c.number("l2", 0.0));
  TF_THROW(InvalidArgumentError, "", where, ": unknown regularizer class \"", n, "\"");
}

Shape input_layer_shape(const Fields& c) {
  const Json* shape_field = c.get("batch_shape") ? c.get("batch_shape") : c.get("batch_input_shape");
  TF_CHECK_ARG(shape_field, "", c.where(), ": field \"batch_shape\" is missing");
  Shape shape = Fields(Json{{"batch_shape", *shape_field}}, c.where()).shape("batch_shape", true);
  TF_CHECK_ARG(shape.rank() >= 1, "", c.where(), ": batch_shape needs the batch dimension");
  return shape;
}

void require_defaults(const Fields& f, std::initializer_list<std::pair<const char*, Json>> defaults) {
  for (const auto& [k, v] : defaults) f.require_default(k, v);
}

Json parse_json(std::string_view text, const std::string& what, JsonLimits limits) {
  TF_CHECK_ARG(text.size() <= limits.max_bytes, "", what, ": ", text.size(), " bytes of JSON, more than the ",
               limits.max_bytes, " allowed");
  // Nesting is checked before parsing, so no recursion (here or in a JSON destructor) goes deep.
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      TF_CHECK_ARG(++depth <= limits.max_depth, "", what, ": JSON nested deeper than ", limits.max_depth, " levels");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) { TF_THROW(DataLossError, "", what, ": malformed JSON: ", e.what()); }
}

}  // namespace tapeflow::keras::internal
