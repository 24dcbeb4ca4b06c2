// Writes the Tapeflow checkpoints that tf_reads_tapeflow.py checks with the real TensorFlow:
//   write_for_tf OUT_DIR
// all_dtypes (a module holding every dtype) and keras/ckpt-1 (Sequential + Adam after two steps,
// saved with Checkpoint::save) with keras_expected.txt: the inputs, the outputs at the save, and
// the weights one step later, which TF must reproduce after restoring.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>

#include "tapeflow/serialization/safetensors.h"
#include "tests/serialization/ckpt_test_util.h"

namespace K = tf::keras;

namespace {
void write_values(std::ofstream& f, const std::string& name, const tf::Tensor& t) {
  f << name;
  for (double v : tf::cast(t, tf::float64).to_vector<double>()) f << ' ' << std::setprecision(17) << v;
  f << '\n';
}

// A subclassed model whose sublayers are tracked under the attribute names of the Python model
// tf_reads_tapeflow.py builds (`dense_a`, `zeta`).
struct SubclassedModel : K::Model {
  K::layers::Dense a, z;
  SubclassedModel()
      : K::Model("sub"),
        a(track_layer(K::layers::Dense(3, {.name = "dense_a"}))),
        z(track_layer(K::layers::Dense(2, {.name = "zeta"}))) {}
  tf::Tensor call(const tf::Tensor& x, bool training) override { return z(a(x, training), training); }
};

std::vector<double> linspace(double a, double b, int n) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(float(a + (b - a) * i / (n - 1)));
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_for_tf OUT_DIR\n");
    return 2;
  }
  const std::string out = argv[1];
  std::filesystem::create_directories(out);
  tapeflow::testing::AllDTypes m;
  tf::train::Checkpoint({{"m", m}}).write(out + "/all_dtypes");
  std::vector<std::pair<std::string, tf::Variable>> numeric;  // NumPy has no bfloat16
  for (auto& [n, v] : m.named_variables())
    if (v.dtype() != tf::string && v.dtype() != tf::bfloat16) numeric.emplace_back(n.substr(n.find('/') + 1), v);
  tf::io::save_safetensors(out + "/numeric.safetensors", numeric);

  auto x = tf::detail::constant_from_doubles(linspace(-1.0, 1.0, 15), {5, 3}, tf::float32);
  auto y = tf::detail::constant_from_doubles(linspace(0.5, -0.5, 10), {5, 2}, tf::float32);
  K::Sequential model({K::layers::Dense(4, {.activation = "relu"}), K::layers::Dense(2)});
  K::optimizers::Adam opt({.learning_rate = 0.01});
  auto step = [&] {
    tf::GradientTape tape;
    auto loss = tf::reduce_mean(tf::square(model(x) - y));
    tape.stop();
    auto vars = model.trainable_variables();
    opt.apply_gradients(tape.gradient(loss, vars), vars);
  };
  step();
  step();
  tf::train::Checkpoint({{"model", model}, {"optimizer", opt}}).save(out + "/keras/ckpt");
  auto y_saved = model(x);
  step();
  std::ofstream f(out + "/keras_expected.txt");
  write_values(f, "x", x);
  write_values(f, "y_at_save", y_saved);
  write_values(f, "target", y);
  auto vars = model.trainable_variables();
  for (std::size_t i = 0; i < vars.size(); ++i) write_values(f, "weight_after_step_" + std::to_string(i), vars[i]);
  f.close();

  // A functional model with BatchNormalization whose moving statistics moved (training calls).
  auto inputs = K::Input({3});
  auto h = K::layers::BatchNormalization()(inputs);
  K::Model func(inputs, K::layers::Dense(2)(h));
  for (int i = 0; i < 3; ++i) func(x * float(i + 1), true);
  tf::train::Checkpoint({{"model", func}}).save(out + "/functional/ckpt");
  std::ofstream g(out + "/functional_expected.txt");
  write_values(g, "y", func(x, false));

  // Keras 3 .weights.h5 files: the MLP (Adam, trained, so its slots are saved too) and a small
  // CNN with BatchNormalization whose statistics moved; keras.Model.load_weights must give the
  // same outputs (h5_expected.txt).
  std::ofstream h5out(out + "/h5_expected.txt");
  K::Sequential mlp({K::layers::Dense(8, {.activation = "relu"}), K::layers::Dense(3)});
  mlp.compile({.optimizer = K::optimizers::Adam({.learning_rate = 0.01}), .loss = "mse"});
  auto x4 = tf::detail::constant_from_doubles(linspace(-1.0, 1.0, 20), {5, 4}, tf::float32);
  auto y3 = tf::detail::constant_from_doubles(linspace(0.5, -0.5, 15), {5, 3}, tf::float32);
  for (int i = 0; i < 3; ++i) mlp.train_step(x4, y3);
  mlp.save_weights(out + "/mlp.weights.h5");
  write_values(h5out, "mlp_x", x4);
  write_values(h5out, "mlp_y", mlp(x4, false));
  K::Sequential cnn({K::layers::Conv2D(4, 3), K::layers::BatchNormalization(), K::layers::Activation("relu"),
                     K::layers::Flatten(), K::layers::Dense(2)});
  cnn.compile({.optimizer = "sgd", .loss = "mse"});
  auto img = tf::detail::constant_from_doubles(linspace(-1.0, 1.0, 3 * 36), {3, 6, 6, 1}, tf::float32);
  auto y2 = tf::detail::constant_from_doubles(linspace(0.5, -0.5, 6), {3, 2}, tf::float32);
  for (int i = 0; i < 3; ++i) cnn.train_step(img, y2);
  cnn.save_weights(out + "/cnn.weights.h5");
  write_values(h5out, "cnn_x", img);
  write_values(h5out, "cnn_y", cnn(img, false));
  SubclassedModel sub;
  write_values(h5out, "sub_y", sub(x4));
  sub.save_weights(out + "/sub.weights.h5");
  h5out.close();
  std::printf("wrote %s\n", out.c_str());
  return 0;
}
