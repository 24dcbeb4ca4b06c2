// Writes the `.keras` files keras_models_interop.py loads with the real Keras 3:
//   write_keras_models OUT_DIR
// mlp.keras (Sequential: Input(4), Dense(8, relu), Dense(3); Adam, sparse categorical
// cross-entropy from logits, accuracy) and cnn.keras (functional: Conv2D, MaxPooling2D,
// BatchNormalization, Dropout, Flatten, Dense; SGD with momentum) and rnn.keras (Sequential:
// Input(5, 3), Masking, LSTM with dropout and recurrent_dropout, GRU go_backwards, SimpleRNN,
// Dense(3); padded sequences), seq2seq.keras (Keras's encoder-decoder: the encoder LSTM's
// return_state states are the decoder LSTM's initial_state; two inputs) and maskops.keras (a mask
// from K::ops::not_equal / any passed to a GRU), each trained a few steps, with <name>_x.npy
// (several inputs: _x0, _x1), <name>_y.npy, Tapeflow's <name>_predict.npy and <name>_evaluate.npy
// ([loss, metric]).
#include <cmath>

#include "tapeflow/tapeflow.h"

namespace K = tf::keras;

namespace {
tf::Tensor ramp(tf::Shape shape, double scale) {
  std::vector<double> v;
  for (int64_t i = 0; i < shape.num_elements(); ++i) v.push_back(std::sin(0.37 * double(i)) * scale);
  return tf::detail::constant_from_doubles(v, shape, tf::float32);
}

// Six sequences of five steps, the last steps of two of them padding (zeros) for Masking.
tf::Tensor padded() {
  const tf::Tensor keep = tf::constant(
      std::vector<double>{1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0},
      tf::Shape{6, 5, 1}, tf::float32);
  return ramp({6, 5, 3}, 1.5) * keep;
}

void write(K::Model& m, const std::string& out, const std::string& name, const tf::Tensor& x, const tf::Tensor& y) {
  for (int i = 0; i < 3; ++i) m.train_step(x, y);
  m.save(out + "/" + name + ".keras");
  tf::io::write_npy(out + "/" + name + "_x.npy", x);
  tf::io::write_npy(out + "/" + name + "_y.npy", y);
  tf::io::write_npy(out + "/" + name + "_predict.npy", m.predict(x));
  const auto r = m.evaluate(x, y, {.verbose = 0});
  tf::io::write_npy(out + "/" + name + "_evaluate.npy", tf::constant({r[0], r[1]}, tf::float64));
}

void write(K::Model& m, const std::string& out, const std::string& name, const std::vector<tf::Tensor>& x,
           const tf::Tensor& y) {
  m.fit(x, y, {.epochs = 3, .shuffle = false, .verbose = 0});
  m.save(out + "/" + name + ".keras");
  for (std::size_t i = 0; i < x.size(); ++i) tf::io::write_npy(out + "/" + name + "_x" + std::to_string(i) + ".npy", x[i]);
  tf::io::write_npy(out + "/" + name + "_y.npy", y);
  tf::io::write_npy(out + "/" + name + "_predict.npy", m.predict(x));
  const auto r = m.evaluate(x, y, {.verbose = 0});
  tf::io::write_npy(out + "/" + name + "_evaluate.npy", tf::constant({r[0], r[1]}, tf::float64));
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string out = argv[1];
  {
    K::Sequential mlp({K::Input({4}), K::layers::Dense(8, {.activation = "relu"}), K::layers::Dense(3)});
    mlp.compile({.optimizer = K::optimizers::Adam({.learning_rate = 0.01}),
                 .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
    write(mlp, out, "mlp", ramp({6, 4}, 2.0), tf::constant({0, 1, 2, 1, 0, 2}));
  }
  {
    auto x = K::Input({8, 8, 1});
    auto h = K::layers::Conv2D(4, 3, {.activation = "relu"})(x);
    h = K::layers::MaxPooling2D()(h);
    h = K::layers::BatchNormalization()(h);
    h = K::layers::Dropout(0.25)(h);
    K::Model cnn(x, K::layers::Dense(3)(K::layers::Flatten()(h)));
    cnn.compile({.optimizer = K::optimizers::SGD({.learning_rate = 0.05, .momentum = 0.9}),
                 .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
    write(cnn, out, "cnn", ramp({4, 8, 8, 1}, 1.0), tf::constant({0, 2, 1, 1}));
  }
  {
    namespace L = K::layers;
    K::Sequential rnn({K::Input({5, 3}), L::Masking(0.0),
                       L::LSTM(4, {.dropout = 0.1, .recurrent_dropout = 0.2, .seed = 7, .return_sequences = true}),
                       L::GRU(4, {.recurrent_dropout = 0.1, .return_sequences = true, .go_backwards = true}),
                       L::SimpleRNN(3, {.activation = "relu"}), L::Dense(3)});
    rnn.compile({.optimizer = K::optimizers::Adam({.learning_rate = 0.01}),
                 .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
    write(rnn, out, "rnn", padded(), tf::constant({0, 1, 2, 1, 0, 2}));
  }
  {
    namespace L = K::layers;
    auto encoder_inputs = K::Input({-1, 4}, {.name = "encoder_inputs"});
    auto enc = L::LSTM(5, {.return_state = true, .name = "encoder"}).call_with_state(encoder_inputs);
    auto decoder_inputs = K::Input({-1, 3}, {.name = "decoder_inputs"});
    auto dec = L::LSTM(5, {.return_sequences = true, .return_state = true, .name = "decoder"})
                   .call_with_state(decoder_inputs, {enc[1], enc[2]});
    K::Model seq2seq({encoder_inputs, decoder_inputs},
                     L::Dense(3, {.activation = "softmax", .name = "decoder_dense"})(dec[0]));
    seq2seq.compile({.optimizer = K::optimizers::Adam({.learning_rate = 0.01}),
                     .loss = K::losses::MeanSquaredError(),
                     .metrics = {"mae"}});
    write(seq2seq, out, "seq2seq", {ramp({4, 6, 4}, 1.0), ramp({4, 3, 3}, 0.5)}, tf::abs(ramp({4, 3, 3}, 1.0)));
  }
  {
    namespace L = K::layers;
    auto x = K::Input({5, 3});
    auto mask = K::ops::any(K::ops::not_equal(x, 0.0), -1);
    K::Model maskops(x, L::Dense(3)(L::GRU(4).call_with_state(x, {}, mask)[0]));
    maskops.compile({.optimizer = K::optimizers::Adam({.learning_rate = 0.01}),
                     .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                     .metrics = {"accuracy"}});
    write(maskops, out, "maskops", padded(), tf::constant({0, 1, 2, 1, 0, 2}));
  }
  return 0;
}
