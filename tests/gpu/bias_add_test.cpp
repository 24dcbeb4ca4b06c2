// CPU-vs-GPU parity of bias_add / BiasAddGrad (vector and scalar paths, integers).
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
