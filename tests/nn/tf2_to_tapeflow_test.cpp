// The C++ column of docs/tf2_to_tapeflow.md, line by line: each line compiles and gives what the
// TF2/Keras line beside it gives (values as TF 2.21 prints them).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "tapeflow/tapeflow.h"

namespace {
namespace K = tf::keras;

std::string printed(const tf::Tensor& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

TEST(Tf2ToTapeflow, Tensors) {
  auto a = tf::constant({{1, 2}, {3, 4}});
  EXPECT_EQ(a.dtype(), tf::int32);
  auto b = tf::constant({2.2, 3.3}, tf::float16);
  EXPECT_EQ(printed(b), "tf.Tensor([2.2 3.3], shape=(2,), dtype=float16)");
  auto x = tf::constant({{1.f, -2.f, 3.f, 4.f}, {5.f, 6.f, -7.f, 8.f}});
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{1, -2, 3, 4, 5, 6, -7, 8}));
  EXPECT_EQ(x[0].to_vector<float>(), (std::vector<float>{1, -2, 3, 4}));
  const float x01 = x[{0, 1}].item<float>();
  EXPECT_EQ(x01, -2.f);
  EXPECT_EQ(x.shape(), tf::Shape({2, 4}));
  EXPECT_EQ(x.ndim(), 2);
  EXPECT_EQ(tf::zeros({3, 2}).shape(), tf::Shape({3, 2}));
  EXPECT_EQ(tf::ones_like(x).to_vector<float>(), std::vector<float>(8, 1.f));
  EXPECT_EQ(tf::range(10).size(), 10);
  EXPECT_EQ(tf::random::normal({2, 3}, {.seed = 1}).shape(), tf::Shape({2, 3}));
  const tf::Tensor tail = x[{tf::slice(1, {}), tf::slice({}, {}, -1)}];
  EXPECT_EQ(tail.to_vector<float>(), (std::vector<float>{8, -7, 6, 5}));
  const tf::Tensor column = x[{tf::all, 0}];
  EXPECT_EQ(column.to_vector<float>(), (std::vector<float>{1, 5}));
  const tf::Tensor expanded = x[{tf::ellipsis, tf::newaxis}];
  EXPECT_EQ(expanded.shape(), tf::Shape({2, 4, 1}));
  EXPECT_EQ(tf::reshape(x, {-1, 4}).shape(), tf::Shape({2, 4}));
  EXPECT_EQ(tf::transpose(x, {1, 0}).shape(), tf::Shape({4, 2}));
  EXPECT_EQ(tf::reduce_sum(x, 1, true).to_vector<float>(), (std::vector<float>{6, 12}));
  EXPECT_EQ(tf::argmax(x, 1).to_vector<int64_t>(), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(tf::math::argmax(x, 1).to_vector<int64_t>(), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(tf::cast(a, tf::float32).dtype(), tf::float32);
  EXPECT_EQ(tf::concat({x, x}, 0).shape(), tf::Shape({4, 4}));
  EXPECT_EQ(tf::stack({x, x}).shape(), tf::Shape({2, 2, 4}));
  EXPECT_EQ(tf::gather(x, tf::constant({0, 2}), 1).to_vector<float>(), (std::vector<float>{1, 3, 5, -7}));
  EXPECT_EQ(tf::where(tf::greater(x, tf::zeros_like(x)), x, tf::zeros_like(x)).to_vector<float>(),
            (std::vector<float>{1, 0, 3, 4, 5, 6, 0, 8}));
}

TEST(Tf2ToTapeflow, VariablesAndDevices) {
  tf::Variable v(tf::constant({1.f, 2.f}), {.name = "v"});
  v.assign_add(tf::constant({1.f, 1.f}));
  EXPECT_EQ(v.read_value().to_vector<float>(), (std::vector<float>{2, 3}));
  EXPECT_EQ(v.name(), "v:0");
  auto a = tf::constant({1.f, 2.f}), b = tf::constant({3.f, 4.f});
  {
    tf::DeviceScope on("GPU:0");  // soft placement: CPU:0 on a machine without a GPU, as TF2
    auto c = a * b;
    EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{3, 8}));
  }
  EXPECT_EQ(tf::config::list_physical_devices("GPU").empty(), !tf::config::list_physical_devices("GPU").size());
}

TEST(Tf2ToTapeflow, AutomaticDifferentiation) {
  tf::Variable x(3.0f);
  tf::GradientTape tape;
  auto y = x * x;
  tape.stop();
  std::optional<tf::Tensor> dy_dx = tape.gradient(y, x);
  ASSERT_TRUE(dy_dx);
  EXPECT_EQ(dy_dx->item<float>(), 6.f);
  auto t = tf::constant({1.f, 2.f});
  tf::GradientTape persistent({.persistent = true});
  persistent.watch(t);
  auto z = t * t;
  persistent.stop();
  EXPECT_EQ(persistent.gradient(z, t)->to_vector<float>(), (std::vector<float>{2, 4}));
  EXPECT_EQ(persistent.jacobian(z, t)->to_vector<float>(), (std::vector<float>{2, 0, 0, 4}));
  EXPECT_EQ(tf::stop_gradient(t).to_vector<float>(), t.to_vector<float>());
  auto f = [](const tf::Tensor& u) { return u * u * u; };
  tf::autodiff::ForwardAccumulator acc({t}, {tf::constant({1.f, 0.f})});
  auto w = f(t);
  acc.stop();
  EXPECT_EQ(acc.jvp(w)->to_vector<float>(), (std::vector<float>{3, 0}));
}

TEST(Tf2ToTapeflow, Functions) {
  auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& y) { return tf::matmul(x, y); });
  auto m = tf::constant({{1.f, 2.f}, {3.f, 4.f}});
  EXPECT_EQ(tf::Tensor(f(m, m)).to_vector<float>(), (std::vector<float>{7, 10, 15, 22}));
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
  auto g = tf::function([](const tf::Tensor& x) { return x * 2.f; }, {.input_signature = {{tf::TensorSpec({-1, 3})}}});
  auto cf = g.get_concrete_function(tf::TensorSpec({-1, 3}, tf::float32));
  EXPECT_EQ(cf.structured_outputs()[0].shape, tf::Shape({-1, 3}));
  auto x = tf::constant(-2.f);
  auto r = tf::cond(
      tf::greater(x, tf::constant(0.f)), [&] { return x; }, [&] { return -x; });
  EXPECT_EQ(tf::Tensor(r).item<float>(), 2.f);
  tf::config::run_functions_eagerly(true);
  EXPECT_EQ(tf::Tensor(f(m, m)).to_vector<float>(), (std::vector<float>{7, 10, 15, 22}));
  tf::config::run_functions_eagerly(false);
}

TEST(Tf2ToTapeflow, KerasModelsAndTraining) {
  K::utils::set_random_seed(42);
  K::Sequential model(
      {K::Input({28, 28}), K::layers::Flatten(), K::layers::Dense(128, {.activation = "relu"}), K::layers::Dense(10)});
  std::ostringstream summary;
  model.summary(summary);
  EXPECT_NE(summary.str().find("101,770"), std::string::npos) << summary.str();  // Keras's count
  model.compile({.optimizer = "adam",
                 .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
  auto x = tf::random::uniform({64, 28, 28}, {.seed = 3});
  auto y = tf::cast(tf::random::uniform({64}, {.minval = 0, .maxval = 10, .dtype = tf::int32, .seed = 4}), tf::int64);
  auto history = model.fit(x, y, {.epochs = 2, .batch_size = 32, .validation_split = 0.25, .verbose = 0});
  EXPECT_EQ(history.history.at("loss").size(), 2u);
  model.fit(x, y, {.epochs = 1, .verbose = 0, .callbacks = {K::callbacks::EarlyStopping({.patience = 2})}});
  auto r = model.evaluate(x, y, {.verbose = 0});
  EXPECT_TRUE(r.count("loss") && r.count("accuracy"));
  EXPECT_EQ(model.predict(x).shape(), tf::Shape({64, 10}));
  EXPECT_EQ(K::utils::to_categorical(tf::constant({0, 2, 1}), 3).to_vector<float>(),
            (std::vector<float>{1, 0, 0, 0, 0, 1, 0, 1, 0}));
  auto conv = K::layers::Conv2D(32, 3, {.padding = "same", .activation = "relu"});
  EXPECT_EQ(conv(tf::zeros({1, 8, 8, 1})).shape(), tf::Shape({1, 8, 8, 32}));
  K::Sequential cnn({K::Input({8, 8, 1}), K::layers::Conv2D(4, 3), K::layers::MaxPooling2D(), K::layers::Dropout(0.2),
                     K::layers::BatchNormalization()});
  EXPECT_EQ(cnn(tf::zeros({2, 8, 8, 1})).shape(), tf::Shape({2, 3, 3, 4}));
  auto lstm = K::layers::LSTM(32);
  EXPECT_EQ(lstm(tf::zeros({2, 5, 3})).shape(), tf::Shape({2, 32}));
  auto mha = K::layers::MultiHeadAttention(2, 16);
  auto q = tf::zeros({2, 5, 8});
  EXPECT_EQ(mha(q, q).shape(), tf::Shape({2, 5, 8}));
  auto opt = K::optimizers::Adam({.learning_rate = 1e-3});
  tf::GradientTape tape;
  auto loss = tf::reduce_mean(tf::nn::sparse_softmax_cross_entropy_with_logits(y, model(x)));
  tape.stop();
  opt.apply_gradients(tape.gradient(loss, model.trainable_variables()), model.trainable_variables());
  const auto dir = std::filesystem::temp_directory_path() / ("tf2_to_tapeflow_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  model.save_weights((dir / "w.weights.h5").string());
  model.load_weights((dir / "w.weights.h5").string());
  std::filesystem::remove_all(dir);
}

TEST(Tf2ToTapeflow, InputPipelines) {
  auto x = tf::reshape(tf::range(0.f, 12.f), {6, 2});
  auto y = tf::constant({0, 1, 0, 1, 0, 1});
  auto ds = tf::data::Dataset::from_tensor_slices({x, y}).shuffle(1000).batch(32);
  auto scaled = tf::data::Dataset::from_tensor_slices({x, y}).map([](tf::Tensor x, tf::Tensor y) {
    return std::tuple{x / 255.0f, y};
  });
  int n = 0;
  for (auto [xb, yb] : scaled) {
    EXPECT_FLOAT_EQ(xb.to_vector<float>()[1], (2.f * static_cast<float>(n) + 1.f) / 255.f);
    EXPECT_EQ(yb.item<int32_t>(), n % 2);
    ++n;
  }
  EXPECT_EQ(n, 6);
  K::Sequential model({K::Input({2}), K::layers::Dense(2)});
  model.compile({.optimizer = "adam", .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true})});
  auto history = model.fit(ds, {.epochs = 2, .verbose = 0});
  EXPECT_EQ(history.history.at("loss").size(), 2u);
  const auto path = std::filesystem::temp_directory_path() / ("tf2_to_tapeflow_" + std::to_string(::getpid()) + ".npy");
  tf::io::write_npy(path.string(), x);
  EXPECT_EQ(tf::io::read_npy(path.string()).to_vector<float>(), x.to_vector<float>());
  std::filesystem::remove(path);
}

TEST(Tf2ToTapeflow, CheckpointsSavedModelTensorBoard) {
  const auto dir = std::filesystem::temp_directory_path() / ("tf2_to_tapeflow_ckpt_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  K::Sequential model({K::Input({3}), K::layers::Dense(2)});
  auto opt = K::optimizers::Adam({.learning_rate = 1e-3});
  tf::train::Checkpoint ckpt({{"model", model}, {"optimizer", opt}});
  tf::train::CheckpointManager manager(ckpt, (dir / "tf_ckpts").string(), {.max_to_keep = 3});
  manager.save();
  ckpt.restore(tf::train::latest_checkpoint((dir / "tf_ckpts").string()));
  struct Doubler : tf::Module {
    tf::Function call =
        track("__call__", tf::function([](const tf::Tensor& x) { return x * 2.f; },
                                       {.input_signature = {{tf::TensorSpec({-1}, tf::float32, "x")}}}));
    Doubler() : tf::Module("doubler") {}
  } module;
  tf::saved_model::save(module, (dir / "saved").string());
  auto loaded = tf::saved_model::load((dir / "saved").string());
  auto x = tf::constant({1.f, 2.f});
  auto out = loaded.signatures().at("serving_default")({{"x", x}});
  EXPECT_EQ(out.begin()->second.to_vector<float>(), (std::vector<float>{2, 4}));
  auto writer = tf::summary::create_file_writer((dir / "logs").string());
  {
    auto d = writer.as_default();
    EXPECT_TRUE(tf::summary::scalar("loss", 0.5, 0));
  }
  auto tb = K::callbacks::TensorBoard({.log_dir = (dir / "logs/fit").string(), .histogram_freq = 1});
  (void)tb;
  std::filesystem::remove_all(dir);
}

}  // namespace
