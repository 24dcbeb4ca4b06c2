// CPU-vs-GPU parity of the unary elementwise ops and activations, logic, where, clip_by_value.
#include "tests/gpu/gpu_test_util.h"

namespace {
using namespace tapeflow::testing;
using Fn = std::function<tf::Tensor(const std::vector<tf::Tensor>&)>;

const std::vector<tf::DType> kNumeric = {tf::float32, tf::float64, tf::float16, tf::bfloat16,
                                         tf::int32,   tf::int64,   tf::int8,    tf::uint8};
const std::vector<tf::DType> kFloating = {tf::float32, tf::float64, tf::float16, tf::bfloat16};

void unary_parity(const std::string& name, const Fn& f, const std::vector<tf::DType>& dtypes, Range r,
                  double tol_scale = 1) {
  uint32_t seed = 1000;
  for (tf::DType dt : dtypes) {
    double tol = parity_tolerance(dt) * tol_scale;
    for (const tf::Shape& s : {tf::Shape{1003}, tf::Shape{}, tf::Shape{0, 4}, tf::Shape{3, 1, 17}})
      expect_parity(f, {random_cpu(s, dt, seed++, r)}, name + " " + str(dt) + " " + s.to_string(), tol);
    expect_parity(f, {random_transposed_cpu({19, 6}, dt, seed++, r)}, name + " " + str(dt) + " transposed", tol);
  }
}

TEST_F(GpuTest, UnaryParity) {
  const std::vector<tf::DType> signed_numeric = {tf::float32, tf::float64, tf::float16, tf::bfloat16,
                                                 tf::int32,   tf::int64,   tf::int8};
  unary_parity(
      "negative", [](auto& x) { return tf::negative(x[0]); }, signed_numeric, Range::kSigned);
  unary_parity(
      "abs", [](auto& x) { return tf::abs(x[0]); }, signed_numeric, Range::kSigned);
  unary_parity(
      "sign", [](auto& x) { return tf::sign(x[0]); }, signed_numeric, Range::kSigned);
  unary_parity(
      "square", [](auto& x) { return tf::square(x[0]); }, kNumeric, Range::kSigned);
  unary_parity(
      "reciprocal", [](auto& x) { return tf::reciprocal(x[0]); }, kFloating, Range::kPositive);
  unary_parity(
      "relu", [](auto& x) { return tf::nn::relu(x[0]); }, kNumeric, Range::kSigned);
  unary_parity(
      "relu6", [](auto& x) { return tf::nn::relu6(x[0] * 3.0); }, kFloating, Range::kSigned);
  // Transcendentals: GPU and CPU libm may differ by an ulp or two.
  unary_parity(
      "sqrt", [](auto& x) { return tf::sqrt(x[0]); }, kFloating, Range::kPositive);
  unary_parity(
      "rsqrt", [](auto& x) { return tf::rsqrt(x[0]); }, kFloating, Range::kPositive, 2);
  unary_parity(
      "exp", [](auto& x) { return tf::exp(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity(
      "expm1", [](auto& x) { return tf::expm1(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity(
      "log", [](auto& x) { return tf::log(x[0]); }, kFloating, Range::kPositive, 2);
  unary_parity(
      "log1p", [](auto& x) { return tf::log1p(x[0]); }, kFloating, Range::kPositive, 2);
  unary_parity(
      "sin", [](auto& x) { return tf::sin(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity(
      "cos", [](auto& x) { return tf::cos(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity(
      "tan", [](auto& x) { return tf::tan(x[0]); }, kFloating, Range::kPositive, 4);
  unary_parity(
      "tanh", [](auto& x) { return tf::tanh(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity(
      "sigmoid", [](auto& x) { return tf::sigmoid(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity(
      "floor", [](auto& x) { return tf::floor(x[0]); }, kFloating, Range::kSigned);
  unary_parity(
      "ceil", [](auto& x) { return tf::ceil(x[0]); }, kFloating, Range::kSigned);
  unary_parity(
      "round", [](auto& x) { return tf::round(x[0] * 2.0); }, kFloating, Range::kSigned);
  unary_parity(
      "erf", [](auto& x) { return tf::erf(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity(
      "elu", [](auto& x) { return tf::nn::elu(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity(
      "selu", [](auto& x) { return tf::nn::selu(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity(
      "softplus", [](auto& x) { return tf::nn::softplus(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity(
      "softsign", [](auto& x) { return tf::nn::softsign(x[0]); }, kFloating, Range::kSigned);
  unary_parity(
      "leaky_relu", [](auto& x) { return tf::nn::leaky_relu(x[0], 0.3f); }, kFloating, Range::kSigned);
  unary_parity(
      "gelu", [](auto& x) { return tf::nn::gelu(x[0], false); }, kFloating, Range::kSigned, 2);
  unary_parity(
      "gelu tanh", [](auto& x) { return tf::nn::gelu(x[0], true); }, kFloating, Range::kSigned, 2);
  unary_parity(
      "silu", [](auto& x) { return tf::nn::silu(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity(
      "is_finite", [](auto& x) { return tf::is_finite(tf::log(x[0])); }, kFloating, Range::kSigned);
  unary_parity(
      "is_inf", [](auto& x) { return tf::is_inf(x[0] / tf::floor(x[0])); }, kFloating, Range::kSigned);
  unary_parity(
      "logical_not", [](auto& x) { return tf::logical_not(x[0]); }, {tf::bool_}, Range::kSigned);
}

TEST_F(GpuTest, WhereAndClipParity) {
  uint32_t seed = 2000;
  for (tf::DType dt : {tf::float32, tf::float16, tf::int64, tf::bool_, tf::int8}) {
    auto c = random_cpu({4, 1, 6}, tf::bool_, seed++);
    auto x = random_cpu({5, 6}, dt, seed++), y = random_cpu({1}, dt, seed++);
    expect_parity([](auto& v) { return tf::where(v[0], v[1], v[2]); }, {c, x, y}, "where " + str(dt));
    auto tc = random_transposed_cpu({6, 4}, tf::bool_, seed++);
    auto tx = random_transposed_cpu({6, 4}, dt, seed++);
    expect_parity([](auto& v) { return tf::where(v[0], v[1], v[2]); }, {tc, tx, random_cpu({6, 4}, dt, seed++)},
                  "where transposed " + str(dt));
  }
  for (tf::DType dt : {tf::float32, tf::float64, tf::bfloat16, tf::int32}) {
    expect_parity([](auto& v) { return tf::clip_by_value(v[0], -1, 2); }, {random_cpu({333}, dt, seed++)},
                  "clip " + str(dt));
    expect_parity([](auto& v) { return tf::clip_by_value(v[0], v[1], v[2]); },
                  {random_cpu({5, 7}, dt, seed++), random_cpu({7}, dt, seed++) - 2, random_cpu({5, 1}, dt, seed++) + 2},
                  "clip tensors " + str(dt));
  }
  // where(cond): coordinates of the true elements.
  auto cond = random_cpu({3, 4, 5}, tf::bool_, seed++);
  expect_parity([](auto& v) { return tf::where(v[0]); }, {cond}, "where coordinates");
  expect_parity([](auto& v) { return tf::where(v[0]); }, {random_cpu({0, 2}, tf::bool_, seed++)}, "where empty");
}

}  // namespace
