// GradientTape semantics, case by case from TF2's "Introduction to gradients and automatic
// differentiation" guide (tensorflow.org/guide/autodiff) and "Advanced automatic
// differentiation" (tensorflow.org/guide/advanced_autodiff), with the values TF prints.
// Cases that need matmul are written with an equivalent elementwise product and sum.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tapeflow/core/logging.h"
#include "tests/core/test_util.h"

namespace {
using tf::testing::expect_values;

std::vector<std::string>& captured_warnings() {
  static std::vector<std::string> w;
  return w;
}
void capture(const std::string& level, const std::string& message) {
  if (level == "warning") captured_warnings().push_back(message);
}
struct CaptureWarnings {
  CaptureWarnings() {
    captured_warnings().clear();
    tf::logging::set_sink(capture);
  }
  ~CaptureWarnings() { tf::logging::set_sink(nullptr); }
  bool saw(const std::string& words) const {
    for (const auto& m : captured_warnings())
      if (m.find(words) != std::string::npos) return true;
    return false;
  }
};

// ---- Computing gradients --------------------------------------------------------------------
TEST(GradientTape, ScalarVariable) {
  tf::Variable x(3.0f);
  tf::GradientTape tape;
  auto y = tf::square(x);
  tape.stop();
  std::optional<tf::Tensor> dy_dx = tape.gradient(y, x);
  ASSERT_TRUE(dy_dx);
  EXPECT_FLOAT_EQ(dy_dx->item<float>(), 6.0f);
}

// w = tf.Variable(...); b = tf.Variable(zeros(2)); y = x @ w + b; loss = reduce_mean(y**2).
// x @ w for x of shape (1, 3) is written as reduce_sum(transpose(x) * w, 0, keepdims).
TEST(GradientTape, ModelVariablesListAndMap) {
  tf::Variable w(tf::constant({{0.5f, -1.0f}, {1.5f, 0.25f}, {-0.5f, 2.0f}}), {.name = "w"});
  tf::Variable b(tf::zeros({2}), {.name = "b"});
  auto x = tf::constant({{1.f, 2.f, 3.f}});
  tf::GradientTape tape({.persistent = true});
  auto y = tf::reduce_sum(tf::transpose(x) * w, 0, true) + b;
  auto loss = tf::reduce_mean(tf::square(y));
  tape.stop();
  // y = [2, 5.5]; dloss/dy = y; dloss/db = y; dloss/dw = x^T y.
  auto grads = tape.gradient(loss, std::vector<tf::Variable>{w, b});
  expect_values(*grads[0], {3, 2}, {2, 5.5, 4, 11, 6, 16.5});
  expect_values(*grads[1], {2}, {2, 5.5});
  auto named = tape.gradient(loss, {{"w", w}, {"b", b}});
  ASSERT_EQ(named.size(), 2u);
  expect_values(*named["b"], {2}, {2, 5.5});
  expect_values(*named["w"], {3, 2}, {2, 5.5, 4, 11, 6, 16.5});
}

// tape.watched_variables(), trainable=False, and tensors that are not variables.
TEST(GradientTape, WatchesTrainableVariablesOnly) {
  tf::Variable x0(0.0f, {.name = "x0"});
  tf::Variable x1(10.0f, {.name = "x1", .trainable = false});
  tf::Tensor x2 = tf::Variable(2.0f, {.name = "x2"}) + 1.0f;  // a Variable + a tensor is a tensor
  tf::Tensor x3 = tf::constant(3.0f);
  tf::GradientTape tape;
  auto y = tf::square(x0) + tf::square(x1) + tf::square(x2);
  tape.stop();
  auto grad = tape.gradient(y, {x0, x1, x2, x3});
  ASSERT_EQ(grad.size(), 4u);
  ASSERT_TRUE(grad[0]);
  EXPECT_FLOAT_EQ(grad[0]->item<float>(), 0.0f);
  EXPECT_FALSE(grad[1]);
  EXPECT_FALSE(grad[2]);
  EXPECT_FALSE(grad[3]);
  auto watched = tape.watched_variables();
  ASSERT_EQ(watched.size(), 1u);
  EXPECT_EQ(watched[0].name(), "x0:0");
}

TEST(GradientTape, WatchTensor) {
  auto x = tf::constant(3.0f);
  tf::GradientTape tape;
  tape.watch(x);
  auto y = tf::square(x);
  tape.stop();
  EXPECT_FLOAT_EQ(tape.gradient(y, x)->item<float>(), 6.0f);
}

TEST(GradientTape, WatchAccessedVariablesFalse) {
  tf::Variable x0(0.0f), x1(10.0f);
  tf::GradientTape tape({.watch_accessed_variables = false});
  tape.watch(x1);
  auto y0 = tf::sin(x0);
  auto y1 = tf::nn::softplus(x1);
  auto ys = tf::reduce_sum(y0 + y1);
  tape.stop();
  auto grad = tape.gradient(ys, {{"x0", x0}, {"x1", x1}});
  EXPECT_FALSE(grad["x0"]);
  ASSERT_TRUE(grad["x1"]);
  EXPECT_NEAR(grad["x1"]->item<float>(), 0.9999546f, 1e-6);
  auto watched = tape.watched_variables();
  ASSERT_EQ(watched.size(), 1u);
  EXPECT_TRUE(watched[0] == x1);
}

// Gradients of intermediate values, and a persistent tape asked twice.
TEST(GradientTape, IntermediateValuesAndPersistentTape) {
  {
    auto x = tf::constant(3.0f);
    tf::GradientTape tape;
    tape.watch(x);
    auto y = x * x;
    auto z = y * y;
    tape.stop();
    EXPECT_FLOAT_EQ(tape.gradient(z, y)->item<float>(), 18.0f);  // dz/dy = 2y, y = 9
  }
  auto x = tf::constant({1.0f, 3.0f});
  tf::GradientTape tape({.persistent = true});
  tape.watch(x);
  auto y = x * x;
  auto z = y * y;
  tape.stop();
  expect_values(*tape.gradient(z, x), {2}, {4.0, 108.0});  // 4 x^3
  expect_values(*tape.gradient(y, x), {2}, {2.0, 6.0});    // 2 x
}

TEST(GradientTape, NonPersistentTapeIsSingleUse) {
  tf::Variable x(3.0f);
  tf::GradientTape tape;
  auto y = x * x;
  tape.stop();
  EXPECT_FLOAT_EQ(tape.gradient(y, x)->item<float>(), 6.0f);
  try {
    tape.gradient(y, x);
    ADD_FAILURE() << "expected tf::RuntimeError";
  } catch (const tf::RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("A non-persistent GradientTape can only be used to compute one set of "
                                         "gradients"),
              std::string::npos);
  }
}

// ---- Gradients of non-scalar targets --------------------------------------------------------
TEST(GradientTape, ListOfTargetsIsSummed) {
  tf::Variable x(2.0f);
  tf::GradientTape tape;
  auto y0 = tf::square(x);
  auto y1 = 1.0f / x;
  tape.stop();
  EXPECT_FLOAT_EQ(tape.gradient({y0, y1}, x)->item<float>(), 3.75f);  // 2x - 1/x^2
}

TEST(GradientTape, NonScalarTargetIsSummed) {
  tf::Variable x(2.0f);
  tf::GradientTape tape;
  auto y = x * tf::constant({3.0f, 4.0f});
  tape.stop();
  EXPECT_FLOAT_EQ(tape.gradient(y, x)->item<float>(), 7.0f);
}

TEST(GradientTape, ElementwiseDerivativeOfSigmoid) {
  auto x = tf::linspace(-10.0, 10.0, 201);
  tf::GradientTape tape;
  tape.watch(x);
  auto y = tf::nn::sigmoid(x);
  tape.stop();
  auto dy_dx = tape.gradient(y, x);
  std::vector<double> want;
  for (float v : x.to_vector<float>()) {
    double s = 1.0 / (1.0 + std::exp(-double(v)));
    want.push_back(s * (1 - s));
  }
  expect_values(*dy_dx, {201}, want, 1e-6);
  EXPECT_NEAR(dy_dx->to_vector<float>()[100], 0.25f, 1e-7);
}

TEST(GradientTape, OutputGradientsWeightTheTargets) {
  auto x = tf::constant({1.0f, 2.0f, 3.0f});
  tf::GradientTape tape;
  tape.watch(x);
  auto y = x * x;
  tape.stop();
  auto g = tape.gradient(y, x, {.output_gradients = {tf::constant({1.0f, 10.0f, 100.0f})}});
  expect_values(*g, {3}, {2.0, 40.0, 600.0});
}

// ---- Control flow ---------------------------------------------------------------------------
TEST(GradientTape, ControlFlowPicksTheBranchTaken) {
  auto x = tf::constant(1.0f);
  tf::Variable v0(2.0f), v1(2.0f);
  tf::GradientTape tape({.persistent = true});
  tape.watch(x);
  tf::Tensor result = (x > 0.0f).item<bool>() ? tf::Tensor(v0) : tf::square(v1);
  tape.stop();
  auto g = tape.gradient(result, {v0, v1});
  ASSERT_TRUE(g[0]);
  EXPECT_FLOAT_EQ(g[0]->item<float>(), 1.0f);
  EXPECT_FALSE(g[1]);
  EXPECT_FALSE(tape.gradient(result, x));  // the condition is not differentiable
}

// ---- Cases that return None -----------------------------------------------------------------
TEST(GradientTape, NoneWhenSourceNotConnected) {
  tf::Variable x(2.0f), y(3.0f);
  tf::GradientTape tape;
  auto z = y * y;
  tape.stop();
  auto g = tape.gradient(z, {x, y});
  EXPECT_FALSE(g[0]);
  EXPECT_FLOAT_EQ(g[1]->item<float>(), 6.0f);
}

// for epoch in range(2): with tape: y = x + 1; print(tape.gradient(y, x)); x = x + 1
TEST(GradientTape, NoneWhenVariableReplacedByTensor) {
  tf::Variable var(2.0f);
  {
    tf::GradientTape tape;
    auto y = var + 1.0f;
    tape.stop();
    EXPECT_FLOAT_EQ(tape.gradient(y, var)->item<float>(), 1.0f);
  }
  tf::Tensor x = var + 1.0f;  // "This should be var.assign_add(1)"
  tf::GradientTape tape;
  auto y = x + 1.0f;
  tape.stop();
  EXPECT_FALSE(tape.gradient(y, x));
}

TEST(GradientTape, NoneThroughHostValues) {
  tf::Variable x(tf::constant({{1.0f, 2.0f}, {3.0f, 4.0f}}));
  tf::GradientTape tape;
  auto x2 = x * x;
  auto host = x2.to_vector<float>();  // leaving the tape: TF's .numpy()
  auto y = tf::reduce_sum(tf::constant(host, {2, 2}));
  tape.stop();
  EXPECT_FALSE(tape.gradient(y, x));
}

// A variable read before the tape exists is a plain tensor to it (TF's read ran outside the tape).
TEST(GradientTape, NoneForAVariableReadBeforeTheTape) {
  tf::Variable v(2.0f);
  tf::Tensor early = v;
  tf::GradientTape tape;
  auto y = early * v;
  tape.stop();
  EXPECT_FLOAT_EQ(tape.gradient(y, v)->item<float>(), 2.0f);  // only through the read inside the tape
}

TEST(GradientTape, IntegerSourceGivesNoneWithWarning) {
  CaptureWarnings warnings;
  auto x = tf::constant(10);
  tf::GradientTape tape;
  tape.watch(x);
  auto y = x * x;
  tape.stop();
  EXPECT_FALSE(tape.gradient(y, x));
  EXPECT_TRUE(warnings.saw("The dtype of the watched tensor must be floating (e.g. tf.float32), got int32"));
  EXPECT_TRUE(warnings.saw("The dtype of the target tensor must be floating"));
  EXPECT_TRUE(warnings.saw("The dtype of the source tensor must be floating"));
}

TEST(GradientTape, StatefulAssignStopsTheGradient) {
  tf::Variable x0(3.0f), x1(0.0f);
  tf::GradientTape tape;
  x1.assign_add(x0);        // x1 = x1 + x0
  auto y = tf::square(x1);  // y = (x1 + x0)^2, recorded from x1
  tape.stop();
  EXPECT_FALSE(tape.gradient(y, x0));
}

// An op without a registered gradient (TF's example is tf.image.adjust_contrast).
tf::OpDef AdjustContrastv2{.name = "AdjustContrastv2"};
void adjust_contrast_kernel(tf::KernelContext& ctx) {
  auto in = ctx.input(0).contiguous().to_vector<float>();
  float* out = ctx.output(0).data<float>();
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = in[i] * 2.0f;
}
tf::Tensor adjust_contrast(const tf::Tensor& x) {
  if (!AdjustContrastv2.kernels[0]) tf::register_kernel(AdjustContrastv2, tf::DeviceType::kCPU, adjust_contrast_kernel);
  return tf::dispatch1(AdjustContrastv2, std::span<const tf::Tensor>(&x, 1), nullptr, {x.shape(), x.dtype()});
}

TEST(GradientTape, OpWithoutGradientRaisesLookupError) {
  tf::Variable image(tf::constant({{{0.5f, 0.0f, 0.0f}}}));
  tf::GradientTape tape;
  auto new_image = adjust_contrast(image);
  tape.stop();
  try {
    tape.gradient(new_image, std::vector<tf::Variable>{image});
    ADD_FAILURE() << "expected tf::LookupError";
  } catch (const tf::LookupError& e) {
    EXPECT_EQ(std::string(e.what()), "gradient registry has no entry for: AdjustContrastv2");
  }
}

TEST(GradientTape, OpWithoutGradientOffThePathIsFine) {
  tf::Variable x(2.0f);
  tf::GradientTape tape;
  auto unrelated = adjust_contrast(x);
  auto y = x * 3.0f;
  tape.stop();
  EXPECT_FLOAT_EQ(tape.gradient(y, x)->item<float>(), 3.0f);
}

TEST(GradientTape, UnconnectedGradientsZero) {
  tf::Variable x(tf::constant({2.0f, 2.0f}));
  tf::Variable y(3.0f);
  tf::GradientTape tape;
  auto z = tf::square(y);
  tape.stop();
  auto g = tape.gradient(z, x, {.unconnected_gradients = tf::UnconnectedGradients::Zero});
  ASSERT_TRUE(g);
  expect_values(*g, {2}, {0.0, 0.0});
}

// ---- Higher-order gradients -----------------------------------------------------------------
TEST(GradientTape, NestedTapesGiveSecondDerivative) {
  tf::Variable x(1.0f);
  tf::GradientTape t2;
  tf::Tensor dy_dx;
  {
    tf::GradientTape t1;
    auto y = x * x * x;
    t1.stop();
    dy_dx = *t1.gradient(y, x);
  }
  t2.stop();
  auto d2y_dx2 = t2.gradient(dy_dx, x);
  EXPECT_FLOAT_EQ(dy_dx.item<float>(), 3.0f);
  EXPECT_FLOAT_EQ(d2y_dx2->item<float>(), 6.0f);
}

TEST(GradientTape, NestedTapesGiveThirdDerivative) {
  auto x = tf::constant(2.0f);
  tf::GradientTape t3;
  t3.watch(x);
  tf::GradientTape t2;
  t2.watch(x);
  tf::GradientTape t1;
  t1.watch(x);
  auto y = x * x * x * x;  // x^4
  t1.stop();
  auto d1 = *t1.gradient(y, x);  // 4x^3 = 32
  t2.stop();
  auto d2 = *t2.gradient(d1, x);  // 12x^2 = 48
  t3.stop();
  auto d3 = *t3.gradient(d2, x);  // 24x = 48
  EXPECT_FLOAT_EQ(d1.item<float>(), 32.0f);
  EXPECT_FLOAT_EQ(d2.item<float>(), 48.0f);
  EXPECT_FLOAT_EQ(d3.item<float>(), 48.0f);
}

// A persistent tape still recording when gradient() is called records the gradient ops too
// (TF warns that this is what it does), so the same tape differentiates again.
TEST(GradientTape, PersistentTapeRecordsItsOwnGradientInsideItsContext) {
  tf::Variable x(2.0f);
  tf::GradientTape tape({.persistent = true});
  auto y = x * x * x;
  auto dy = *tape.gradient(y, x);  // 3x^2 = 12, still recording
  tape.stop();
  EXPECT_FLOAT_EQ(dy.item<float>(), 12.0f);
  EXPECT_FLOAT_EQ(tape.gradient(dy, x)->item<float>(), 12.0f);  // 6x
}

// ---- Jacobians ------------------------------------------------------------------------------
TEST(GradientTape, JacobianOfScalarSource) {
  auto x = tf::linspace(-10.0, 10.0, 201);
  tf::Variable delta(0.0f);
  tf::GradientTape tape;
  auto y = tf::nn::sigmoid(x + delta);
  tape.stop();
  auto dy_dx = tape.jacobian(y, delta);
  ASSERT_TRUE(dy_dx);
  EXPECT_EQ(dy_dx->shape(), (tf::Shape{201}));
  std::vector<double> want;
  for (float v : x.to_vector<float>()) {
    double s = 1.0 / (1.0 + std::exp(-double(v)));
    want.push_back(s * (1 - s));
  }
  expect_values(*dy_dx, {201}, want, 1e-6);
}

TEST(GradientTape, JacobianOfTensorSource) {
  auto x = tf::constant({1.0f, 2.0f, 3.0f});
  tf::GradientTape tape({.persistent = true});
  tape.watch(x);
  auto y = tf::stack({x[0] * x[1], x[1] * x[2]});  // (2,)
  tape.stop();
  auto j = tape.jacobian(y, x);
  expect_values(*j, {2, 3}, {2, 1, 0, 0, 3, 2});
  auto z = tf::constant({5.0f});
  auto none = tape.jacobian(y, z);
  EXPECT_FALSE(none);
  auto zeros = tape.jacobian(y, z, tf::UnconnectedGradients::Zero);
  expect_values(*zeros, {2, 1}, {0, 0});
}

TEST(GradientTape, BatchJacobian) {
  auto x = tf::constant({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});  // (batch 2, 3)
  tf::GradientTape tape({.persistent = true});
  tape.watch(x);
  auto y = tf::stack({x[{tf::all, 0}] * x[{tf::all, 1}], tf::square(x[{tf::all, 2}])}, 1);  // (2, 2)
  tape.stop();
  auto bj = tape.batch_jacobian(y, x);
  // row b: [[x1, x0, 0], [0, 0, 2 x2]]
  expect_values(*bj, {2, 2, 3}, {2, 1, 0, 0, 0, 6, 5, 4, 0, 0, 0, 12});
  auto j = tape.jacobian(y, x);  // (2, 2, 2, 3), zero off the batch diagonal
  EXPECT_EQ(j->shape(), (tf::Shape{2, 2, 2, 3}));
  expect_values((*j)[{0, tf::all, 0}], {2, 3}, {2, 1, 0, 0, 0, 6});
  expect_values((*j)[{0, tf::all, 1}], {2, 3}, {0, 0, 0, 0, 0, 0});
  EXPECT_TF_ERROR(tape.batch_jacobian(y, tf::constant({1.0f})), tf::errors::InvalidArgumentError,
                  "Need first dimension of target shape");
}

// The Hessian of a quadratic form through nested tapes and a jacobian.
TEST(GradientTape, HessianFromNestedJacobian) {
  auto x = tf::constant({1.0f, 2.0f});
  tf::GradientTape outer;
  outer.watch(x);
  tf::GradientTape inner;
  inner.watch(x);
  auto y = x[0] * x[0] * x[1] + 3.0f * x[1] * x[1];  // [[2 x1, 2 x0], [2 x0, 6]]
  inner.stop();
  auto g = *inner.gradient(y, x);
  outer.stop();
  auto h = outer.jacobian(g, x);
  expect_values(*h, {2, 2}, {4, 2, 2, 6});
}

}  // namespace
