// The functional API (K::Input, layers called on KerasTensors, K::Model(inputs, outputs)) with
// merging layers and a shared layer against Keras 3, its fit, its summary text, its errors; and
// a subclassed K::Model with tracked layers and a custom train_step.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/core/test_util.h"
#include "tests/nn/fixtures/functional_fixtures.h"

namespace {
namespace K = tf::keras;
namespace fx = fixtures::functional;

tf::Tensor from(const fx::Case& c) { return tf::constant(c.values, tf::Shape(c.shape), tf::float32); }

std::string read_fixture(const std::string& name) {
  std::ifstream f(std::string(TAPEFLOW_TEST_DIR) + "/nn/fixtures/" + name);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The DAG of gen_functional.py: two inputs, a Dense shared by both branches, Add, Multiply,
// Concatenate and skip connections into the concatenation.
struct Dag {
  K::layers::Dense pa{4, {.name = "pa"}};
  K::layers::Dense pb{4, {.name = "a_really_long_layer_name_for_wrapping"}};
  K::layers::Dense shared{5, {.activation = "tanh", .name = "shared"}};
  K::layers::Dense head{2};
  K::Model model;

  Dag() : model(build()) {}
  K::Model build() {
    auto a = K::Input({4}, {.name = "a"});
    auto b = K::Input({3}, {.name = "b"});
    auto h1 = shared(pa(a));
    auto h2 = shared(pb(b));
    auto s = K::layers::Add()({h1, h2});
    auto m = K::layers::Multiply()({s, h1});
    auto c = K::layers::Concatenate()({s, m, h1});
    return K::Model({a, b}, head(c), {.name = "dag"});
  }
  void set_keras_weights() {
    for (auto [layer, name] : {std::pair{pa, "pa"}, {pb, "pb"}, {shared, "shared"}, {head, "head"}}) {
      const auto* k = &fx::pa_kernel;
      const auto* bias = &fx::pa_bias;
      if (std::string(name) == "pb") k = &fx::pb_kernel, bias = &fx::pb_bias;
      if (std::string(name) == "shared") k = &fx::shared_kernel, bias = &fx::shared_bias;
      if (std::string(name) == "head") k = &fx::head_kernel, bias = &fx::head_bias;
      layer.kernel().assign(from(*k));
      layer.bias().assign(from(*bias));
    }
  }
};

TEST(Functional, InputIsSymbolicWithNoneBatch) {
  auto x = K::Input({28, 28}, {.name = "image"});
  EXPECT_EQ(x.shape(), tf::Shape({-1, 28, 28}));
  EXPECT_EQ(x.dtype(), tf::float32);
  EXPECT_EQ(x.node()->layer->name(), "image");
  EXPECT_EQ(x.node()->layer->class_name(), "InputLayer");
  auto y = K::layers::Dense(7)(K::layers::Flatten()(x));
  EXPECT_EQ(y.shape(), tf::Shape({-1, 7}));
  EXPECT_EQ(y.node()->inputs.size(), 1u);
  // Unknown inner dimensions stay unknown; an int input feeds an Embedding.
  auto ids = K::Input({-1}, {.dtype = tf::int32});
  auto e = K::layers::Embedding(10, 3)(ids);
  EXPECT_EQ(e.shape(), tf::Shape({-1, -1, 3}));
  EXPECT_EQ(e.dtype(), tf::float32);
  EXPECT_EQ(K::layers::Dense(2)(e).shape(), tf::Shape({-1, -1, 2}));
  EXPECT_EQ(K::Input({3}, {.batch_size = 8}).shape(), tf::Shape({8, 3}));
}

TEST(Functional, ForwardMatchesKerasWithSharedLayerAndMerges) {
  K::backend::clear_session();
  Dag dag;
  dag.set_keras_weights();
  // The shared layer's weights are counted once; the head's input is 5 + 5 + 5.
  EXPECT_EQ(dag.model.trainable_variables().size(), 8u);
  EXPECT_EQ(dag.head.kernel().shape(), tf::Shape({15, 2}));
  auto xa = from(fx::x_a), xb = from(fx::x_b);
  auto want = fx::dag_out;
  tf::testing::expect_values(dag.model({xa, xb}), tf::Shape(want.shape), want.values, 1e-5);
  tf::testing::expect_values(dag.model.predict({xa, xb}, {.batch_size = 4}), tf::Shape(want.shape), want.values, 1e-5);
  auto all = dag.model.call_all({xa, xb});
  ASSERT_EQ(all.size(), 1u);
  tf::testing::expect_values(all[0], tf::Shape(want.shape), want.values, 1e-5);
  // Layers as Keras lists them: inputs, then by depth.
  std::vector<std::string> names;
  for (const auto& l : dag.model.layers()) names.push_back(l->name());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "pa", "a_really_long_layer_name_for_wrapping", "shared", "add",
                                             "multiply", "concatenate", "dense"}));
}

TEST(Functional, SeveralOutputsAndAModelAsALayer) {
  auto x = K::Input({3});
  K::layers::Dense d(2, {.kernel_initializer = "ones"});
  auto h = d(x);
  K::Model two(x, {h, K::layers::Activation("relu")(h)});
  auto outs = two.call_all({tf::constant({{1.f, -2.f, 0.f}})});
  ASSERT_EQ(outs.size(), 2u);
  tf::testing::expect_values(outs[0], {1, 2}, {-1, -1});
  tf::testing::expect_values(outs[1], {1, 2}, {0, 0});
  EXPECT_TF_ERROR(two(tf::zeros({1, 3})), tf::errors::InvalidArgumentError, "has 2 outputs");
  // A model (and a Sequential) called inside another functional model, with a skip connection.
  K::Model inner(x, h);
  auto y = K::Input({3});
  K::Sequential seq({K::layers::Dense(3, {.kernel_initializer = "ones"})});
  auto z = K::layers::Add()({inner(seq(y)), K::layers::Dense(2, {.kernel_initializer = "zeros"})(y)});
  K::Model outer(y, z);
  EXPECT_EQ(outer.trainable_variables().size(), 6u);
  // seq: each of 3 units sums the input (= 1); inner: each output sums 3 of them.
  tf::testing::expect_values(outer(tf::constant({{1.f, 0.f, 0.f}})), {1, 2}, {3, 3});
}

TEST(Functional, SummaryMatchesKeras) {
  K::backend::clear_session();
  Dag dag;
  std::ostringstream got;
  dag.model.summary(got);
  EXPECT_EQ(got.str(), read_fixture("summary_functional_dag.txt"));

  K::backend::clear_session();
  auto x = K::Input({28, 28});
  auto y = K::layers::Flatten()(x);
  y = K::layers::Dense(64, {.activation = "relu"})(y);
  y = K::layers::Dropout(0.2)(y);
  y = K::layers::Dense(10)(y);
  K::Model chain(x, y);
  std::ostringstream chain_text;
  chain.summary(chain_text);
  EXPECT_EQ(chain_text.str(), read_fixture("summary_functional_chain.txt"));
}

// A learnable synthetic task: the class is the argmax of 10 fixed random projections.
std::pair<tf::Tensor, tf::Tensor> synthetic(int n, int64_t seed) {
  auto x = tf::random::normal({n, 16}, {.seed = seed});
  auto w = tf::random::normal({16, 4}, {.seed = 77});
  auto y = tf::cast(tf::argmax(tf::matmul(x, w), 1), tf::int32);
  return {x, y};
}

TEST(Functional, FitWithSkipConnectionLearns) {
  tf::random::set_seed(4);
  auto [x, y] = synthetic(1024, 4);
  auto in = K::Input({16});
  auto h = K::layers::Dense(32, {.activation = "relu"})(in);
  auto r = K::layers::Dense(32, {.activation = "relu"})(h);
  auto skip = K::layers::Concatenate()({K::layers::Add()({h, r}), in});
  K::Model model(in, K::layers::Dense(4)(skip));
  model.compile({.optimizer = K::optimizers::Adam({.learning_rate = 1e-2}),
                 .loss = K::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
  const double before = model.evaluate(x, y, {.verbose = 0})["loss"];
  auto history = model.fit(x, y, {.epochs = 8, .batch_size = 32, .verbose = 0});
  auto after = model.evaluate(x, y, {.verbose = 0});
  EXPECT_GT(before, 0.8);  // about ln 4 untrained
  EXPECT_LT(history.history["loss"].back(), history.history["loss"].front());
  EXPECT_LT(after["loss"], 0.25);
  EXPECT_GT(after["accuracy"], 0.9);
  EXPECT_EQ(model.predict(x[tf::slice(0, 40)]).shape(), tf::Shape({40, 4}));
}

TEST(Functional, ShapeErrorsNameTheLayer) {
  K::backend::clear_session();
  auto a = K::Input({4}), b = K::Input({5});
  EXPECT_TF_ERROR(K::layers::Add()({a, b}), tf::errors::InvalidArgumentError,
                  "layer \"add\" (type Add): Inputs have incompatible shapes. Received shapes (4,) and (5,)");
  EXPECT_TF_ERROR(K::layers::Concatenate({.axis = 1})({a, K::Input({2, 4})}), tf::errors::InvalidArgumentError,
                  "A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. "
                  "Received: input_shape=[(None, 4), (None, 2, 4)]");
  EXPECT_TF_ERROR(K::layers::Add()(a), tf::errors::InvalidArgumentError, "A merge layer should be called on a list");
  EXPECT_TF_ERROR(K::layers::Dense(3)({a, b}), tf::errors::InvalidArgumentError,
                  "Layer \"dense\" expects 1 input(s), but it received 2 input tensors.");
  auto scalar_in = K::Input({});
  EXPECT_TF_ERROR(K::layers::Dense(3, {.name = "d"})(scalar_in), tf::errors::InvalidArgumentError,
                  "Input 0 of layer \"d\" is incompatible with the layer: expected min_ndim=2, found ndim=1. "
                  "Full shape received: (None,)");
  // A built Dense applied to a wrong last axis names itself too.
  K::layers::Dense built(2, {.name = "built"});
  built(a);
  EXPECT_TF_ERROR(built(b), tf::errors::InvalidArgumentError, "expected axis -1 of input shape to have value 4");

  K::backend::clear_session();
  Dag dag;
  EXPECT_TF_ERROR(dag.model(tf::zeros({2, 4})), tf::errors::InvalidArgumentError,
                  "Layer \"dag\" expects 2 input(s), but it received 1 input tensors.");
  EXPECT_TF_ERROR(dag.model({tf::zeros({2, 3, 4}), tf::zeros({2, 3})}), tf::errors::InvalidArgumentError,
                  "Input 0 with name 'a' of layer 'dag' is incompatible with the layer: expected shape=(None, 4), "
                  "found shape=(2, 3, 4)");
  EXPECT_TF_ERROR(dag.model({tf::zeros({2, 4}), tf::zeros({2, 5})}), tf::errors::InvalidArgumentError,
                  "Input 1 with name 'b' of layer 'dag' is incompatible with the layer: expected shape=(None, 3), "
                  "found shape=(2, 5)");
  // A trailing axis of 1 is squeezed, as Keras adjusts ranks; other dtypes are cast.
  EXPECT_EQ(dag.model({tf::zeros({2, 4, 1}), tf::zeros({2, 3}, tf::float64)}).shape(), tf::Shape({2, 2}));

  // An output that needs an input the model is not given.
  auto c = K::Input({4}, {.name = "c"});
  EXPECT_TF_ERROR(K::Model(a, K::layers::Add()({a, c})), tf::errors::InvalidArgumentError,
                  "Graph disconnected: model \"functional\" needs the input \"c\"");
}

// A custom layer that does not override clone() cannot take part in a functional model.
struct NoClone : K::layers::Layer {
  NoClone() : Layer("no_clone") {}
  tf::Tensor call(const tf::Tensor& x) override { return x; }
  std::string class_name() const override { return "NoClone"; }
};

TEST(Functional, CustomLayerWithoutCloneSaysWhatToAdd) {
  EXPECT_TF_ERROR(NoClone()(K::Input({2})), tf::errors::UnimplementedError, "override clone()");
}

// ---- subclassed models, as in Keras's "Customizing what happens in fit()" ------------------------

struct TwoLayerModel : K::Model {
  K::layers::Dense hidden, out;
  int steps = 0;

  TwoLayerModel()
      : K::Model("two_layer_model"),
        hidden(track_layer(K::layers::Dense(16, {.activation = "relu"}))),
        out(track_layer(K::layers::Dense(1))) {}
  tf::Tensor call(const tf::Tensor& x, bool training) override { return out(hidden(x, training), training); }
};

// The guide's first custom train_step: compute_loss, the optimizer, then every metric.
struct CustomStepModel : TwoLayerModel {
  void train_step(const tf::Tensor& x, const tf::Tensor& y) override {
    ++steps;
    tf::GradientTape tape;
    auto y_pred = (*this)(x, true);
    auto loss = compute_loss(x, y, y_pred);
    tape.stop();
    auto vars = trainable_variables();
    optimizer().apply_gradients(tape.gradient(loss, vars), vars);
    for (auto& m : metrics()) {
      if (m->name() == "loss")
        std::static_pointer_cast<K::metrics::Mean>(m)->update_state(loss);
      else
        m->update_state(y, y_pred);
    }
  }
};

// The guide's second one: its own loss and metrics, compile() without a loss.
struct OwnMetricsModel : TwoLayerModel {
  std::shared_ptr<K::metrics::Mean> loss_tracker =
      std::make_shared<K::metrics::Mean>(K::metrics::MetricOptions{.name = "loss"});
  std::shared_ptr<K::metrics::Mean> mae = std::make_shared<K::metrics::Mean>(K::metrics::MetricOptions{.name = "mae"});

  void train_step(const tf::Tensor& x, const tf::Tensor& y) override {
    tf::GradientTape tape;
    auto y_pred = (*this)(x, true);
    auto loss = tf::reduce_mean(tf::square(y - y_pred));
    tape.stop();
    auto vars = trainable_variables();
    optimizer().apply_gradients(tape.gradient(loss, vars), vars);
    loss_tracker->update_state(loss);
    mae->update_state(tf::abs(y - y_pred));
  }
  std::vector<std::shared_ptr<K::metrics::Metric>> metrics() const override { return {loss_tracker, mae}; }
};

// Mean absolute error (the library has no "mae" metric by name yet).
K::metrics::MeanMetricWrapper mae() {
  return K::metrics::MeanMetricWrapper([](const tf::Tensor& y, const tf::Tensor& p) { return tf::abs(y - p); }, "mae",
                                       {.name = "mae"});
}

std::pair<tf::Tensor, tf::Tensor> regression(int n) {
  auto x = tf::random::normal({n, 8}, {.seed = 21});
  auto w = tf::random::normal({8, 1}, {.seed = 22});
  return {x, tf::matmul(x, w)};
}

TEST(SubclassedModel, TracksMemberLayersForVariablesAndSummary) {
  K::backend::clear_session();
  TwoLayerModel model;
  EXPECT_TRUE(model.trainable_variables().empty());  // unbuilt
  auto y = model(tf::ones({3, 8}));
  EXPECT_EQ(y.shape(), tf::Shape({3, 1}));
  auto vars = model.trainable_variables();
  ASSERT_EQ(vars.size(), 4u);
  EXPECT_EQ(model.named_variables()[0].first, "two_layer_model/dense/kernel");
  ASSERT_EQ(model.layers().size(), 2u);
  EXPECT_EQ(model.layers()[1]->name(), "dense_1");
  std::ostringstream got;
  model.summary(got);
  EXPECT_EQ(got.str(), read_fixture("summary_subclassed.txt"));
}

TEST(SubclassedModel, CompileFitEvaluatePredict) {
  tf::random::set_seed(5);
  auto [x, y] = regression(512);
  TwoLayerModel model;
  model.compile({.optimizer = K::optimizers::Adam({.learning_rate = 1e-2}), .loss = "mse", .metrics = {mae()}});
  auto history = model.fit(x, y, {.epochs = 10, .batch_size = 32, .verbose = 0});
  EXPECT_LT(history.history["loss"].back(), 0.1 * history.history["loss"].front());
  auto r = model.evaluate(x, y, {.verbose = 0});
  EXPECT_LT(r["loss"], 0.2);
  EXPECT_LT(r["mae"], 0.4);
  EXPECT_EQ(model.predict(x).shape(), tf::Shape({512, 1}));
}

TEST(SubclassedModel, CustomTrainStepDrivesFit) {
  tf::random::set_seed(6);
  auto [x, y] = regression(256);
  CustomStepModel model;
  model.compile({.optimizer = K::optimizers::Adam({.learning_rate = 1e-2}), .loss = "mse", .metrics = {mae()}});
  auto history = model.fit(x, y, {.epochs = 12, .batch_size = 32, .verbose = 0});
  // train_step runs as a tf::Function (compile's default): its C++ body runs once, at the trace
  // (256 samples are 8 full batches of 32: no partial batch to retrace for; fit builds the
  // model and the optimizer's slots first, so the trace creates no variable).
  EXPECT_EQ(model.steps, 1);
  ASSERT_EQ(history.history["mae"].size(), 12u);
  EXPECT_LT(history.history["loss"].back(), 0.1 * history.history["loss"].front());
  EXPECT_LT(model.evaluate(x, y, {.verbose = 0})["loss"], 0.3);

  OwnMetricsModel own;
  own.compile({.optimizer = K::optimizers::Adam({.learning_rate = 1e-2})});
  auto h2 = own.fit(x, y, {.epochs = 12, .batch_size = 32, .verbose = 0});
  ASSERT_EQ(h2.history.size(), 2u);
  EXPECT_LT(h2.history["mae"].back(), 0.5 * h2.history["mae"].front());
  EXPECT_LT(h2.history["loss"].back(), 0.1 * h2.history["loss"].front());
  // Without a loss the default test_step has nothing to compute.
  EXPECT_TF_ERROR(own.evaluate(x, y, {.verbose = 0}), tf::errors::InvalidArgumentError, "compile() was given no loss");
}

}  // namespace

// The CNN layers (Conv2D, pooling, BatchNormalization) in a functional graph: the model gives
// what the layers give when called directly, in inference and in training mode, and defining
// the graph does not touch BatchNormalization's moving statistics.
TEST(Functional, ConvolutionalLayersInAGraph) {
  K::layers::Conv2D conv(4, 3, {.padding = "same", .activation = "relu"});
  K::layers::MaxPool2D pool;
  K::layers::BatchNormalization bn;
  K::layers::GlobalAveragePooling2D gap;
  K::layers::Dense dense(3);
  auto in = K::Input({8, 8, 2});
  auto out = dense(gap(bn(pool(conv(in)))));
  EXPECT_EQ(out.shape(), tf::Shape({-1, 3}));
  EXPECT_EQ(pool(conv(in)).shape(), tf::Shape({-1, 4, 4, 4}));
  K::Model model(in, out);
  tf::testing::expect_values(bn.moving_mean(), {4}, {0, 0, 0, 0});
  tf::testing::expect_values(bn.moving_variance(), {4}, {1, 1, 1, 1});
  auto x = tf::random::normal({2, 8, 8, 2}, {.seed = 5});
  auto direct = dense(gap(bn(pool(conv(x)), false)));
  auto got = model(x);
  tf::testing::expect_values(got, {2, 3}, tf::cast(direct, tf::float64).to_vector<double>(), 1e-6);
  auto direct_training = dense(gap(bn(pool(conv(x)), true)));
  auto moving_after_one = bn.moving_mean().to_vector<float>();
  auto got_training = model(x, true);
  tf::testing::expect_values(got_training, {2, 3}, tf::cast(direct_training, tf::float64).to_vector<double>(), 1e-5);
  // The training call through the model updated the moving mean a second time.
  EXPECT_NE(bn.moving_mean().to_vector<float>(), moving_after_one);
}
