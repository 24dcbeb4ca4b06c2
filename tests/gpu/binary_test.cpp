// CPU-vs-GPU parity of the binary elementwise ops: arithmetic and comparisons with broadcasting,
// scalars, non-contiguous and empty inputs, odd sizes (vector tails), NaN, over 2 GiB.
#include "tests/gpu/gpu_test_util.h"

namespace {
using namespace tapeflow::testing;
using Fn = std::function<tf::Tensor(const std::vector<tf::Tensor>&)>;

const std::vector<tf::DType> kNumeric = {tf::float32, tf::float64, tf::float16, tf::bfloat16,
                                         tf::int32,   tf::int64,   tf::int8,    tf::uint8};

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
  binary_parity(
      "add", [](auto& x) { return x[0] + x[1]; }, kNumeric, Range::kSigned);
  binary_parity(
      "subtract", [](auto& x) { return x[0] - x[1]; }, kNumeric, Range::kSigned);
  binary_parity(
      "multiply", [](auto& x) { return x[0] * x[1]; }, kNumeric, Range::kSigned);
  binary_parity(
      "divide", [](auto& x) { return x[0] / x[1]; }, kNumeric, Range::kPositive);
  binary_parity(
      "floordiv", [](auto& x) { return tf::floordiv(x[0], x[1]); }, kNumeric, Range::kPositive);
  binary_parity(
      "floormod", [](auto& x) { return tf::floormod(x[0], x[1]); }, kNumeric, Range::kPositive);
  binary_parity(
      "maximum", [](auto& x) { return tf::maximum(x[0], x[1]); }, kNumeric, Range::kSigned);
  binary_parity(
      "minimum", [](auto& x) { return tf::minimum(x[0], x[1]); }, kNumeric, Range::kSigned);
  binary_parity(
      "squared_difference", [](auto& x) { return tf::squared_difference(x[0], x[1]); }, kNumeric, Range::kSigned);
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
  binary_parity(
      "equal", [](auto& x) { return tf::equal(x[0], x[1]); }, dts, Range::kSigned);
  binary_parity(
      "not_equal", [](auto& x) { return tf::not_equal(x[0], x[1]); }, dts, Range::kSigned);
  binary_parity(
      "less", [](auto& x) { return tf::less(x[0], x[1]); }, dts, Range::kSigned);
  binary_parity(
      "less_equal", [](auto& x) { return tf::less_equal(x[0], x[1]); }, dts, Range::kSigned);
  binary_parity(
      "greater", [](auto& x) { return tf::greater(x[0], x[1]); }, dts, Range::kSigned);
  binary_parity(
      "greater_equal", [](auto& x) { return tf::greater_equal(x[0], x[1]); }, dts, Range::kSigned);
  binary_parity(
      "equal bool", [](auto& x) { return tf::equal(x[0], x[1]); }, {tf::bool_}, Range::kSigned);
  binary_parity(
      "logical_and", [](auto& x) { return tf::logical_and(x[0], x[1]); }, {tf::bool_}, Range::kSigned);
  binary_parity(
      "logical_or", [](auto& x) { return tf::logical_or(x[0], x[1]); }, {tf::bool_}, Range::kSigned);
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
