// Keras 3 configs (nn/models/model_config.h): each layer's serialize_keras_object equals what
// Keras 3 writes for the same layer (fixtures/keras_configs.json, from gen_keras_configs.py),
// Keras's JSON rebuilds our layers and serializes back to itself, compiled Sequential and
// functional models round-trip with their compile_config, and bad configs raise typed errors.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "tapeflow/nn/models/model_config.h"
#include "tapeflow/nn/models/model_config_json.h"
#include "tests/serialization/ckpt_test_util.h"

namespace {
namespace K = tf::keras;
// Compared as unordered JSON objects: key order is not part of a config.
using Json = nlohmann::json;
using tapeflow::testing::expect_error;

const Json& keras_configs() {
  static const Json j = [] {
    std::ifstream f(std::string(TAPEFLOW_TEST_DIR) + "/serialization/fixtures/keras_configs.json");
    std::stringstream ss;
    ss << f.rdbuf();
    return Json::parse(ss.str());
  }();
  return j;
}

// The C++ twin of each fixture case (same arguments and names as gen_keras_configs.py).
std::shared_ptr<K::layers::Layer> twin(const std::string& key) {
  namespace L = K::layers;
  namespace I = K::initializers;
  auto built = [](auto layer, tf::Shape shape) {
    auto p = std::make_shared<decltype(layer)>(layer);
    (*p)(tf::zeros(shape));  // builds from a batch of 1, as Keras's build((None, ...))
    return std::shared_ptr<L::Layer>(p);
  };
  if (key == "dense")
    return built(L::Dense(3, {.activation = "relu", .kernel_regularizer = K::regularizers::L2(0.01), .name = "dense"}),
                 {1, 4});
  if (key == "dense_initializers")
    return std::make_shared<L::Dense>(2, L::DenseOptions{.use_bias = false,
                                                         .kernel_initializer = I::HeNormal({.seed = 3}),
                                                         .bias_initializer = "ones",
                                                         .bias_regularizer = K::regularizers::L1L2(0.1, 0.2),
                                                         .name = "dense_init"});
  if (key == "dense_random")
    return std::make_shared<L::Dense>(
        2, L::DenseOptions{.kernel_initializer = I::RandomUniform({.minval = -0.1, .maxval = 0.1, .seed = 1}),
                           .bias_initializer = I::Constant(0.5),
                           .name = "dense_random"});
  if (key == "conv2d")
    return built(L::Conv2D(4, 3, {.strides = 2, .padding = "same", .activation = "tanh", .name = "conv2d"}),
                 {1, 8, 8, 1});
  if (key == "max_pooling2d") return std::make_shared<L::MaxPooling2D>(L::Pool2DOptions{.name = "max_pooling2d"});
  if (key == "average_pooling2d")
    return std::make_shared<L::AveragePooling2D>(
        L::Pool2DOptions{.pool_size = 3, .strides = 1, .padding = "same", .name = "average_pooling2d"});
  if (key == "flatten") return std::make_shared<L::Flatten>(L::FlattenOptions{.name = "flatten"});
  if (key == "dropout") return std::make_shared<L::Dropout>(0.5, L::DropoutOptions{.seed = 3, .name = "dropout"});
  if (key == "batch_normalization")
    return built(L::BatchNormalization({.momentum = 0.9, .name = "batch_normalization"}), {1, 5});
  if (key == "activation") return std::make_shared<L::Activation>("tanh", L::ActivationOptions{.name = "activation"});
  if (key == "input_layer")
    return std::make_shared<L::InputLayer>(tf::Shape{-1, 4}, K::InputOptions{.name = "input_layer"});
  if (key == "reshape") return std::make_shared<L::Reshape>(tf::Shape{2, 2}, L::ReshapeOptions{.name = "reshape"});
  if (key == "softmax") return std::make_shared<L::Softmax>(L::SoftmaxOptions{.name = "softmax"});
  if (key == "layer_normalization")
    return built(L::LayerNormalization({.epsilon = 1e-6, .name = "layer_normalization"}), {1, 6});
  if (key == "embedding") {
    auto e = std::make_shared<L::Embedding>(10, 4, L::EmbeddingOptions{.name = "embedding"});
    (*e)(tf::zeros({1, 3}, tf::int32));
    return e;
  }
  if (key == "global_average_pooling2d")
    return std::make_shared<L::GlobalAveragePooling2D>(L::GlobalPool2DOptions{.name = "global_average_pooling2d"});
  if (key == "rescaling") return std::make_shared<L::Rescaling>(1.0 / 255, L::RescalingOptions{.name = "rescaling"});
  if (key == "masking") return std::make_shared<L::Masking>(0.5, L::MaskingOptions{.name = "masking"});
  if (key == "simple_rnn")
    return built(L::SimpleRNN(3, {.activation = "relu",
                                  .dropout = 0.25,
                                  .return_sequences = true,
                                  .go_backwards = true,
                                  .name = "simple_rnn"}),
                 {1, 5, 2});
  if (key == "lstm")
    return built(L::LSTM(4, {.unit_forget_bias = false,
                             .kernel_regularizer = K::regularizers::L2(0.01),
                             .recurrent_dropout = 0.1,
                             .seed = 5,
                             .name = "lstm"}),
                 {1, 5, 2});
  if (key == "gru")
    return built(L::GRU(3, {.use_bias = false, .return_sequences = true, .reset_after = false, .name = "gru"}),
                 {1, 5, 2});
  if (key == "sequential") {
    auto m = std::make_shared<K::Sequential>(
        std::vector<K::AnyLayer>{K::Input({4}, {.name = "input_layer"}),
                                 K::layers::Dense(3, {.activation = "relu", .name = "d1"}),
                                 K::layers::Dense(2, {.name = "d2"})},
        K::SequentialOptions{.name = "seq"});
    m->compile({.optimizer = K::optimizers::Adam({.learning_rate = 1e-3}),
                .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                .metrics = {"accuracy"},
                .weighted_metrics = {"accuracy"}});
    return m;
  }
  if (key == "functional") {
    auto x = K::Input({4}, {.name = "inp"});
    auto h = K::layers::Dense(3, {.name = "fd1"})(x);
    auto y = K::layers::Dense(2, {.name = "fd2"})(K::layers::Dropout(0.1, {.name = "drop"})(h));
    auto m = std::make_shared<K::Model>(x, y, K::ModelOptions{.name = "func"});
    // Keras 3.15 names its SGD "sgd" (Tapeflow's default name is "SGD", Keras 3.0's).
    m->compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.01, .momentum = 0.9, .name = "sgd"}),
                .loss = K::losses::MeanSquaredError(),
                .metrics = {"mae"}});
    return m;
  }
  ADD_FAILURE() << "no C++ twin for fixture case " << key;
  return nullptr;
}

std::vector<std::string> cases() {
  std::vector<std::string> out;
  for (const auto& [k, _] : keras_configs().items())
    if (k != "generated") out.push_back(k);
  return out;
}

TEST(KerasConfig, EveryLayerSerializesAsKerasDoes) {
  for (const std::string& key : cases()) {
    SCOPED_TRACE(key);
    auto layer = twin(key);
    ASSERT_TRUE(layer);
    const Json ours = Json::parse(K::saving::serialize_keras_object(*layer));
    const Json& want = keras_configs().at(key);
    EXPECT_EQ(ours, want) << "ours:  " << ours.dump() << "\nkeras: " << want.dump();
  }
}

TEST(KerasConfig, KerasJsonRebuildsAndSerializesBack) {
  for (const std::string& key : cases()) {
    SCOPED_TRACE(key);
    const Json& want = keras_configs().at(key);
    auto layer = K::saving::deserialize_keras_object(want.dump());
    ASSERT_TRUE(layer);
    EXPECT_EQ(layer->class_name(), want.at("class_name").get<std::string>());
    const Json again = Json::parse(K::saving::serialize_keras_object(*layer));
    EXPECT_EQ(again, want) << "again: " << again.dump() << "\nkeras: " << want.dump();
  }
}

TEST(KerasConfig, RebuiltModelsComputeAsTheOriginal) {
  for (const std::string key : {"sequential", "functional"}) {
    SCOPED_TRACE(key);
    auto original = std::dynamic_pointer_cast<K::Model>(twin(key));
    auto rebuilt = K::models::model_from_json(K::saving::serialize_keras_object(*original));
    ASSERT_TRUE(rebuilt->compiled());
    rebuilt->set_weights(original->get_weights());
    const tf::Tensor x = tf::constant({{0.5f, -1.0f, 2.0f, 0.25f}, {1.5f, 0.0f, -0.5f, 3.0f}});
    tapeflow::testing::expect_identical(rebuilt->predict(x), original->predict(x));
    if (key == std::string("functional")) continue;  // its Dropout's masks are random
    // The restored compile config trains the same: one step from the same weights.
    const tf::Tensor y = tf::constant({1, 0});
    original->train_step(x, y);
    rebuilt->train_step(x, y);
    // Close, not identical: the config holds the learning rate as Keras's float32 variable reads
    // (0.0010000000474974513), the original the double 1e-3.
    for (std::size_t i = 0; i < original->get_weights().size(); ++i) {
      const auto a = rebuilt->get_weights()[i].to_vector<float>(), b = original->get_weights()[i].to_vector<float>();
      ASSERT_EQ(a.size(), b.size());
      for (std::size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(a[k], b[k], 1e-6 * (1 + std::abs(b[k])));
    }
  }
}

TEST(KerasConfig, UnknownClassesAndBadFieldsRaiseTypedErrors) {
  expect_error<tf::errors::InvalidArgumentError>(
      [] { K::saving::deserialize_keras_object(R"({"class_name": "FancyLayer", "config": {"name": "x"}})"); },
      {"unknown layer class", "FancyLayer", "Dense"});
  expect_error<tf::errors::InvalidArgumentError>(
      [] {
        K::saving::deserialize_keras_object(R"({"class_name": "Dense", "config": {"name": "d", "units": "ten"}})");
      },
      {"layer \"d\" (Dense)", "units", "integer"});
  expect_error<tf::errors::InvalidArgumentError>(
      [] { K::saving::deserialize_keras_object(R"({"class_name": "Dense", "config": {"name": "d", "units": 0}})"); },
      {"units"});
  expect_error<tf::errors::InvalidArgumentError>(
      [] {
        K::saving::deserialize_keras_object(
            R"({"class_name": "Dense", "config": {"name": "d", "units": 2, "kernel_initializer": {"class_name": "Magic"}}})");
      },
      {"kernel_initializer", "Magic"});
  expect_error<tf::errors::InvalidArgumentError>(
      [] {
        K::saving::deserialize_keras_object(R"({"class_name": "Activation", "config": {"activation": "wiggle"}})");
      },
      {"wiggle"});
  expect_error<tf::errors::UnimplementedError>(
      [] {
        K::saving::deserialize_keras_object(
            R"({"class_name": "Conv2D", "config": {"filters": 2, "kernel_size": 3, "data_format": "channels_first"}})");
      },
      {"data_format", "channels_first"});
  expect_error<tf::errors::DataLossError>([] { K::saving::deserialize_keras_object(R"({"class_name": "Dense", )"); },
                                          {"malformed JSON"});
  // Nesting is bounded before parsing.
  expect_error<tf::errors::InvalidArgumentError>(
      [] { K::saving::deserialize_keras_object(std::string(100000, '[') + std::string(100000, ']')); },
      {"nested deeper"});
  // A functional graph whose node reads a layer that does not exist.
  expect_error<tf::errors::InvalidArgumentError>(
      [] {
        K::saving::deserialize_keras_object(R"({"class_name": "Functional", "config": {"name": "f", "layers": [
          {"class_name": "InputLayer", "name": "in", "config": {"batch_shape": [null, 2], "name": "in"}, "inbound_nodes": []},
          {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 1}, "inbound_nodes": [{"args": [
            {"class_name": "__keras_tensor__", "config": {"shape": [null, 2], "keras_history": ["ghost", 0, 0]}}],
            "kwargs": {}}]}],
          "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}})");
      },
      {"ghost"});
}

TEST(KerasConfig, LayersWithoutAKerasConfigCannotBeSaved) {
  K::layers::Dense custom(2, {.activation = [](const tf::Tensor& x) { return x * 2.0f; }});
  expect_error<tf::errors::UnimplementedError>([&] { K::saving::serialize_keras_object(custom); },
                                               {"custom activation"});
  K::layers::Dense lambda_init(2, {.kernel_initializer = K::initializers::Initializer(
                                       [](const tf::Shape& s, tf::DType dt) { return tf::zeros(s, dt); }, "mine")});
  expect_error<tf::errors::UnimplementedError>([&] { K::saving::serialize_keras_object(lambda_init); },
                                               {"initializer mine"});
}

}  // namespace
