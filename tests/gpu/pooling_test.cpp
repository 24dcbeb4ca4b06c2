// CPU-vs-GPU parity of max/avg pooling and their gradients (ties, asymmetric SAME).
#include "tests/gpu/layer_parity.h"

namespace {
using namespace tapeflow::testing;
namespace ops = tapeflow::ops;

// ---- pooling -------------------------------------------------------------------------------

struct PoolCase {
  tf::Shape input;
  int64_t kh, kw, sh, sw;
  ops::Padding padding;
  std::string name;
};
const std::vector<PoolCase> kPoolCases = {
    {{2, 6, 6, 3}, 2, 2, 2, 2, ops::Padding::kValid, "2x2/2 VALID"},
    {{1, 8, 7, 4}, 3, 3, 2, 2, ops::Padding::kSame, "3x3/2 SAME (asymmetric) batch 1"},
    {{3, 5, 5, 2}, 3, 3, 1, 1, ops::Padding::kSame, "3x3/1 SAME"},
    {{2, 7, 9, 5}, 2, 3, 1, 2, ops::Padding::kSame, "2x3/(1,2) SAME"},
    {{2, 9, 8, 16}, 3, 2, 3, 2, ops::Padding::kValid, "3x2/(3,2) VALID"},
};

ops::PoolAttrs pool_attrs(const PoolCase& c) {
  ops::PoolAttrs a;
  a.ksize[0] = c.kh;
  a.ksize[1] = c.kw;
  a.strides[0] = c.sh;
  a.strides[1] = c.sw;
  a.padding = c.padding;
  return a;
}

/// Small integers in [-2, 2]: windows with tied maxima, so the tie rule (first maximum) is tested.
tf::Tensor tied_cpu(const tf::Shape& shape, tf::DType dt, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<double> v(static_cast<std::size_t>(shape.num_elements()));
  for (auto& x : v) x = static_cast<double>(static_cast<int>(gen() % 5) - 2);
  tf::DeviceScope on("CPU:0");
  return tf::constant(v, shape, dt);
}

TEST_F(GpuTest, PoolingParity) {
  uint32_t seed = 600;
  for (tf::DType dt : kFloating) {
    for (const PoolCase& c : kPoolCases) {
      const ops::PoolAttrs a = pool_attrs(c);
      const std::string what = str(dt) + " " + c.name;
      for (bool ties : {false, true}) {
        auto x = ties ? tied_cpu(c.input, dt, seed++) : random_cpu(c.input, dt, seed++);
        const std::string w2 = what + (ties ? " ties" : "");
        expect_parity([a](auto& v) { return ops::max_pool(v[0], a); }, {x}, "max_pool " + w2, 0);
        expect_parity([a](auto& v) { return ops::avg_pool(v[0], a); }, {x}, "avg_pool " + w2);
        tf::Tensor y;
        {
          tf::DeviceScope on("CPU:0");
          y = ops::max_pool(x, a);
        }
        auto g = random_cpu(y.shape(), dt, seed++);
        auto gi = random_cpu(x.shape(), dt, seed++);
        expect_parity([a](auto& v) { return ops::max_pool_grad(v[0], v[1], v[2], a); }, {x, y, g},
                      "max_pool_grad " + w2);
        expect_parity([a](auto& v) { return ops::max_pool_grad_grad(v[0], v[1], v[2], a); }, {x, y, gi},
                      "max_pool_grad_grad " + w2, 0);
        const tf::Shape in_shape = c.input;
        expect_parity([a, in_shape](auto& v) { return ops::avg_pool_grad(in_shape, v[0], a); }, {g},
                      "avg_pool_grad " + w2);
      }
    }
  }
}

TEST_F(GpuTest, PoolingPublicApiAndGradients) {
  auto x = random_cpu({2, 8, 8, 3}, tf::float32, 700);
  expect_parity([](auto& v) { return tf::nn::max_pool2d(v[0], 3, 2, "SAME"); }, {x}, "max_pool2d");
  expect_parity([](auto& v) { return tf::nn::avg_pool2d(v[0], {2, 3}, {2, 1}, "SAME"); }, {x}, "avg_pool2d");
  for (bool max : {true, false}) {
    auto grad = [max](const std::vector<tf::Tensor>& v) {
      tf::GradientTape tape;
      tape.watch(v[0]);
      auto y = max ? tf::nn::max_pool2d(v[0], 3, 2, "SAME") : tf::nn::avg_pool2d(v[0], 3, 2, "SAME");
      auto loss = tf::reduce_sum(tf::square(y));
      tape.stop();
      return *tape.gradient(loss, v[0]);
    };
    expect_parity(grad, {x}, max ? "max_pool2d gradient" : "avg_pool2d gradient");
  }
}

}  // namespace
