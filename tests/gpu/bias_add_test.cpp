// CPU-vs-GPU parity of bias_add / BiasAddGrad (vector and scalar paths, integers).
#include "tests/gpu/layer_parity.h"

namespace {
using namespace tapeflow::testing;
namespace ops = tapeflow::ops;

// ---- bias_add ------------------------------------------------------------------------------

TEST_F(GpuTest, BiasAddParity) {
  uint32_t seed = 800;
  const std::vector<tf::DType> dtypes = {tf::float32, tf::float64, tf::float16, tf::bfloat16,
                                         tf::int32,   tf::int64,   tf::int8,    tf::uint8};
  // Last dims: 7 (scalar path), 8 and 16 (16-byte vectors for 4- and 2-byte types), 64.
  for (tf::DType dt : dtypes) {
    for (tf::Shape shape : {tf::Shape{4, 7}, tf::Shape{2, 3, 4, 8}, tf::Shape{5, 16}, tf::Shape{3, 2, 64},
                            tf::Shape{0, 8}, tf::Shape{1000, 3}}) {
      auto x = random_cpu(shape, dt, seed++), b = random_cpu({shape.dim(-1)}, dt, seed++);
      expect_parity([](auto& v) { return tf::nn::bias_add(v[0], v[1]); }, {x, b},
                    "bias_add " + str(dt) + " " + shape.to_string());
      expect_parity([](auto& v) { return ops::bias_add_grad(v[0]); }, {x},
                    "bias_add_grad " + str(dt) + " " + shape.to_string());
    }
  }
  // A long reduction (many row blocks) and a non-contiguous gradient.
  auto big = random_cpu({20000, 5}, tf::float32, seed++);
  expect_parity([](auto& v) { return ops::bias_add_grad(v[0]); }, {big}, "bias_add_grad 20000 rows");
  auto t = random_transposed_cpu({6, 5, 9}, tf::float32, seed++);
  expect_parity([](auto& v) { return ops::bias_add_grad(v[0]); }, {t}, "bias_add_grad transposed");
}

}  // namespace
