// CPU-vs-GPU parity of Cast between every dtype pair.
#include "tests/gpu/gpu_test_util.h"

namespace {
using namespace tapeflow::testing;
using Fn = std::function<tf::Tensor(const std::vector<tf::Tensor>&)>;

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

}  // namespace
