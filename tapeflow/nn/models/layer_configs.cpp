// Keras 3's get_config() of each layer class Tapeflow saves, and its rebuild from a config: one
// entry per class in the table (fields Tapeflow does not implement must hold Keras's defaults).
#include "tapeflow/nn/layers/activation.h"
#include "tapeflow/nn/layers/dense.h"
#include "tapeflow/nn/layers/dropout.h"
#include "tapeflow/nn/layers/embedding.h"
#include "tapeflow/nn/layers/input_layer.h"
#include "tapeflow/nn/layers/normalization.h"
#include "tapeflow/nn/layers/pooling.h"
#include "tapeflow/nn/layers/preprocessing.h"
#include "tapeflow/nn/layers/reshaping.h"
#include "tapeflow/nn/models/model_config_json.h"

namespace tapeflow::keras::internal {

namespace {

Json base_config(const layers::Layer& l, DType dtype = DType::kFloat32) {
  return {{"name", l.name()}, {"trainable", l.trainable()}, {"dtype", dtype_policy_json(dtype)}};
}

Json pair_json(const layers::IntPair& p) { return Json::array({p.h, p.w}); }

template <typename L> const L& as(const layers::Layer& l) { return dynamic_cast<const L&>(l); }

// Merges `extra` after the base fields (Keras's {**base_config, **config}).
Json with_base(const layers::Layer& l, DType dtype, Json extra) {
  Json out = base_config(l, dtype);
  for (auto& [k, v] : extra.items()) out[k] = v;
  return out;
}

// MaxPooling2D and AveragePooling2D: the same options, the same config.
template <typename Pool> LayerClass pool2d_class() {
  return {[](const layers::Layer& l) {
            const layers::Pool2DOptions& o = as<Pool>(l).options();
            return with_base(l, DType::kFloat32,
                             {{"pool_size", pair_json(o.pool_size)},
                              {"padding", o.padding},
                              {"strides", pair_json(o.strides.value_or(o.pool_size))},
                              {"data_format", "channels_last"}});
          },
          [](const Fields& f, ConfigContext&) -> std::shared_ptr<layers::Layer> {
            require_defaults(f, {{"data_format", "channels_last"}});
            return std::make_shared<Pool>(layers::Pool2DOptions{
                .pool_size = f.pair("pool_size", 2),
                .strides = f.get("strides") ? std::optional<layers::IntPair>(f.pair("strides")) : std::nullopt,
                .padding = f.string("padding", "valid"),
                .name = f.string("name", "")});
          }};
}

}  // namespace

const std::map<std::string, LayerClass>& layer_classes() {
  using namespace layers;  // NOLINT
  static const std::map<std::string, LayerClass> base = {
      {"Dense",
       {[](const Layer& l) {
          const auto& d = as<Dense>(l);
          const DenseOptions& o = d.options();
          return with_base(l, o.dtype,
                           {{"units", d.units()},
                            {"activation", activation_json(o.activation, l.name())},
                            {"use_bias", o.use_bias},
                            {"kernel_initializer", initializer_json(o.kernel_initializer, l.name())},
                            {"bias_initializer", initializer_json(o.bias_initializer, l.name())},
                            {"kernel_regularizer", regularizer_json(o.kernel_regularizer, l.name())},
                            {"bias_regularizer", regularizer_json(o.bias_regularizer, l.name())},
                            {"kernel_constraint", nullptr},
                            {"bias_constraint", nullptr},
                            {"quantization_config", nullptr}});
        },
        [](const Fields& f, ConfigContext& ctx) -> std::shared_ptr<Layer> {
          require_defaults(f, {{"kernel_constraint", nullptr},
                               {"bias_constraint", nullptr},
                               {"activity_regularizer", nullptr},
                               {"quantization_config", nullptr},
                               {"lora_rank", nullptr}});
          return std::make_shared<Dense>(
              f.integer("units", {}, 1),
              DenseOptions{.activation = activation_from(f, "activation"),
                           .use_bias = f.boolean("use_bias", true),
                           .kernel_initializer = initializer_from(f, "kernel_initializer", "glorot_uniform", ctx),
                           .bias_initializer = initializer_from(f, "bias_initializer", "zeros", ctx),
                           .kernel_regularizer = regularizer_from(f, "kernel_regularizer"),
                           .bias_regularizer = regularizer_from(f, "bias_regularizer"),
                           .name = f.string("name", ""),
                           .trainable = f.boolean("trainable", true),
                           .dtype = dtype_of(f)});
        }}},
      {"Conv2D",
       {[](const Layer& l) {
          const auto& c = as<Conv2D>(l);
          const Conv2DOptions& o = c.options();
          return with_base(l, o.dtype,
                           {{"filters", c.filters()},
                            {"kernel_size", pair_json(c.kernel_size())},
                            {"strides", pair_json(o.strides)},
                            {"padding", o.padding},
                            {"data_format", "channels_last"},
                            {"dilation_rate", pair_json(o.dilation_rate)},
                            {"groups", 1},
                            {"activation", activation_json(o.activation, l.name())},
                            {"use_bias", o.use_bias},
                            {"kernel_initializer", initializer_json(o.kernel_initializer, l.name())},
                            {"bias_initializer", initializer_json(o.bias_initializer, l.name())},
                            {"kernel_regularizer", regularizer_json(o.kernel_regularizer, l.name())},
                            {"bias_regularizer", regularizer_json(o.bias_regularizer, l.name())},
                            {"activity_regularizer", nullptr},
                            {"kernel_constraint", nullptr},
                            {"bias_constraint", nullptr}});
        },
        [](const Fields& f, ConfigContext& ctx) -> std::shared_ptr<Layer> {
          require_defaults(f, {{"data_format", "channels_last"},
                               {"groups", 1},
                               {"kernel_constraint", nullptr},
                               {"bias_constraint", nullptr},
                               {"activity_regularizer", nullptr},
                               {"lora_rank", nullptr}});
          return std::make_shared<Conv2D>(
              f.integer("filters", {}, 1), f.pair("kernel_size"),
              Conv2DOptions{.strides = f.pair("strides", 1),
                            .padding = f.string("padding", "valid"),
                            .dilation_rate = f.pair("dilation_rate", 1),
                            .activation = activation_from(f, "activation"),
                            .use_bias = f.boolean("use_bias", true),
                            .kernel_initializer = initializer_from(f, "kernel_initializer", "glorot_uniform", ctx),
                            .bias_initializer = initializer_from(f, "bias_initializer", "zeros", ctx),
                            .kernel_regularizer = regularizer_from(f, "kernel_regularizer"),
                            .bias_regularizer = regularizer_from(f, "bias_regularizer"),
                            .name = f.string("name", ""),
                            .trainable = f.boolean("trainable", true),
                            .dtype = dtype_of(f)});
        }}},
      {"MaxPooling2D", pool2d_class<MaxPool2D>()},
      {"AveragePooling2D", pool2d_class<AveragePool2D>()},
      {"GlobalAveragePooling2D",
       {[](const Layer& l) {
          return with_base(l, DType::kFloat32,
                           {{"data_format", "channels_last"}, {"keepdims", as<GlobalAveragePooling2D>(l).keepdims()}});
        },
        [](const Fields& f, ConfigContext&) -> std::shared_ptr<Layer> {
          require_defaults(f, {{"data_format", "channels_last"}});
          return std::make_shared<GlobalAveragePooling2D>(
              GlobalPool2DOptions{.keepdims = f.boolean("keepdims", false), .name = f.string("name", "")});
        }}},
      {"Flatten",
       {[](const Layer& l) {
          return with_base(l, DType::kFloat32, {{"data_format", "channels_last"}});
        },
        [](const Fields& f, ConfigContext&) -> std::shared_ptr<Layer> {
          require_defaults(f, {{"data_format", "channels_last"}});
          return std::make_shared<Flatten>(FlattenOptions{.name = f.string("name", "")});
        }}},
      {"Reshape",
       {[](const Layer& l) {
          Json target = Json::array();
          for (int64_t d : as<Reshape>(l).target_shape()) target.push_back(d);
          return with_base(l, DType::kFloat32, {{"target_shape", target}});
        },
        [](const Fields& f, ConfigContext&) -> std::shared_ptr<Layer> {
          return std::make_shared<Reshape>(f.shape("target_shape", false),
                                           ReshapeOptions{.name = f.string("name", "")});
        }}},
      {"Dropout",
       {[](const Layer& l) {
          const auto& d = as<Dropout>(l);
          const DropoutOptions& o = d.options();
          return with_base(l, DType::kFloat32,
                           {{"rate", d.rate()},
                            {"seed", value_json(config_value(o.seed))},
                            {"noise_shape", o.noise_shape ? shape_json(*o.noise_shape) : Json(nullptr)}});
        },
        [](const Fields& f, ConfigContext&) -> std::shared_ptr<Layer> {
          std::optional<Shape> noise;
          if (f.get("noise_shape")) noise = f.shape("noise_shape", true);
          return std::make_shared<Dropout>(
              f.number("rate"),
              DropoutOptions{.noise_shape = noise, .seed = f.optional_integer("seed"), .name = f.string("name", "")});
        }}},
      {"Activation",
       {[](const Layer& l) {
          return with_base(l, DType::kFloat32,
                           {{"activation", activation_json(as<Activation>(l).activation(), l.name())}});
        },
        [](const Fields& f, ConfigContext&) -> std::shared_ptr<Layer> {
          return std::make_shared<Activation>(activation_from(f, "activation"),
                                              ActivationOptions{.name = f.string("name", "")});
        }}},
      {"Softmax",
       {[](const Layer& l) {
          return with_base(l, DType::kFloat32, {{"axis", as<Softmax>(l).axis()}});
        },
        [](const Fields& f, ConfigContext&) -> std::shared_ptr<Layer> {
          return std::make_shared<Softmax>(
              SoftmaxOptions{.axis = static_cast<int>(f.integer("axis", -1, -8, 8)), .name = f.string("name", "")});
        }}},
      {"BatchNormalization",
       {[](const Layer& l) {
          const BatchNormalizationOptions& o = as<BatchNormalization>(l).options();
          return with_base(l, o.dtype,
                           {{"axis", o.axis},
                            {"momentum", o.momentum},
                            {"epsilon", o.epsilon},
                            {"center", o.center},
                            {"scale", o.scale},
                            {"beta_initializer", initializer_json(o.beta_initializer, l.name())},
                            {"gamma_initializer", initializer_json(o.gamma_initializer, l.name())},
                            {"moving_mean_initializer", initializer_json(o.moving_mean_initializer, l.name())},
                            {"moving_variance_initializer", initializer_json(o.moving_variance_initializer, l.name())},
                            {"beta_regularizer", regularizer_json(o.beta_regularizer, l.name())},
                            {"gamma_regularizer", regularizer_json(o.gamma_regularizer, l.name())},
                            {"beta_constraint", nullptr},
                            {"gamma_constraint", nullptr},
                            {"synchronized", false},
                            {"renorm", false},
                            {"renorm_clipping", nullptr},
                            {"renorm_momentum", 0.99}});
        },
        [](const Fields& f, ConfigContext& ctx) -> std::shared_ptr<Layer> {
          require_defaults(f, {{"beta_constraint", nullptr},
                               {"gamma_constraint", nullptr},
                               {"synchronized", false},
                               {"renorm", false},
                               {"renorm_clipping", nullptr}});
          return std::make_shared<BatchNormalization>(BatchNormalizationOptions{
              .axis = static_cast<int>(f.integer("axis", -1, -8, 8)),
              .momentum = f.number("momentum", 0.99),
              .epsilon = f.number("epsilon", 1e-3),
              .center = f.boolean("center", true),
              .scale = f.boolean("scale", true),
              .beta_initializer = initializer_from(f, "beta_initializer", "zeros", ctx),
              .gamma_initializer = initializer_from(f, "gamma_initializer", "ones", ctx),
              .moving_mean_initializer = initializer_from(f, "moving_mean_initializer", "zeros", ctx),
              .moving_variance_initializer = initializer_from(f, "moving_variance_initializer", "ones", ctx),
              .beta_regularizer = regularizer_from(f, "beta_regularizer"),
              .gamma_regularizer = regularizer_from(f, "gamma_regularizer"),
              .name = f.string("name", ""),
              .trainable = f.boolean("trainable", true),
              .dtype = dtype_of(f)});
        }}},
      {"LayerNormalization",
       {[](const Layer& l) {
          const LayerNormalizationOptions& o = as<LayerNormalization>(l).options();
          Json axis = Json::array();  // Keras 3 always writes a list
          if (!o.axis.all())
            for (int64_t a : o.axis.list()) axis.push_back(a);
          return with_base(l, o.dtype,
                           {{"axis", axis},
                            {"epsilon", o.epsilon},
                            {"center", o.center},
                            {"scale", o.scale},
                            {"rms_scaling", o.rms_scaling},
                            {"beta_initializer", initializer_json(o.beta_initializer, l.name())},
                            {"gamma_initializer", initializer_json(o.gamma_initializer, l.name())},
                            {"beta_regularizer", regularizer_json(o.beta_regularizer, l.name())},
                            {"gamma_regularizer", regularizer_json(o.gamma_regularizer, l.name())},
                            {"beta_constraint", nullptr},
                            {"gamma_constraint", nullptr}});
        },
        [](const Fields& f, ConfigContext& ctx) -> std::shared_ptr<Layer> {
          require_defaults(f, {{"beta_constraint", nullptr}, {"gamma_constraint", nullptr}});
          std::vector<int> axes;
          const Json* a = f.get("axis");
          if (!a)
            axes = {-1};
          else if (a->is_array())
            for (std::size_t i = 0; i < a->size() && i < 8; ++i)
              axes.push_back(static_cast<int>(Fields(Json{{"axis", (*a)[i]}}, f.where()).integer("axis", {}, -8, 8)));
          else
            axes = {static_cast<int>(f.integer("axis", {}, -8, 8))};
          return std::make_shared<LayerNormalization>(
              LayerNormalizationOptions{.axis = Axes(axes),
                                        .epsilon = f.number("epsilon", 1e-3),
                                        .center = f.boolean("center", true),
                                        .scale = f.boolean("scale", true),
                                        .rms_scaling = f.boolean("rms_scaling", false),
                                        .beta_initializer = initializer_from(f, "beta_initializer", "zeros", ctx),
                                        .gamma_initializer = initializer_from(f, "gamma_initializer", "ones", ctx),
                                        .beta_regularizer = regularizer_from(f, "beta_regularizer"),
                                        .gamma_regularizer = regularizer_from(f, "gamma_regularizer"),
                                        .name = f.string("name", ""),
                                        .trainable = f.boolean("trainable", true),
                                        .dtype = dtype_of(f)});
        }}},
      {"Embedding",
       {[](const Layer& l) {
          const auto& e = as<Embedding>(l);
          const EmbeddingOptions& o = e.options();
          return with_base(l, DType::kFloat32,
                           {{"input_dim", e.input_dim()},
                            {"output_dim", e.output_dim()},
                            {"embeddings_initializer", initializer_json(o.embeddings_initializer, l.name())},
                            {"embeddings_regularizer", regularizer_json(o.embeddings_regularizer, l.name())},
                            {"activity_regularizer", nullptr},
                            {"embeddings_constraint", nullptr},
                            {"mask_zero", o.mask_zero},
                            {"quantization_config", nullptr}});
        },
        [](const Fields& f, ConfigContext& ctx) -> std::shared_ptr<Layer> {
          require_defaults(f, {{"embeddings_constraint", nullptr},
                               {"activity_regularizer", nullptr},
                               {"quantization_config", nullptr},
                               {"lora_rank", nullptr}});
          return std::make_shared<Embedding>(
              f.integer("input_dim", {}, 1), f.integer("output_dim", {}, 1),
              EmbeddingOptions{.embeddings_initializer = initializer_from(f, "embeddings_initializer", "uniform", ctx),
                               .embeddings_regularizer = regularizer_from(f, "embeddings_regularizer"),
                               .mask_zero = f.boolean("mask_zero", false),
                               .name = f.string("name", ""),
                               .trainable = f.boolean("trainable", true)});
        }}},
      {"Rescaling",
       {[](const Layer& l) {
          const auto& r = as<Rescaling>(l);
          return with_base(l, r.options().dtype, {{"scale", r.scale()}, {"offset", r.options().offset}});
        },
        [](const Fields& f, ConfigContext&) -> std::shared_ptr<Layer> {
          return std::make_shared<Rescaling>(
              f.number("scale"),
              RescalingOptions{.offset = f.number("offset", 0.0), .name = f.string("name", ""), .dtype = dtype_of(f)});
        }}},
      {"InputLayer",
       {[](const Layer& l) {
          const auto& in = as<InputLayer>(l);
          return Json{{"batch_shape", shape_json(in.shape())},
                      {"dtype", std::string(dtype_name(in.dtype()))},
                      {"sparse", false},
                      {"ragged", false},
                      {"name", l.name()},
                      {"optional", false}};
        },
        [](const Fields& f, ConfigContext&) -> std::shared_ptr<Layer> {
          return std::make_shared<InputLayer>(
              input_layer_shape(f),
              InputOptions{.dtype = dtype_of(f), .name = f.string("name", ""), .batch_size = std::nullopt});
        }}},
      {"Sequential",
       {[](const Layer& l) { return sequential_config(as<Sequential>(l)); },
        [](const Fields& f, ConfigContext& ctx) -> std::shared_ptr<Layer> { return sequential_from_config(f, ctx); }}},
      {"Functional",
       {[](const Layer& l) { return functional_config(as<Model>(l)); },
        [](const Fields& f, ConfigContext& ctx) -> std::shared_ptr<Layer> { return functional_from_config(f, ctx); }}},
  };
  static const std::map<std::string, LayerClass> table = with_recurrent_layer_classes(base);
  return table;
}

}  // namespace tapeflow::keras::internal
