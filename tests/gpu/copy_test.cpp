// CPU-vs-GPU parity of the copies: strided views materialized on GPU:0.
#include "tests/gpu/gpu_test_util.h"

namespace {
using namespace tapeflow::testing;

TEST_F(GpuTest, StridedViewsMaterialize) {
  uint32_t seed = 4000;
  for (tf::DType dt : {tf::float32, tf::float16, tf::int64, tf::bool_, tf::uint8}) {
    auto x = random_cpu({6, 7, 8}, dt, seed++);
    expect_parity([](auto& v) { return tf::transpose(v[0], {2, 0, 1}).contiguous(); }, {x}, "transpose " + str(dt));
    expect_parity([](auto& v) { return tf::reshape(tf::transpose(v[0]), {-1}); }, {x}, "reshape of view " + str(dt));
    expect_parity(
        [](auto& v) {
          return v[0][{tf::slice(1, {}, 2), tf::all, tf::slice({}, {}, -3)}].contiguous();
        },
        {x}, "strided slice " + str(dt));
    expect_parity([](auto& v) { return tf::reverse(v[0], {1}) + tf::scalar_tensor(0, v[0].dtype()); }, {x},
                  "reverse " + str(dt), 0);
  }
}

}  // namespace
