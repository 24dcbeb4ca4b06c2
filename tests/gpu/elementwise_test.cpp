// CPU-vs-GPU parity of the elementwise ops: binary arithmetic and comparisons with broadcasting,
// scalars, non-contiguous and empty inputs, odd sizes (vector tails); unary math and activations;
// logic, where, clip_by_value; cast between every dtype pair; fill and range.
#include "tests/gpu/gpu_test_util.h"

namespace {
using namespace tapeflow::testing;
using Fn = std::function<tf::Tensor(const std::vector<tf::Tensor>&)>;

const std::vector<tf::DType> kNumeric = {tf::float32, tf::float64, tf::float16, tf::bfloat16, tf::int32, tf::int64,
                                         tf::int8, tf::uint8};
const std::vector<tf::DType> kFloating = {tf::float32, tf::float64, tf::float16, tf::bfloat16};

/// Input shape pairs: same shape with a vector tail, broadcasting both ways, a scalar on either
/// side, a single element, and empty.
const std::vector<std::pair<tf::Shape, tf::Shape>> kShapePairs = {
    {{1003}, {1003}}, {{3, 1, 5}, {4, 1}}, {{7, 9}, {}}, {{}, {7, 9}}, {{1}, {1}}, {{0, 3}, {3}}, {{64, 33}, {33}}};

void binary_parity(const std::string& name, const Fn& f, const std::vector<tf::DType>& dtypes, Range rb) {
  uint32_t seed = 1;
  for (tf::DType dt : dtypes) {
    for (const auto& [sa, sb] : kShapePairs) {
      auto a = random_cpu(sa, dt, seed++), b = random_cpu(sb, dt, seed++, rb);
      expect_parity(f, {a, b}, name + " " + str(dt) + " " + sa.to_string() + " " + sb.to_string());
    }
    // Non-contiguous (transposed) operands, alone and together.
    auto ta = random_transposed_cpu({37, 5}, dt, seed++), tb = random_transposed_cpu({37, 5}, dt, seed++, rb);
    auto da = random_cpu({37, 5}, dt, seed++), db = random_cpu({37, 5}, dt, seed++, rb);
    expect_parity(f, {ta, db}, name + " " + str(dt) + " transposed lhs");
    expect_parity(f, {da, tb}, name + " " + str(dt) + " transposed rhs");
    expect_parity(f, {ta, tb}, name + " " + str(dt) + " transposed both");
  }
}

TEST_F(GpuTest, ArithmeticParity) {
  binary_parity("add", [](auto& x) { return x[0] + x[1]; }, kNumeric, Range::kSigned);
  binary_parity("subtract", [](auto& x) { return x[0] - x[1]; }, kNumeric, Range::kSigned);
  binary_parity("multiply", [](auto& x) { return x[0] * x[1]; }, kNumeric, Range::kSigned);
  binary_parity("divide", [](auto& x) { return x[0] / x[1]; }, kNumeric, Range::kPositive);
  binary_parity("floordiv", [](auto& x) { return tf::floordiv(x[0], x[1]); }, kNumeric, Range::kPositive);
  binary_parity("floormod", [](auto& x) { return tf::floormod(x[0], x[1]); }, kNumeric, Range::kPositive);
  binary_parity("maximum", [](auto& x) { return tf::maximum(x[0], x[1]); }, kNumeric, Range::kSigned);
  binary_parity("minimum", [](auto& x) { return tf::minimum(x[0], x[1]); }, kNumeric, Range::kSigned);
  binary_parity("squared_difference", [](auto& x) { return tf::squared_difference(x[0], x[1]); }, kNumeric,
                Range::kSigned);
}

TEST_F(GpuTest, PowParity) {
  uint32_t seed = 100;
  for (tf::DType dt : kNumeric) {
    auto a = random_cpu({257}, dt, seed++, Range::kPositive), b = random_cpu({257}, dt, seed++, Range::kNearOne);
    expect_parity([](auto& x) { return tf::pow(x[0], x[1]); }, {a, b}, "pow " + str(dt),
                  tf::is_floating(dt) ? parity_tolerance(dt) * 4 : 0);
  }
}

TEST_F(GpuTest, ComparisonParity) {
  // Small integer ranges make ties common, so equality is exercised.
  std::vector<tf::DType> dts = kNumeric;
  binary_parity("equal", [](auto& x) { return tf::equal(x[0], x[1]); }, dts, Range::kSigned);
  binary_parity("not_equal", [](auto& x) { return tf::not_equal(x[0], x[1]); }, dts, Range::kSigned);
  binary_parity("less", [](auto& x) { return tf::less(x[0], x[1]); }, dts, Range::kSigned);
  binary_parity("less_equal", [](auto& x) { return tf::less_equal(x[0], x[1]); }, dts, Range::kSigned);
  binary_parity("greater", [](auto& x) { return tf::greater(x[0], x[1]); }, dts, Range::kSigned);
  binary_parity("greater_equal", [](auto& x) { return tf::greater_equal(x[0], x[1]); }, dts, Range::kSigned);
  binary_parity("equal bool", [](auto& x) { return tf::equal(x[0], x[1]); }, {tf::bool_}, Range::kSigned);
  binary_parity("logical_and", [](auto& x) { return tf::logical_and(x[0], x[1]); }, {tf::bool_}, Range::kSigned);
  binary_parity("logical_or", [](auto& x) { return tf::logical_or(x[0], x[1]); }, {tf::bool_}, Range::kSigned);
}

TEST_F(GpuTest, NanPropagatesInMaximumAndComparisons) {
  tf::Tensor a, b;
  {
    tf::DeviceScope on("CPU:0");
    a = tf::constant({NAN, 1.f, 2.f, NAN});
    b = tf::constant({1.f, NAN, 3.f, NAN});
  }
  expect_parity([](auto& x) { return tf::maximum(x[0], x[1]); }, {a, b}, "maximum nan");
  expect_parity([](auto& x) { return tf::minimum(x[0], x[1]); }, {a, b}, "minimum nan");
  expect_parity([](auto& x) { return tf::equal(x[0], x[1]); }, {a, b}, "equal nan");
  expect_parity([](auto& x) { return tf::is_nan(x[0]); }, {a}, "is_nan");
}

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
  unary_parity("negative", [](auto& x) { return tf::negative(x[0]); }, signed_numeric, Range::kSigned);
  unary_parity("abs", [](auto& x) { return tf::abs(x[0]); }, signed_numeric, Range::kSigned);
  unary_parity("sign", [](auto& x) { return tf::sign(x[0]); }, signed_numeric, Range::kSigned);
  unary_parity("square", [](auto& x) { return tf::square(x[0]); }, kNumeric, Range::kSigned);
  unary_parity("reciprocal", [](auto& x) { return tf::reciprocal(x[0]); }, kFloating, Range::kPositive);
  unary_parity("relu", [](auto& x) { return tf::nn::relu(x[0]); }, kNumeric, Range::kSigned);
  unary_parity("relu6", [](auto& x) { return tf::nn::relu6(x[0] * 3.0); }, kFloating, Range::kSigned);
  // Transcendentals: GPU and CPU libm may differ by an ulp or two.
  unary_parity("sqrt", [](auto& x) { return tf::sqrt(x[0]); }, kFloating, Range::kPositive);
  unary_parity("rsqrt", [](auto& x) { return tf::rsqrt(x[0]); }, kFloating, Range::kPositive, 2);
  unary_parity("exp", [](auto& x) { return tf::exp(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity("expm1", [](auto& x) { return tf::expm1(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity("log", [](auto& x) { return tf::log(x[0]); }, kFloating, Range::kPositive, 2);
  unary_parity("log1p", [](auto& x) { return tf::log1p(x[0]); }, kFloating, Range::kPositive, 2);
  unary_parity("sin", [](auto& x) { return tf::sin(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity("cos", [](auto& x) { return tf::cos(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity("tan", [](auto& x) { return tf::tan(x[0]); }, kFloating, Range::kPositive, 4);
  unary_parity("tanh", [](auto& x) { return tf::tanh(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity("sigmoid", [](auto& x) { return tf::sigmoid(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity("floor", [](auto& x) { return tf::floor(x[0]); }, kFloating, Range::kSigned);
  unary_parity("ceil", [](auto& x) { return tf::ceil(x[0]); }, kFloating, Range::kSigned);
  unary_parity("round", [](auto& x) { return tf::round(x[0] * 2.0); }, kFloating, Range::kSigned);
  unary_parity("erf", [](auto& x) { return tf::erf(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity("elu", [](auto& x) { return tf::nn::elu(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity("selu", [](auto& x) { return tf::nn::selu(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity("softplus", [](auto& x) { return tf::nn::softplus(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity("softsign", [](auto& x) { return tf::nn::softsign(x[0]); }, kFloating, Range::kSigned);
  unary_parity("leaky_relu", [](auto& x) { return tf::nn::leaky_relu(x[0], 0.3f); }, kFloating, Range::kSigned);
  unary_parity("gelu", [](auto& x) { return tf::nn::gelu(x[0], false); }, kFloating, Range::kSigned, 2);
  unary_parity("gelu tanh", [](auto& x) { return tf::nn::gelu(x[0], true); }, kFloating, Range::kSigned, 2);
  unary_parity("silu", [](auto& x) { return tf::nn::silu(x[0]); }, kFloating, Range::kSigned, 2);
  unary_parity("is_finite", [](auto& x) { return tf::is_finite(tf::log(x[0])); }, kFloating, Range::kSigned);
  unary_parity("is_inf", [](auto& x) { return tf::is_inf(x[0] / tf::floor(x[0])); }, kFloating, Range::kSigned);
  unary_parity("logical_not", [](auto& x) { return tf::logical_not(x[0]); }, {tf::bool_}, Range::kSigned);
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

TEST_F(GpuTest, CastParityEveryPair) {
  const std::vector<tf::DType> all = {tf::float32, tf::float64, tf::float16, tf::bfloat16, tf::int8,
                                      tf::int32,   tf::int64,   tf::uint8,   tf::bool_};
  uint32_t seed = 3000;
  for (tf::DType from : all) {
    auto x = random_cpu({517}, from, seed++, from == tf::uint8 ? Range::kPositive : Range::kSigned);
    auto t = random_transposed_cpu({9, 4}, from, seed++, from == tf::uint8 ? Range::kPositive : Range::kSigned);
    for (tf::DType to : all) {
      auto f = [to](auto& v) { return tf::cast(v[0] * tf::scalar_tensor(1, v[0].dtype()), to); };
      auto plain = [to](auto& v) { return tf::cast(v[0], to); };
      expect_parity(from == tf::bool_ ? Fn(plain) : Fn(f), {x}, "cast " + str(from) + " -> " + str(to));
      expect_parity(plain, {t}, "cast transposed " + str(from) + " -> " + str(to));
    }
  }
  // Float to int truncates toward zero; NaN and out-of-range become 0 (as on CPU).
  tf::Tensor special;
  {
    tf::DeviceScope on("CPU:0");
    special = tf::constant({-2.7f, 2.7f, NAN, 3e9f, -3e9f, 0.5f});
  }
  expect_parity([](auto& v) { return tf::cast(v[0], tf::int32); }, {special}, "cast special -> int32");
  expect_parity([](auto& v) { return tf::cast(v[0], tf::bool_); }, {special}, "cast special -> bool");
}

TEST_F(GpuTest, CreationOpsOnGpu) {
  Fn none_zeros = [](auto&) { return tf::zeros({3, 5}, tf::int64); };
  expect_parity(none_zeros, {}, "zeros");
  expect_parity([](auto&) { return tf::fill({1001}, 2.5, tf::float16); }, {}, "fill f16");
  expect_parity([](auto&) { return tf::ones({4}, tf::bool_); }, {}, "ones bool");
  expect_parity([](auto&) { return tf::range(3, 100, 7); }, {}, "range int");
  expect_parity([](auto&) { return tf::range(0.5, 10.0, 0.25); }, {}, "range float");
  expect_parity([](auto&) { return tf::linspace(-1, 1, 101); }, {}, "linspace");
  expect_parity([](auto&) { return tf::eye(5, 7); }, {}, "eye");
}

TEST_F(GpuTest, StridedViewsMaterialize) {
  uint32_t seed = 4000;
  for (tf::DType dt : {tf::float32, tf::float16, tf::int64, tf::bool_, tf::uint8}) {
    auto x = random_cpu({6, 7, 8}, dt, seed++);
    expect_parity([](auto& v) { return tf::transpose(v[0], {2, 0, 1}).contiguous(); }, {x}, "transpose " + str(dt));
    expect_parity([](auto& v) { return tf::reshape(tf::transpose(v[0]), {-1}); }, {x}, "reshape of view " + str(dt));
    expect_parity([](auto& v) { return v[0][{tf::slice(1, {}, 2), tf::all, tf::slice({}, {}, -3)}].contiguous(); }, {x},
                  "strided slice " + str(dt));
    expect_parity([](auto& v) { return tf::reverse(v[0], {1}) + tf::scalar_tensor(0, v[0].dtype()); }, {x},
                  "reverse " + str(dt), 0);
  }
}

TEST_F(GpuTest, ElementwiseOverTwoGigabytes) {
  // 2^29 + 3 float32 elements: 2 GiB + 12 bytes per operand, so indices pass 2^31 bytes
  // (64-bit offsets) and the vector path has a tail.
  const int64_t total = std::stoll(tf::config::list_physical_devices("GPU")[0].details.at("memory_bytes"));
  if (total < (int64_t(16) << 30)) GTEST_SKIP() << "needs 16 GiB of GPU memory";
  const int64_t n = (int64_t(1) << 29) + 3;
  auto a = tf::fill({n}, 1.5f);
  auto b = tf::range(0, n, 1, tf::int64);
  auto c = a + tf::cast(b % int64_t(1000), tf::float32);
  EXPECT_EQ(c.device(), tf::kGPU0);
  for (int64_t i : {int64_t(0), int64_t(999), n / 2, n - 3, n - 1})
    EXPECT_EQ(c[i].item<float>(), 1.5f + float(i % 1000)) << "element " << i;
  // sum of (i % 1000) over n elements, plus 1.5 n
  double want = 1.5 * double(n);
  int64_t full = n / 1000, rest = n % 1000;
  want += double(full) * (999.0 * 1000.0 / 2) + double(rest) * double(rest - 1) / 2;
  EXPECT_NEAR(tf::reduce_sum(tf::cast(c, tf::float64)).item<double>(), want, 1e-9 * want);
}

}  // namespace
