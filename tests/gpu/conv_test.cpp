// CPU-vs-GPU parity of conv2d and its two gradients (cuDNN: strides, dilations, VALID, symmetric
// and asymmetric SAME padding, 1x1, batch 1 and > 1, every floating dtype, TF32 on and off).
// Convolutions are compared elementwise against a bound scaled by the same convolution of
// |inputs| (the size of the terms summed), not by the result's own size, which cancellation can
// make arbitrarily small.
#include "tests/gpu/gpu_test_util.h"
#if TAPEFLOW_HAS_CUDA
#include "tapeflow/kernels/cuda/cpu_fallback.h"
#endif

namespace {
using namespace tapeflow::testing;
namespace ops = tapeflow::ops;

const std::vector<tf::DType> kFloating = {tf::float32, tf::float64, tf::float16, tf::bfloat16};

/// Restores TF32 on scope exit (float32 parity needs it off: TF32 keeps 10 mantissa bits).
struct Tf32Guard {
  bool saved = tf::config::tensor_float_32_execution_enabled();
  explicit Tf32Guard(bool enabled) { tf::config::enable_tensor_float_32_execution(enabled); }
  ~Tf32Guard() { tf::config::enable_tensor_float_32_execution(saved); }
};

/// Calls that fell back to the CPU kernel so far (0 in builds without CUDA).
int64_t fallbacks() {
#if TAPEFLOW_HAS_CUDA
  return tf::kernels::cuda::cpu_fallback_count();
#else
  return 0;
#endif
}
bool cudnn_built() {
#if TAPEFLOW_HAS_CUDA
  return tf::kernels::cuda::built_with_cudnn();
#else
  return false;
#endif
}

/// Accumulated rounding of a sum relative to the sum of its terms' magnitudes: float32 sums of
/// a few hundred terms stay near 1e-6; the halves are bounded by one rounding of the result.
double sum_tolerance(tf::DType dt) {
  switch (dt) {
    case tf::DType::kFloat64: return 1e-12;
    case tf::DType::kFloat32: return 1e-5;
    case tf::DType::kFloat16: return 2e-3;
    default: return 1.6e-2;
  }
}

/// Expects |gpu - cpu| <= tol * scale elementwise (scale >= 0, cpu's shape, float64 values).
void expect_close_scaled(const tf::Tensor& cpu, const tf::Tensor& gpu, const std::vector<double>& scale, double tol,
                         const std::string& what) {
  ASSERT_EQ(gpu.device(), tf::kGPU0) << what;
  ASSERT_EQ(cpu.shape(), gpu.shape()) << what;
  ASSERT_EQ(cpu.dtype(), gpu.dtype()) << what;
  std::vector<double> c, g;
  {
    tf::DeviceScope on("CPU:0");
    c = values_as_double(cpu);
    g = values_as_double(gpu.cpu());
  }
  ASSERT_EQ(scale.size(), c.size()) << what;
  int reported = 0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const bool ok = std::abs(g[i] - c[i]) <= tol * std::max(scale[i], 1e-30);
    if (!ok && reported++ < 5)
      ADD_FAILURE() << what << ": element " << i << " cpu " << c[i] << " gpu " << g[i] << " scale " << scale[i];
  }
}

/// f on CPU:0 inputs and on their GPU:0 copies, compared under expect_close_scaled, the scale
/// being f of |inputs| in float64 on the CPU.
void expect_parity_scaled(const std::function<tf::Tensor(const std::vector<tf::Tensor>&)>& f,
                          const std::vector<tf::Tensor>& cpu_inputs, const std::string& what, double tol = -1) {
  tf::Tensor cpu, gpu;
  std::vector<double> scale;
  {
    tf::DeviceScope on("CPU:0");
    cpu = f(cpu_inputs);
    std::vector<tf::Tensor> mags;
    for (const tf::Tensor& t : cpu_inputs) mags.push_back(tf::abs(tf::cast(t, tf::float64)));
    scale = values_as_double(f(mags));
  }
  std::vector<tf::Tensor> gpu_inputs;
  for (const tf::Tensor& t : cpu_inputs) gpu_inputs.push_back(t.to(tf::kGPU0));
  {
    tf::DeviceScope on("GPU:0");
    gpu = f(gpu_inputs);
  }
  expect_close_scaled(cpu, gpu, scale, tol >= 0 ? tol : sum_tolerance(cpu.dtype()), what);
}

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
