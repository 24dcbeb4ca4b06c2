// Writes the Tapeflow SavedModels that tf_loads_tapeflow_saved_models.py runs with the real
// TensorFlow:   write_saved_models OUT_DIR
// seed_module (the guide's MySequentialModule, traces (1, 3) and (None, 3), serving_default),
// keras_mlp (a Keras MLP from K::Input((5,)), model.export_: serve and serving_default keyed
// keras_tensor) and keras_cnn (K::Input((8, 8, 1)), Conv2D, MaxPooling2D, BatchNormalization,
// Dropout, Flatten, Dense; None batch, called with 2; model.export_) and keras_functional (a
// functional model from K::Input((5,), name "feat"), model.export_), each with expected.txt:
// "input SHAPE values" and "output SHAPE values" as Tapeflow computed them, input.npy, and
// cli_output.txt: what `saved_model_cli run` prints for input.npy (CTest saved_model_cli_run).
#include <filesystem>
#include <fstream>
#include <iomanip>

#include "tests/serialization/saved_model_test_models.h"

namespace K = tf::keras;
using tapeflow::testing::MySequentialModule;
using tapeflow::testing::ramp;

namespace {
void write_row(std::ofstream& f, const std::string& name, const tf::Tensor& t) {
  f << name << ' ';
  for (int d = 0; d < t.shape().rank(); ++d) f << (d ? "," : "") << t.shape()[d];
  for (double v : tf::cast(t, tf::float64).to_vector<double>()) f << ' ' << std::setprecision(17) << v;
  f << '\n';
}
void write_expected(const std::string& dir, const tf::Tensor& x, const tf::Tensor& y) {
  std::ofstream f(dir + "/expected.txt");
  f << "# written by write_saved_models\n";
  write_row(f, "input", x);
  write_row(f, "output", y);
  tf::io::write_npy(dir + "/input.npy", x);
  std::ofstream(dir + "/cli_output.txt") << "Result for output key output_0:\n" << tf::format_values(y) << "\n";
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string out = argv[1];
  {
    MySequentialModule m;
    m.call(ramp({1, 3}, 2.0f, 0.0f));
    auto cf = m.call.get_concrete_function(tf::TensorSpec({-1, 3}, tf::float32, "x"));
    tf::saved_model::save(m, out + "/seed_module", {.signatures = {{"serving_default", cf}}});
    const tf::Tensor x = ramp({4, 3}, -1.0f, 0.3f);
    write_expected(out + "/seed_module", x, m.call(x).tensor());
  }
  {
    K::Sequential mlp(
        {K::Input({5}), K::layers::Dense(4, {.activation = "relu"}), K::layers::Dense(3, {.activation = "softmax"})});
    const tf::Tensor x = ramp({6, 5}, -2.0f, 0.13f);
    mlp.export_(out + "/keras_mlp", {.verbose = false});
    write_expected(out + "/keras_mlp", x, mlp(x));
  }
  {
    namespace L = K::layers;
    K::Sequential cnn({K::Input({8, 8, 1}), L::Conv2D(4, 3, {.activation = "relu"}), L::MaxPooling2D(),
                       L::BatchNormalization(), L::Dropout(0.5), L::Flatten(), L::Dense(3)});
    for (tf::Variable& v : cnn.non_trainable_variables()) v.assign(ramp(v.shape(), 0.5f, 0.25f));
    const tf::Tensor x = ramp({2, 8, 8, 1}, -1.0f, 1.0f / 64);
    cnn.export_(out + "/keras_cnn", {.verbose = false});
    write_expected(out + "/keras_cnn", x, cnn(x));
  }
  {
    // A functional model whose K::Input is named: Keras keys the signatures by that name.
    auto x = K::Input({5}, {.name = "feat"});
    K::Model functional(x, K::layers::Dense(3)(K::layers::Dense(4, {.activation = "tanh"})(x)));
    const tf::Tensor in = ramp({3, 5}, 1.5f, -0.2f);
    functional.export_(out + "/keras_functional", {.verbose = false});
    write_expected(out + "/keras_functional", in, functional(in));
  }
  return 0;
}
