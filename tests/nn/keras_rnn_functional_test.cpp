// Recurrent layers in functional models (return_state, initial_state, masks computed with
// K::ops) against Keras 3 (tests/fixtures/gen_keras_rnn_functional.py): the Keras tutorial's
// encoder-decoder built in C++ and its predictions, states as model outputs, summary(), the
// .keras files Keras saved (seq2seq; NotEqual/Any mask ops) loaded, predicted and re-serialized to
// Keras's own config, and the typed errors of the new paths.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tapeflow/nn/models/keras_archive.h"
#include "tapeflow/nn/models/model_config.h"
#include "tapeflow/serialization/file_io.h"
#include "tapeflow/serialization/zip_archive.h"
#include "tests/core/test_util.h"
#include "tests/nn/fixtures/keras_rnn_functional_fixtures.h"
#include "tests/serialization/ckpt_test_util.h"

namespace {
namespace K = tf::keras;
namespace L = tf::keras::layers;
namespace fx = fixtures::keras_rnn_functional;
using Json = nlohmann::json;
using tapeflow::testing::TempDir;

tf::Tensor from(const fx::Case& c, tf::DType dtype = tf::float64) {
  return tf::constant(c.values, tf::Shape(c.shape), dtype);
}
void expect_case(const tf::Tensor& got, const fx::Case& want, double tol) {
  tf::testing::expect_values(tf::cast(got, tf::float64), tf::Shape(want.shape), want.values, tol);
}
void set_weights(L::Layer& layer, std::vector<const fx::Case*> weights) {
  auto vars = layer.variables();
  ASSERT_EQ(vars.size(), weights.size()) << layer.name();
  for (std::size_t i = 0; i < vars.size(); ++i) vars[i].assign(from(*weights[i], vars[i].dtype()));
}
std::string fixture_path(const std::string& name) { return std::string(TAPEFLOW_TEST_DIR) + "/nn/fixtures/" + name; }
std::string read_fixture(const std::string& name) {
  return tapeflow::serialization::read_file(fixture_path(name));
}

// keras.io's character-level seq2seq, as gen_keras_rnn_functional.py builds it.
std::shared_ptr<K::Model> seq2seq(tf::DType dt) {
  auto encoder_inputs = K::Input({-1, 4}, {.dtype = dt, .name = "encoder_inputs"});
  auto encoder = L::LSTM(3, {.return_state = true, .name = "encoder", .dtype = dt});
  auto enc = encoder.call_with_state(encoder_inputs);  // {encoder_outputs, state_h, state_c}
  auto decoder_inputs = K::Input({-1, 2}, {.dtype = dt, .name = "decoder_inputs"});
  auto decoder_lstm = L::LSTM(3, {.return_sequences = true, .return_state = true, .name = "decoder", .dtype = dt});
  auto dec = decoder_lstm.call_with_state(decoder_inputs, {enc[1], enc[2]});
  auto decoder_dense = L::Dense(2, {.activation = "softmax", .name = "decoder_dense", .dtype = dt});
  return std::make_shared<K::Model>(std::vector<K::KerasTensor>{encoder_inputs, decoder_inputs},
                                    decoder_dense(dec[0]), K::ModelOptions{.name = "seq2seq"});
}

TEST(RecurrentFunctional, Seq2SeqWithEncoderStatesAsDecoderInitialStateMatchesKeras) {
  auto model = seq2seq(tf::float64);
  set_weights(*model->get_layer("encoder"), {&fx::s2s_encoder_w0, &fx::s2s_encoder_w1, &fx::s2s_encoder_w2});
  set_weights(*model->get_layer("decoder"), {&fx::s2s_decoder_w0, &fx::s2s_decoder_w1, &fx::s2s_decoder_w2});
  set_weights(*model->get_layer("decoder_dense"), {&fx::s2s_decoder_dense_w0, &fx::s2s_decoder_dense_w1});
  const tf::Tensor y = model->predict(std::vector<tf::Tensor>{from(fx::s2s_enc_x), from(fx::s2s_dec_x)});
  expect_case(y, fx::s2s_y, 1e-12);
  // The encoder node has three outputs; the decoder reads two of them by tensor index.
  const auto dec_node = model->get_layer("decoder")->inbound_nodes().at(0);
  ASSERT_EQ(dec_node->kwargs.size(), 1u);
  EXPECT_EQ(dec_node->kwargs[0].name, "initial_state");
  EXPECT_EQ(dec_node->kwargs[0].tensors[0].tensor_index(), 1);
  EXPECT_EQ(dec_node->kwargs[0].tensors[1].tensor_index(), 2);
  EXPECT_EQ(dec_node->output_shapes, (std::vector<tf::Shape>{{-1, -1, 3}, {-1, 3}, {-1, 3}}));
}

TEST(RecurrentFunctional, ReturnStateOutputsOfGruAndBackwardSimpleRnnMatchKeras) {
  auto x = K::Input({-1, 3}, {.dtype = tf::float64, .name = "x"});
  L::GRU gru(2, {.return_state = true, .name = "gru", .dtype = tf::float64});
  L::SimpleRNN rnn(2, {.return_sequences = true,
                       .return_state = true,
                       .go_backwards = true,
                       .name = "rnn",
                       .dtype = tf::float64});
  auto g = gru.call_with_state(x);
  auto r = rnn.call_with_state(x);
  ASSERT_EQ(g.size(), 2u);
  ASSERT_EQ(r.size(), 2u);
  K::Model model(x, {g[0], g[1], r[0], r[1]}, {.name = "states"});
  set_weights(gru, {&fx::st_gru_w0, &fx::st_gru_w1, &fx::st_gru_w2});
  set_weights(rnn, {&fx::st_rnn_w0, &fx::st_rnn_w1, &fx::st_rnn_w2});
  const auto ys = model.call_all({from(fx::st_x)}, false);
  ASSERT_EQ(ys.size(), 4u);
  expect_case(ys[0], fx::st_y0, 1e-12);
  expect_case(ys[1], fx::st_y1, 1e-12);
  expect_case(ys[2], fx::st_y2, 1e-12);
  expect_case(ys[3], fx::st_y3, 1e-12);
  // Keras's config of these outputs: [["gru", 0, 0], ["gru", 0, 1], ["rnn", 0, 0], ["rnn", 0, 1]].
  const Json config = Json::parse(K::saving::get_config(model));
  EXPECT_EQ(config.at("output_layers"), Json::parse(R"([["gru", 0, 0], ["gru", 0, 1], ["rnn", 0, 0], ["rnn", 0, 1]])"));
  // Rebuilt from its config, the model has the same four outputs.
  auto rebuilt = K::models::model_from_json(K::saving::serialize_keras_object(model));
  rebuilt->set_weights(model.get_weights());
  const auto again = rebuilt->call_all({from(fx::st_x)}, false);
  ASSERT_EQ(again.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) tf::testing::expect_values(again[i], ys[i].shape(), ys[i].to_vector<double>(), 0);
}

TEST(RecurrentFunctional, SummaryListsEveryOutputShapeAndTheStatesConnections) {
  auto model = seq2seq(tf::float32);
  std::ostringstream text;
  model->summary(text);
  EXPECT_EQ(text.str(), read_fixture("summary_seq2seq.txt"));
}

TEST(RecurrentFunctional, ReturnStateErrorsAreTyped) {
  auto x = K::Input({5, 3});
  L::LSTM lstm(2, {.return_state = true});
  tapeflow::testing::expect_error<tf::errors::InvalidArgumentError>([&] { lstm(x); }, {"return_state", "call_with_state"});
  L::LSTM plain(2);
  auto h = K::Input({2});
  tapeflow::testing::expect_error<tf::errors::InvalidArgumentError>([&] { plain.call_with_state(x, {h}); },
                                                             {"expects 2 initial state"});
  // Without return_state, Keras's call returns the output alone.
  EXPECT_EQ(plain.call_with_state(x, {h, h}).size(), 1u);
  EXPECT_EQ(L::GRU(2).call_with_state(x).size(), 1u);
}

// Keras's save marks the initializers it shares between layers with "shared_object_id"s (its
// SharedObjectSavingScope; serialize_keras_object writes none): left out.
void drop_shared_object_ids(Json& j) {
  if (j.is_object()) j.erase("shared_object_id");
  if (j.is_structured())
    for (Json& v : j) drop_shared_object_ids(v);
}

// Keras's own config of the file, which our config of the loaded model must equal.
Json keras_config(const std::string& file) {
  tapeflow::serialization::ZipReader zip(read_fixture(file), file);
  Json config = Json::parse(zip.read("config.json", 1 << 20));
  config.erase("compile_config");  // {}: not compiled (we write none)
  drop_shared_object_ids(config);
  return config;
}

// Loads Keras's file, compares the predictions and the config, and round-trips it through our save.
void expect_keras_file(const std::string& file, const std::vector<tf::Tensor>& x, const fx::Case& want) {
  SCOPED_TRACE(file);
  auto model = K::models::load_model(fixture_path(file));
  // float32 kernels summing in another order than TensorFlow's.
  expect_case(x.size() == 1 ? model->predict(x[0]) : model->predict(x), want, 1e-5);
  EXPECT_EQ(Json::parse(K::saving::serialize_keras_object(*model)), keras_config(file));
  TempDir dir;
  model->save(dir / "again.keras");
  auto again = K::models::load_model(dir / "again.keras");
  expect_case(x.size() == 1 ? again->predict(x[0]) : again->predict(x), want, 1e-5);
}

TEST(RecurrentFunctional, LoadsKerasSeq2SeqFile) {
  expect_keras_file("keras_seq2seq.keras", {from(fx::s2s_enc_x, tf::float32), from(fx::s2s_dec_x, tf::float32)},
                    fx::s2s32_y);
  auto model = K::models::load_model(fixture_path("keras_seq2seq.keras"));
  std::ostringstream text;
  model->summary(text);
  EXPECT_EQ(text.str(), read_fixture("summary_seq2seq.txt"));
}

TEST(RecurrentFunctional, LoadsKerasFilesWithNotEqualAndAnyMaskOps) {
  expect_keras_file("keras_mask_ops.keras", {from(fx::mo_x, tf::float32)}, fx::mo_y);
  expect_keras_file("keras_mask_ids.keras", {from(fx::mi_x, tf::int32)}, fx::mi_y);
}

TEST(RecurrentFunctional, MaskOpsBuiltInCppMatchKeras) {
  // gen_keras_rnn_functional.py's mask_ops model: mask = any(not_equal(x, 0.0), axis=-1).
  auto x = K::Input({5, 3}, {.name = "x"});
  auto mask = K::ops::any(K::ops::not_equal(x, 0.0), -1);
  L::LSTM lstm(3, {.name = "lstm"});
  L::Dense head(2, {.name = "head"});
  K::Model model(x, head(lstm.call_with_state(x, {}, mask)[0]), {.name = "mask_ops"});
  set_weights(lstm, {&fx::mo_lstm_w0, &fx::mo_lstm_w1, &fx::mo_lstm_w2});
  set_weights(head, {&fx::mo_head_w0, &fx::mo_head_w1});
  expect_case(model.predict(from(fx::mo_x, tf::float32)), fx::mo_y, 1e-5);
  // The config is the one Keras wrote for the same model (names, op nodes, the mask keyword).
  Json ours = Json::parse(K::saving::serialize_keras_object(model));
  EXPECT_EQ(ours, keras_config("keras_mask_ops.keras"));
  // ops.not_equal on int32 ids keeps the integer value in the config, as Keras writes `0`.
  auto ids = K::Input({6}, {.dtype = tf::int32});
  auto ne = K::ops::not_equal(ids, 0);
  EXPECT_EQ(ne.dtype(), tf::DType::kBool);
  K::Model m2(ids, ne);
  EXPECT_EQ(Json::parse(K::saving::get_config(m2)).at("layers")[1].at("inbound_nodes")[0].at("args")[1], Json(0));
}

TEST(RecurrentFunctional, BadStateHistoriesInConfigsRaiseTypedErrors) {
  const Json good = keras_config("keras_seq2seq.keras");
  auto expect_bad = [&](Json config, std::initializer_list<std::string> words) {
    tapeflow::testing::expect_error<tf::errors::InvalidArgumentError>(
        [&] { K::saving::deserialize_keras_object(config.dump()); }, words);
  };
  // The decoder reads an encoder output that does not exist.
  Json bad = good;
  bad["config"]["layers"][3]["inbound_nodes"][0]["kwargs"]["initial_state"][1]["config"]["keras_history"][2] = 5;
  expect_bad(bad, {"decoder", "does not have"});
  // One state for an LSTM.
  bad = good;
  bad["config"]["layers"][3]["inbound_nodes"][0]["kwargs"]["initial_state"].erase(1);
  expect_bad(bad, {"initial_state", "2 tensor"});
  // An unknown keyword tensor.
  bad = good;
  bad["config"]["layers"][4]["inbound_nodes"][0]["kwargs"]["mask"] =
      bad["config"]["layers"][3]["inbound_nodes"][0]["kwargs"]["initial_state"][0];
  tapeflow::testing::expect_error<tf::errors::UnimplementedError>(
      [&] { K::saving::deserialize_keras_object(bad.dump()); }, {"decoder_dense", "not supported"});
}

// ---- stateful=True --------------------------------------------------------------------------

std::shared_ptr<K::Sequential> stateful_model(tf::DType dt) {
  return std::make_shared<K::Sequential>(
      std::vector<K::AnyLayer>{K::Input({-1, 3}, {.dtype = dt, .name = "x", .batch_size = 2}),
                               L::LSTM(3, {.return_sequences = true, .stateful = true, .name = "lstm", .dtype = dt}),
                               L::GRU(2, {.stateful = true, .name = "gru", .dtype = dt})},
      K::SequentialOptions{.name = "stateful"});
}

void reset(K::Model& m) {
  for (const auto& l : m.layers()) std::dynamic_pointer_cast<L::RecurrentLayer>(l)->reset_states();
}

TEST(RecurrentStateful, TwoCallsOnTheHalvesEqualOneCallOnTheWholeAsKeras) {
  auto model = stateful_model(tf::float64);
  set_weights(*model->get_layer("lstm"), {&fx::sf_lstm_w0, &fx::sf_lstm_w1, &fx::sf_lstm_w2});
  set_weights(*model->get_layer("gru"), {&fx::sf_gru_w0, &fx::sf_gru_w1, &fx::sf_gru_w2});
  const tf::Tensor x = from(fx::sf_x);
  const tf::Tensor first = x[{tf::all, tf::slice(0, 3)}], second = x[{tf::all, tf::slice(3, {})}];
  // predict runs the model as a tf::Function: the states are variables it reads and assigns.
  expect_case(model->predict(first), fx::sf_y_first, 1e-12);
  expect_case(model->predict(second), fx::sf_y_second, 1e-12);
  reset(*model);
  const tf::Tensor whole = model->predict(x);
  expect_case(whole, fx::sf_y_whole, 1e-12);
  tf::testing::expect_values(whole, {2, 2}, fx::sf_y_second.values, 1e-12);  // the GRU's last output
  // Eagerly too; the states are not weights.
  reset(*model);
  (*model)(first);
  expect_case((*model)(second), fx::sf_y_second, 1e-12);
  const auto& lstm = dynamic_cast<const L::LSTM&>(*model->get_layer("lstm"));
  EXPECT_EQ(lstm.states().size(), 2u);
  EXPECT_EQ(lstm.states()[0].shape(), tf::Shape({2, 3}));
  EXPECT_EQ(model->variables().size(), 6u);  // kernel, recurrent_kernel, bias of each
  reset(*model);
  for (const tf::Tensor& s : lstm.states()) EXPECT_EQ(s.to_vector<double>(), std::vector<double>(6, 0.0));
}

TEST(RecurrentStateful, FunctionalModelKeepsStatesAcrossCalls) {
  auto x = K::Input({-1, 3}, {.dtype = tf::float64, .batch_size = 2});
  L::GRU gru(2, {.stateful = true, .dtype = tf::float64});
  K::Model model(x, gru(x));
  set_weights(gru, {&fx::sf_gru_w0, &fx::sf_gru_w1, &fx::sf_gru_w2});
  const tf::Tensor seq = tf::random::normal({2, 6, 3}, {.dtype = tf::float64, .seed = 5});
  model.predict(seq[{tf::all, tf::slice(0, 2)}]);
  const tf::Tensor halves = model.predict(seq[{tf::all, tf::slice(2, {})}]);
  gru.reset_states();
  tf::testing::expect_values(halves, {2, 2}, model.predict(seq).to_vector<double>(), 1e-12);
}

TEST(RecurrentStateful, BatchSizeErrorsAreTyped) {
  auto model = stateful_model(tf::float32);
  tapeflow::testing::expect_error<tf::errors::InvalidArgumentError>(
      [&] { model->predict(tf::zeros({3, 4, 3})); }, {"stateful", "Expected batch size: 2", "Received batch size: 3"});
  // predict's last partial batch has another size: the same error.
  tapeflow::testing::expect_error<tf::errors::InvalidArgumentError>(
      [&] { model->predict(tf::zeros({3, 4, 3}), {.batch_size = 2}); }, {"Expected batch size: 2"});
  tapeflow::testing::expect_error<tf::errors::InvalidArgumentError>(
      [&] {
        K::Sequential({K::Input({-1, 3}), L::SimpleRNN(2, {.stateful = true})});
      },
      {"stateful=True", "batch size must be static", "batch_size"});
}

TEST(RecurrentStateful, LoadsKerasStatefulFileAndRoundTripsItsConfig) {
  auto model = K::models::load_model(fixture_path("keras_stateful.keras"));
  const auto& gru = dynamic_cast<const L::GRU&>(*model->get_layer("gru"));
  EXPECT_TRUE(gru.stateful());
  const tf::Tensor x = from(fx::sf_x, tf::float32);
  expect_case(model->predict(x[{tf::all, tf::slice(0, 3)}]), fx::sf32_y_first, 1e-5);
  expect_case(model->predict(x[{tf::all, tf::slice(3, {})}]), fx::sf32_y_second, 1e-5);
  TempDir dir;
  model->save(dir / "again.keras");
  auto again = K::models::load_model(dir / "again.keras");
  EXPECT_TRUE(dynamic_cast<const L::LSTM&>(*again->get_layer("lstm")).stateful());
  EXPECT_EQ(Json::parse(K::saving::serialize_keras_object(*again)),
            Json::parse(K::saving::serialize_keras_object(*model)));
  expect_case(again->predict(x[{tf::all, tf::slice(0, 3)}]), fx::sf32_y_first, 1e-5);
  expect_case(again->predict(x[{tf::all, tf::slice(3, {})}]), fx::sf32_y_second, 1e-5);
}

}  // namespace
