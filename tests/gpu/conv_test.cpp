// CPU-vs-GPU parity of conv2d and its two gradients (cuDNN: strides, dilations, VALID, symmetric
// and asymmetric SAME padding, 1x1, batch 1 and > 1, every floating dtype, TF32 on and off).
// Convolutions are compared elementwise against a bound scaled by the same convolution of
// |inputs| (the size of the terms summed), not by the result's own size, which cancellation can
// make arbitrarily small.
#include "tests/gpu/layer_parity.h"

namespace {
using namespace tapeflow::testing;
namespace ops = tapeflow::ops;

// ---- conv2d --------------------------------------------------------------------------------

struct ConvCase {
  tf::Shape input, filter;  // (N, H, W, C), (KH, KW, C, O)
  std::vector<int> strides, dilations;
  std::string padding, name;
};
const std::vector<ConvCase> kConvCases = {
    {{1, 5, 5, 3}, {3, 3, 3, 4}, {1, 1}, {1, 1}, "SAME", "3x3 SAME batch 1"},
    {{2, 6, 7, 3}, {3, 3, 3, 5}, {2, 2}, {1, 1}, "SAME", "stride 2 SAME, odd padding (asymmetric)"},
    {{2, 8, 8, 4}, {2, 2, 4, 3}, {1, 1}, {1, 1}, "SAME", "even kernel SAME (asymmetric)"},
    {{3, 9, 7, 2}, {3, 2, 2, 4}, {2, 1}, {1, 1}, "VALID", "VALID, strides (2, 1)"},
    {{2, 10, 9, 3}, {3, 3, 3, 4}, {1, 1}, {2, 2}, "SAME", "dilation 2 SAME"},
    {{2, 11, 12, 3}, {2, 3, 3, 2}, {1, 1}, {2, 3}, "VALID", "dilations (2, 3) VALID"},
    {{2, 9, 9, 3}, {3, 3, 3, 4}, {3, 2}, {1, 1}, "SAME", "strides (3, 2) SAME"},
    {{4, 5, 5, 8}, {1, 1, 8, 16}, {1, 1}, {1, 1}, "VALID", "1x1"},
    {{8, 16, 16, 16}, {3, 3, 16, 32}, {1, 1}, {1, 1}, "SAME", "larger (tensor-core sizes)"},
};

TEST_F(GpuTest, Conv2DParity) {
  Tf32Guard tf32(false);
  uint32_t seed = 1;
  for (tf::DType dt : kFloating) {
    const int64_t before = fallbacks();
    for (const ConvCase& c : kConvCases) {
      auto x = random_cpu(c.input, dt, seed++), w = random_cpu(c.filter, dt, seed++);
      const auto strides = c.strides, dilations = c.dilations;
      const std::string padding = c.padding;
      const std::string what = str(dt) + " " + c.name;
      expect_parity_scaled([&](auto& v) { return tf::nn::conv2d(v[0], v[1], strides, padding, dilations); }, {x, w},
                           "conv2d " + what);
      tf::Tensor y;
      {
        tf::DeviceScope on("CPU:0");
        y = tf::nn::conv2d(x, w, strides, padding, dilations);
      }
      auto dy = random_cpu(y.shape(), dt, seed++);
      const tf::Shape in_shape = c.input, f_shape = c.filter;
      expect_parity_scaled(
          [&](auto& v) { return tf::nn::conv2d_backprop_input(in_shape, v[0], v[1], strides, padding, dilations); },
          {w, dy}, "conv2d_backprop_input " + what);
      expect_parity_scaled(
          [&](auto& v) { return tf::nn::conv2d_backprop_filter(v[0], f_shape, v[1], strides, padding, dilations); },
          {x, dy}, "conv2d_backprop_filter " + what);
    }
    // cuDNN takes float32 and float16 NHWC convolutions of every case above; a fallback to the
    // CPU kernel would mean the cuDNN path is not what ran.
    if (cudnn_built() && (dt == tf::float32 || dt == tf::float16))
      EXPECT_EQ(fallbacks(), before) << str(dt) << " convolutions fell back to the CPU kernel";
    if (fallbacks() != before) std::cout << str(dt) << ": " << fallbacks() - before << " conv calls on the CPU\n";
  }
}

TEST_F(GpuTest, Conv2DNonContiguousAndEmpty) {
  Tf32Guard tf32(false);
  // A transposed (strided) input and filter; an empty batch.
  auto x = random_transposed_cpu({2, 7, 5, 6}, tf::float32, 300);
  auto w = random_transposed_cpu({3, 4, 6, 3}, tf::float32, 301);
  expect_parity([](auto& v) { return tf::nn::conv2d(v[0], v[1], 1, "SAME"); }, {x, w}, "conv2d strided views", 1e-4);
  auto e = random_cpu({0, 5, 5, 3}, tf::float32, 302), f = random_cpu({3, 3, 3, 2}, tf::float32, 303);
  expect_parity([](auto& v) { return tf::nn::conv2d(v[0], v[1], 1, "SAME"); }, {e, f}, "conv2d empty batch");
}

TEST_F(GpuTest, Conv2DTensorFloat32) {
  // TF32 rounds each operand to 10 mantissa bits (relative error <= 2^-11 per operand), so each
  // product is within ~1e-3 of exact and the sum within 1e-3 of the sum of |products|; without
  // TF32 the float32 bound holds. Off, on, off again: the algorithm cache keys on the setting,
  // so the two runs without TF32 agree exactly.
  auto x = random_cpu({4, 16, 16, 32}, tf::float32, 400), w = random_cpu({3, 3, 32, 64}, tf::float32, 401);
  auto conv = [](const std::vector<tf::Tensor>& v) { return tf::nn::conv2d(v[0], v[1], 1, "SAME"); };
  tf::Tensor off1, off2;
  {
    Tf32Guard tf32(false);
    expect_parity_scaled(conv, {x, w}, "conv2d TF32 off", 1e-5);
    tf::DeviceScope on("GPU:0");
    off1 = conv(std::vector<tf::Tensor>{x.gpu(), w.gpu()});
  }
  {
    Tf32Guard tf32(true);
    expect_parity_scaled(conv, {x, w}, "conv2d TF32 on", 2e-3);
  }
  {
    Tf32Guard tf32(false);
    tf::DeviceScope on("GPU:0");
    off2 = conv(std::vector<tf::Tensor>{x.gpu(), w.gpu()});
  }
  EXPECT_EQ(values_as_double(off1.cpu()), values_as_double(off2.cpu()));
}

TEST_F(GpuTest, Conv2DGradientThroughTape) {
  Tf32Guard tf32(false);
  auto x = random_cpu({2, 7, 7, 3}, tf::float32, 500), w = random_cpu({3, 3, 3, 4}, tf::float32, 501);
  for (int which : {0, 1}) {
    auto grad = [which](const std::vector<tf::Tensor>& v) {
      tf::GradientTape tape;
      tape.watch(v[which]);
      auto loss = tf::reduce_sum(tf::square(tf::nn::conv2d(v[0], v[1], 2, "SAME")));
      tape.stop();
      return *tape.gradient(loss, v[which]);
    };
    expect_parity(grad, {x, w}, which ? "conv2d filter gradient" : "conv2d input gradient", 1e-4);
  }
}

}  // namespace
