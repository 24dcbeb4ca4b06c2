// CPU-vs-GPU parity of max/avg pooling and their gradients (ties, asymmetric SAME).
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
