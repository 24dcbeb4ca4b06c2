// CPU-vs-GPU parity of the copies: strided views materialized on GPU:0.
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

}  // namespace
