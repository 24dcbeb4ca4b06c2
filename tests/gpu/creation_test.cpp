// The creation ops (fill, range, ...) on GPU:0 against CPU:0.
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

}  // namespace
