// Unknown dimensions that ops equate while tracing (Note [Unifying unknown dimensions]): labels
// (None,) against logits (None, 10), two None batches broadcast together. The trace unifies them;
// each call checks the arguments agree before any node runs. Values are checked against the
// same program run eagerly.
#include <gtest/gtest.h>

#include <cmath>

#include "tapeflow/tapeflow.h"

namespace {

namespace K = tf::keras;

tf::Tensor logits_of(int64_t n) {
  std::vector<double> v(static_cast<std::size_t>(n * 10));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = 3.0 * std::sin(0.37 * static_cast<double>(i) + 0.1);
  return tf::constant(v, tf::Shape{n, 10}, tf::float32);
}

tf::Tensor labels_of(int64_t n) {
  std::vector<int64_t> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>((i * 7 + 3) % 10);
  return tf::constant(v, tf::Shape{n}, tf::int32);
}

// Sparse cross-entropy, MSE against the one-hot labels, and an accuracy metric's update: every
// check between y_true's and y_pred's batch dimension is made on two unknown dimensions.
struct LossProgram {
  K::metrics::SparseCategoricalAccuracy accuracy;
  std::vector<tf::Tensor> operator()(const tf::Tensor& y_true, const tf::Tensor& y_pred) {
    tf::Tensor xent = K::losses::SparseCategoricalCrossentropy({.from_logits = true})(y_true, y_pred);
    tf::Tensor mse = K::losses::MeanSquaredError()(tf::one_hot(y_true, 10), tf::nn::softmax(y_pred));
    tf::Tensor per_sample = tf::nn::sparse_softmax_cross_entropy_with_logits(y_true, y_pred);
    accuracy.update_state(y_true, y_pred);
    return {xent, mse, per_sample, accuracy.result()};
  }
};

void expect_same(const tf::Value& traced, const std::vector<tf::Tensor>& eager) {
  ASSERT_EQ(traced.list().size(), eager.size());
  for (std::size_t i = 0; i < eager.size(); ++i) {
    tf::Tensor t = traced[i].tensor();
    EXPECT_EQ(t.shape(), eager[i].shape()) << "output " << i;
    EXPECT_EQ(t.to_vector<float>(), eager[i].to_vector<float>()) << "output " << i;
  }
}

TEST(UnknownDims, LabelsAndLogitsWithNoneBatchTraceOnceAndMatchEager) {
  LossProgram traced_program, eager_program;
  auto f =
      tf::function([&](const tf::Tensor& y_true, const tf::Tensor& y_pred) { return traced_program(y_true, y_pred); },
                   {.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({-1}, tf::int32),
                                                                   tf::TensorSpec({-1, 10}, tf::float32)},
                    .name = "losses",
                    .arg_names = {"y_true", "y_pred"}});
  for (int64_t n : {32, 7}) {
    tf::Value got = f(labels_of(n), logits_of(n));
    expect_same(got, eager_program(labels_of(n), logits_of(n)));
    EXPECT_EQ(got[2].tensor().shape(), tf::Shape({n}));
  }
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
  // The accuracy metric's state was updated by both calls, as the eager program's.
  EXPECT_EQ(traced_program.accuracy.result().item<float>(), eager_program.accuracy.result().item<float>());
  // The traced graph's placeholders share one unknown dimension.
  const tf::Graph& g = f.get_concrete_function().graph();
  EXPECT_EQ(g.node(0).outputs[0].shape[0], g.node(1).outputs[0].shape[0]);
}

TEST(UnknownDims, ReduceRetracingGeneralizesBothArgumentsAndUnifiesThem) {
  LossProgram traced_program, eager_program;
  auto f =
      tf::function([&](const tf::Tensor& y_true, const tf::Tensor& y_pred) { return traced_program(y_true, y_pred); },
                   {.reduce_retracing = true, .arg_names = {"y_true", "y_pred"}});
  for (int64_t n : {32, 7, 5, 32, 19})
    expect_same(f(labels_of(n), logits_of(n)), eager_program(labels_of(n), logits_of(n)));
  // The exact trace for 32, then one with None batches for every other size (TF's reduce_retracing).
  EXPECT_EQ(f.experimental_get_tracing_count(), 2);
}

TEST(UnknownDims, MismatchedBatchesRaiseBeforeAnyNodeRuns) {
  tf::Variable calls(tf::constant(0.0f));
  auto f = tf::function(
      [&](const tf::Tensor& y_true, const tf::Tensor& y_pred) {
        calls.assign_add(tf::constant(1.0f));
        return K::losses::SparseCategoricalCrossentropy({.from_logits = true})(y_true, y_pred);
      },
      {.input_signature =
           std::vector<tf::TensorSpec>{tf::TensorSpec({-1}, tf::int32), tf::TensorSpec({-1, 10}, tf::float32)},
       .name = "loss",
       .arg_names = {"labels", "logits"}});
  EXPECT_NEAR(f(labels_of(8), logits_of(8)).tensor().item<float>(),
              K::losses::SparseCategoricalCrossentropy({.from_logits = true})(labels_of(8), logits_of(8)).item<float>(),
              0.0f);
  EXPECT_EQ(calls.read_value().item<float>(), 1.0f);
  try {
    f(labels_of(7), logits_of(8));
    FAIL() << "expected InvalidArgumentError";
  } catch (const tf::errors::InvalidArgumentError& e) {
    const std::string m = e.message();
    EXPECT_NE(m.find("Incompatible shapes"), std::string::npos) << m;
    EXPECT_NE(m.find("argument 'labels' (shape (7,))"), std::string::npos) << m;
    EXPECT_NE(m.find("argument 'logits' (shape (8, 10))"), std::string::npos) << m;
  }
  EXPECT_EQ(calls.read_value().item<float>(), 1.0f);  // the assign before the loss did not run
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
}

TEST(UnknownDims, BroadcastingTwoUnknownDimensionsUnifiesThem) {
  tf::Variable total(tf::constant(0.0f));
  auto body = [&](const tf::Tensor& a, const tf::Tensor& b) {
    total.assign_add(tf::reduce_sum(b));
    return a * b + a;
  };
  auto a_of = [](int64_t n) { return logits_of(n); };
  auto with_signature = tf::function(
      body, {.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({-1, 10}), tf::TensorSpec({-1, 10})},
             .arg_names = {"a", "b"}});
  auto retracing = tf::function(body, {.reduce_retracing = true, .arg_names = {"a", "b"}});
  for (tf::Function* f : {&with_signature, &retracing}) {
    for (int64_t n : {4, 9, 2}) {
      tf::Tensor a = a_of(n), b = logits_of(n) * 0.5f;
      tf::Tensor got = (*f)(a, b).tensor();
      EXPECT_EQ(got.shape(), tf::Shape({n, 10}));
      EXPECT_EQ(got.to_vector<float>(), body(a, b).to_vector<float>());
    }
    const float before = total.read_value().item<float>();
    EXPECT_THROW((*f)(a_of(3), logits_of(4)), tf::errors::InvalidArgumentError);
    EXPECT_EQ(total.read_value().item<float>(), before);
  }
  EXPECT_EQ(with_signature.experimental_get_tracing_count(), 1);
  EXPECT_EQ(retracing.experimental_get_tracing_count(), 2);
  // Where TF's graph would broadcast a size 1 against the other unknown dimension, the call is
  // rejected before it runs, naming both dimensions, whichever side holds the 1.
  for (bool one_first : {true, false}) {
    tf::Tensor a = one_first ? logits_of(1) : logits_of(4), b = one_first ? logits_of(4) : logits_of(1);
    try {
      with_signature(a, b);
      ADD_FAILURE() << "expected InvalidArgumentError";
    } catch (const tf::errors::InvalidArgumentError& e) {
      const std::string m = e.message();
      EXPECT_NE(m.find("dimension 0 of argument 'a' (shape " + a.shape().to_string() + ")"), std::string::npos) << m;
      EXPECT_NE(m.find("dimension 0 of argument 'b' (shape " + b.shape().to_string() + ")"), std::string::npos) << m;
      EXPECT_NE(m.find("a size-1 dimension is not broadcast against an unknown one"), std::string::npos) << m;
    }
  }
  // Traced with the 1 (an exact-shape call), the broadcast is TF's.
  auto exact = tf::function(body, {.arg_names = {"a", "b"}});
  EXPECT_EQ(exact(logits_of(1), logits_of(4)).tensor().to_vector<float>(),
            body(logits_of(1), logits_of(4)).to_vector<float>());
}

// A whole training step (Flatten, Dense, sparse cross-entropy, the tape's gradient, Adam) traced
// with reduce_retracing over full and partial batches gives the eager step's losses and weights.
TEST(UnknownDims, TrainingStepWithNoneBatchMatchesEager) {
  struct Run {
    K::Sequential model{{K::layers::Flatten(), K::layers::Dense(8, {.activation = "relu"}), K::layers::Dense(10)}};
    K::optimizers::Adam opt{{.learning_rate = 1e-2}};
    K::losses::SparseCategoricalCrossentropy loss_fn{{.from_logits = true}};
    tf::Tensor step(const tf::Tensor& x, const tf::Tensor& y) {
      tf::GradientTape tape;
      tf::Tensor loss = loss_fn(y, model(x, true));
      tape.stop();
      auto vars = model.trainable_variables();
      opt.apply_gradients(tape.gradient(loss, vars), vars);
      return loss;
    }
  };
  auto images = [](int64_t n) { return tf::reshape(logits_of(n * 2), {n, 4, 5}); };
  Run eager, traced;
  tf::random::set_seed(3);
  eager.model(images(1));  // the same initial weights: built from the same seed
  tf::random::set_seed(3);
  traced.model(images(1));
  auto f = tf::function([&](const tf::Tensor& x, const tf::Tensor& y) { return traced.step(x, y); },
                        {.reduce_retracing = true, .name = "train_step"});
  for (int epoch = 0; epoch < 2; ++epoch)
    for (int64_t n : {16, 16, 5}) {
      const float want = eager.step(images(n), labels_of(n)).item<float>();
      EXPECT_EQ(f(images(n), labels_of(n)).tensor().item<float>(), want) << "batch " << n;
    }
  EXPECT_EQ(f.experimental_get_tracing_count(), 2);  // batch 16, then None (5 and any later size)
  EXPECT_EQ(f(images(3), labels_of(3)).tensor().item<float>(), eager.step(images(3), labels_of(3)).item<float>());
  EXPECT_EQ(f.experimental_get_tracing_count(), 2);
  auto we = eager.model.trainable_variables(), wt = traced.model.trainable_variables();
  ASSERT_EQ(we.size(), wt.size());
  for (std::size_t i = 0; i < we.size(); ++i)
    EXPECT_EQ(wt[i].read_value().to_vector<float>(), we[i].read_value().to_vector<float>()) << "variable " << i;
}

// Concatenating two None batches along the features and a binary cross-entropy against labels
// with a third: all three unknown batch dimensions become one.
TEST(UnknownDims, ConcatAndBinaryCrossentropyUnifyThreeArguments) {
  auto body = [](const tf::Tensor& a, const tf::Tensor& b, const tf::Tensor& labels) {
    tf::Tensor logits = tf::concat({a, b}, 1);
    return std::vector<tf::Tensor>{logits, K::losses::BinaryCrossentropy({.from_logits = true})(labels, logits),
                                   tf::stack({tf::reduce_sum(a, 1), tf::reduce_sum(b, 1)})};
  };
  auto f = tf::function(
      body, {.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({-1, 6}), tf::TensorSpec({-1, 4}),
                                                            tf::TensorSpec({-1, 10})},
             .arg_names = {"a", "b", "labels"}});
  auto part = [](int64_t n, int64_t width, int64_t offset) {
    std::vector<float> v(static_cast<std::size_t>(n * width));
    for (std::size_t i = 0; i < v.size(); ++i)
      v[i] = std::cos(0.9f * static_cast<float>(i) + static_cast<float>(offset));
    return tf::constant(v, tf::Shape{n, width});
  };
  for (int64_t n : {6, 1, 11}) {
    tf::Tensor a = part(n, 6, 0), b = part(n, 4, 6),
               labels = tf::cast(tf::greater(logits_of(n), tf::constant(0.0f)), tf::float32);
    expect_same(f(a, b, labels), body(a, b, labels));
  }
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
  EXPECT_THROW(f(part(3, 6, 0), part(3, 4, 6), logits_of(4)), tf::errors::InvalidArgumentError);
  EXPECT_THROW(f(part(3, 6, 0), part(2, 4, 6), logits_of(3)), tf::errors::InvalidArgumentError);
}

// Views whose kernels used the trace's placeholder sizes (ExpandDims in tf::stack, BroadcastTo,
// a `:` slice of a None batch) take this call's sizes from their specs.
TEST(UnknownDims, ViewsOfNoneBatchesTakeTheCallsSizes) {
  auto body = [](const tf::Tensor& a, const tf::Tensor& b) {
    return std::vector<tf::Tensor>{
        tf::stack({tf::reduce_sum(a, 1), tf::reduce_sum(b, 1)}),
        a[{tf::all, 1}] + tf::broadcast_to(tf::reduce_sum(a, 1, true), a.shape())[{tf::all, 0}]};
  };
  auto f = tf::function(
      body, {.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({-1, 6}), tf::TensorSpec({-1, 4})}});
  for (int64_t n : {3, 8}) {
    tf::Tensor a = tf::reshape(tf::range(static_cast<double>(6 * n)), {n, 6});
    tf::Tensor b = tf::cast(tf::reshape(tf::range(static_cast<double>(4 * n)), {n, 4}), tf::float32) * 0.5f;
    a = tf::cast(a, tf::float32);
    expect_same(f(a, b), body(a, b));
  }
  // Row sums of `a` (6n-row ranges): the values, not only the shapes.
  tf::Tensor a = tf::cast(tf::reshape(tf::range(18.0), {3, 6}), tf::float32);
  EXPECT_EQ(f(a, tf::zeros({3, 4}))[1].tensor().to_vector<float>(), (std::vector<float>{1 + 15, 7 + 51, 13 + 87}));
}

// Slices of a None dimension other than `:` (x[1:], x[:-1], strided, reversed, with an index on
// another axis) take their bounds against the call's size, in the forward and in the gradient.
TEST(UnknownDims, SlicesOfANoneDimensionTakeTheCallsSizesWithTheirGradient) {
  auto body = [](const tf::Tensor& x) {
    tf::GradientTape tape;
    tape.watch(x);
    std::vector<tf::Tensor> outs{x[tf::slice(1, {})],
                                 x[tf::slice({}, -1)],
                                 x[tf::slice({}, {}, 2)],
                                 x[tf::slice(-2, 0, -1)],
                                 x[{tf::slice(1, {}), 2}],
                                 x[tf::slice(1, {})] - x[tf::slice({}, -1)]};
    tf::Tensor loss = tf::reduce_sum(outs[0] * 1.5f) + tf::reduce_sum(outs[2] * outs[2]) + tf::reduce_sum(outs[3]) +
                      tf::reduce_sum(outs[4] * 3.0f) + tf::reduce_sum(outs[5] * outs[5]);
    tape.stop();
    outs.push_back(*tape.gradient(loss, x));
    return outs;
  };
  auto f = tf::function(body, {.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({-1, 6})}});
  for (int64_t n : {5, 1, 8, 2}) {
    tf::Tensor x = tf::reshape(logits_of(3 * n), {5 * n, 6})[tf::slice(0, n)];
    tf::Value got = f(x);
    expect_same(got, body(x));
    EXPECT_EQ(got[0].tensor().shape(), tf::Shape({n - 1, 6}));
    EXPECT_EQ(got[2].tensor().shape(), tf::Shape({(n + 1) / 2, 6}));
  }
  EXPECT_EQ(f.experimental_get_tracing_count(), 1);
  // x[1:] of 3 rows, by hand: rows 1 and 2.
  tf::Tensor x = tf::reshape(tf::cast(tf::range(18.0), tf::float32), {3, 6});
  const std::vector<float> all = x.to_vector<float>();
  EXPECT_EQ(f(x)[0].tensor().to_vector<float>(), std::vector<float>(all.begin() + 6, all.end()));
}

// An unknown dimension met with a known size (a broadcast against a constant, matmul's inner
// dimension against a weight) takes that size: a call with another size is rejected before any
// node runs, instead of reaching kernels planned for the known size.
TEST(UnknownDims, AnUnknownDimensionMetWithAKnownSizeIsBoundToIt) {
  tf::Tensor c = tf::reshape(logits_of(1), {10});
  tf::Variable calls(tf::constant(0.0f));
  auto add = tf::function(
      [&](const tf::Tensor& x) {
        calls.assign_add(tf::constant(1.0f));
        return x + c;
      },
      {.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({-1})}, .arg_names = {"x"}});
  tf::Tensor x10 = tf::reshape(logits_of(1), {10}) * 0.25f;
  EXPECT_EQ(add(x10).tensor().to_vector<float>(), (x10 + c).to_vector<float>());
  // TF's shape message: the argument, the dimension and both sizes.
  try {
    add(tf::reshape(logits_of(1), {10})[tf::slice(0, 7)]);
    ADD_FAILURE() << "expected InvalidArgumentError";
  } catch (const tf::errors::InvalidArgumentError& e) {
    const std::string m = e.message();
    EXPECT_NE(m.find("Incompatible shapes: dimension 0 of argument 'x' is 7 (shape (7,)) but must be 10"),
              std::string::npos)
        << m;
    EXPECT_EQ(m.find("traced for"), std::string::npos) << m;
  }
  EXPECT_EQ(calls.read_value().item<float>(), 1.0f);
  EXPECT_EQ(add.experimental_get_tracing_count(), 1);

  tf::Tensor w = tf::reshape(logits_of(2), {4, 5});
  auto mm = tf::function([&](const tf::Tensor& x) { return tf::matmul(x, w); },
                         {.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({-1, -1})}});
  tf::Tensor x = tf::reshape(logits_of(2), {5, 4});
  EXPECT_EQ(mm(x).tensor().to_vector<float>(), tf::matmul(x, w).to_vector<float>());
  EXPECT_THROW(mm(tf::reshape(logits_of(3), {5, 6})), tf::errors::InvalidArgumentError);
}

// Dropout of a None batch (a Keras step retraced for partial batches) draws a mask of the call's
// size, and its gradient, traced in the same graph, applies the same mask: y = 2x where kept,
// dy/dx = 2w there and 0 elsewhere, at every call and size.
TEST(UnknownDims, DropoutOfANoneBatchDrawsTheCallsMaskWithItsGradientInStep) {
  tf::random::set_seed(21);
  auto f = tf::function(
      [](const tf::Tensor& x, const tf::Tensor& w) {
        tf::GradientTape tape;
        tape.watch(x);
        tf::Tensor y = tf::nn::dropout(x, 0.5);
        tf::Tensor loss = tf::reduce_sum(y * w);
        tape.stop();
        return std::vector<tf::Tensor>{y, *tape.gradient(loss, x)};
      },
      {.reduce_retracing = true});
  std::vector<std::vector<float>> masks;
  for (int64_t n : {8, 8, 5, 3, 5, 13}) {
    tf::Tensor x = tf::abs(logits_of(n)) + 1.0f, w = logits_of(n) * 0.5f + 0.25f;
    tf::Value got = f(x, w);
    const std::vector<float> y = got[0].tensor().to_vector<float>(), g = got[1].tensor().to_vector<float>();
    const std::vector<float> xs = x.to_vector<float>(), ws = w.to_vector<float>();
    ASSERT_EQ(y.size(), static_cast<std::size_t>(n * 10));
    int kept = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      const bool keep = y[i] != 0.0f;
      kept += keep;
      EXPECT_EQ(y[i], keep ? 2.0f * xs[i] : 0.0f) << "batch " << n << " element " << i;
      EXPECT_EQ(g[i], keep ? 2.0f * ws[i] : 0.0f) << "batch " << n << " element " << i;
    }
    EXPECT_GT(kept, 0);
    EXPECT_LT(kept, n * 10);
    std::vector<float> mask(y.size());
    for (std::size_t i = 0; i < y.size(); ++i) mask[i] = y[i] != 0.0f;
    masks.push_back(mask);
  }
  EXPECT_NE(masks[2], masks[4]);  // a fresh mask per call of the generalized trace
  EXPECT_EQ(f.experimental_get_tracing_count(), 2);
}

}  // namespace
