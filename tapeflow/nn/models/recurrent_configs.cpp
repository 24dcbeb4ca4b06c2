// Keras 3's get_config() of Masking, the recurrent layers (SimpleRNN, LSTM, GRU) and the mask ops
// (NotEqual, Any), and their
// rebuild from a config: the entries layer_classes() adds to its table (layer_configs.cpp).
// Keras's RNN fields Tapeflow does not implement (unroll, zero_output_for_mask,
// constraints, activity_regularizer) must hold Keras's defaults.
#include "tapeflow/nn/layers/masking.h"
#include "tapeflow/nn/layers/recurrent.h"
#include "tapeflow/nn/models/model_config_json.h"

namespace tapeflow::keras::internal {

namespace {

using layers::RecurrentLayer;
using layers::RecurrentOptions;

enum class Kind { kSimpleRNN, kLSTM, kGRU };

// The fields Keras's RNN base writes first, then the cell's, in Keras's order per class.
Json recurrent_config(const layers::Layer& l, Kind kind) {
  const auto& r = dynamic_cast<const RecurrentLayer&>(l);
  const RecurrentOptions& o = r.cell().options();
  const std::string& n = l.name();
  Json c = {{"name", n},
            {"trainable", l.trainable()},
            {"dtype", dtype_policy_json(o.dtype)},
            {"return_sequences", r.return_sequences()},
            {"return_state", r.return_state()},
            {"go_backwards", r.go_backwards()},
            {"stateful", r.stateful()},
            {"unroll", false},
            {"zero_output_for_mask", false},
            {"units", r.units()},
            {"activation", activation_json(o.activation, n)}};
  if (kind != Kind::kSimpleRNN) c["recurrent_activation"] = activation_json(o.recurrent_activation, n);
  c["use_bias"] = o.use_bias;
  c["kernel_initializer"] = initializer_json(o.kernel_initializer, n);
  c["recurrent_initializer"] = initializer_json(o.recurrent_initializer, n);
  c["bias_initializer"] = initializer_json(o.bias_initializer, n);
  if (kind == Kind::kLSTM) c["unit_forget_bias"] = o.unit_forget_bias;
  c["kernel_regularizer"] = regularizer_json(o.kernel_regularizer, n);
  c["recurrent_regularizer"] = regularizer_json(o.recurrent_regularizer, n);
  c["bias_regularizer"] = regularizer_json(o.bias_regularizer, n);
  for (const char* k : {"activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint"})
    c[k] = nullptr;
  c["dropout"] = o.dropout;
  c["recurrent_dropout"] = o.recurrent_dropout;
  if (kind == Kind::kGRU) c["reset_after"] = o.reset_after;
  if (kind != Kind::kSimpleRNN) c["seed"] = value_json(config_value(o.seed));  // SimpleRNN's config has none
  return c;
}

RecurrentOptions recurrent_options(const Fields& f, ConfigContext& ctx, Kind kind) {
  require_defaults(f, {{"unroll", false},
                       {"zero_output_for_mask", false},
                       {"activity_regularizer", nullptr},
                       {"kernel_constraint", nullptr},
                       {"recurrent_constraint", nullptr},
                       {"bias_constraint", nullptr}});
  RecurrentOptions o{.activation = activation_from(f, "activation"),
                     .use_bias = f.boolean("use_bias", true),
                     .kernel_initializer = initializer_from(f, "kernel_initializer", "glorot_uniform", ctx),
                     .recurrent_initializer = initializer_from(f, "recurrent_initializer", "orthogonal", ctx),
                     .bias_initializer = initializer_from(f, "bias_initializer", "zeros", ctx),
                     .kernel_regularizer = regularizer_from(f, "kernel_regularizer"),
                     .recurrent_regularizer = regularizer_from(f, "recurrent_regularizer"),
                     .bias_regularizer = regularizer_from(f, "bias_regularizer"),
                     .dropout = f.number("dropout", 0.0),
                     .recurrent_dropout = f.number("recurrent_dropout", 0.0),
                     .seed = f.optional_integer("seed"),
                     .return_sequences = f.boolean("return_sequences", false),
                     .return_state = f.boolean("return_state", false),
                     .go_backwards = f.boolean("go_backwards", false),
                     .stateful = f.boolean("stateful", false),
                     .name = f.string("name", ""),
                     .trainable = f.boolean("trainable", true),
                     .dtype = dtype_of(f)};
  if (!f.get("activation")) o.activation = "tanh";  // absent: Keras's default, not linear
  if (kind != Kind::kSimpleRNN)
    o.recurrent_activation = f.get("recurrent_activation") ? activation_from(f, "recurrent_activation") : "sigmoid";
  if (kind == Kind::kLSTM) o.unit_forget_bias = f.boolean("unit_forget_bias", true);
  if (kind == Kind::kGRU) o.reset_after = f.boolean("reset_after", true);
  return o;
}

template <typename L, Kind kind> LayerClass recurrent_class() {
  return {[](const layers::Layer& l) { return recurrent_config(l, kind); },
          [](const Fields& f, ConfigContext& ctx) -> std::shared_ptr<layers::Layer> {
            return std::make_shared<L>(f.integer("units", {}, 1), recurrent_options(f, ctx, kind));
          }};
}

}  // namespace

std::map<std::string, LayerClass> with_recurrent_layer_classes(std::map<std::string, LayerClass> table) {
  table.emplace("SimpleRNN", recurrent_class<layers::SimpleRNN, Kind::kSimpleRNN>());
  table.emplace("LSTM", recurrent_class<layers::LSTM, Kind::kLSTM>());
  table.emplace("GRU", recurrent_class<layers::GRU, Kind::kGRU>());
  table.emplace("Masking",
                LayerClass{[](const layers::Layer& l) {
                             return Json{{"name", l.name()},
                                         {"trainable", l.trainable()},
                                         {"dtype", dtype_policy_json(DType::kFloat32)},
                                         {"mask_value", dynamic_cast<const layers::Masking&>(l).mask_value()}};
                           },
                           [](const Fields& f, ConfigContext&) -> std::shared_ptr<layers::Layer> {
                             return std::make_shared<layers::Masking>(
                                 f.number("mask_value", 0.0), layers::MaskingOptions{.name = f.string("name", "")});
                           }});
  // Keras's operations in functional configs: the config holds the name (Any: axis, keepdims);
  // NotEqual's value is the node's second argument (model_config.cpp).
  table.emplace("NotEqual", LayerClass{[](const layers::Layer& l) { return Json{{"name", l.name()}}; },
                                       [](const Fields& f, ConfigContext&) -> std::shared_ptr<layers::Layer> {
                                         return std::make_shared<layers::NotEqual>(
                                             0.0, false, layers::MaskingOptions{.name = f.string("name", "")});
                                       }});
  table.emplace("Any", LayerClass{[](const layers::Layer& l) {
                                    const auto& a = dynamic_cast<const layers::Any&>(l);
                                    return Json{{"name", l.name()},
                                                {"axis", a.axis() ? Json(*a.axis()) : Json(nullptr)},
                                                {"keepdims", a.keepdims()}};
                                  },
                                  [](const Fields& f, ConfigContext&) -> std::shared_ptr<layers::Layer> {
                                    const auto axis = f.optional_integer("axis");
                                    TF_CHECK_ARG(!axis || (*axis >= -8 && *axis < 8), "", f.where(),
                                                 ": field \"axis\" = ", *axis, " is not an axis");
                                    return std::make_shared<layers::Any>(
                                        axis ? std::optional<int>(int(*axis)) : std::nullopt,
                                        f.boolean("keepdims", false),
                                        layers::MaskingOptions{.name = f.string("name", "")});
                                  }});
  return table;
}

}  // namespace tapeflow::keras::internal
