// CPU-vs-GPU parity of fused batch norm (training with and without a running average,
// inference, rank 2/4/5, its gradient in both modes, reserve spaces included).
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

// ---- fused batch norm ----------------------------------------------------------------------

/// All six outputs of FusedBatchNormV3 (y, batch_mean, batch_variance, reserve_space_1/2/3).
tf::TensorList fused_batch_norm_all(const tf::Tensor& x, const tf::Tensor& scale, const tf::Tensor& offset,
                                    const tf::Tensor& mean, const tf::Tensor& var, const ops::FusedBatchNormAttrs& a) {
  const tf::DType u = x.dtype() == tf::float64 ? tf::float64 : tf::float32;
  const tf::Shape c{x.shape().dim(-1)};
  const tf::Tensor in[5] = {x, scale, offset, mean, var};
  const tf::OutputSpec specs[6] = {{x.shape(), x.dtype()}, {c, u}, {c, u}, {c, u}, {c, u}, {tf::Shape{0}, u}};
  return tf::dispatch(ops::FusedBatchNormV3, in, &a, specs);
}

struct BatchNormCase {
  bool training;
  double factor;
  std::string name;
};

TEST_F(GpuTest, FusedBatchNormParity) {
  uint32_t seed = 900;
  const std::vector<BatchNormCase> modes = {
      {true, 1.0, "training"}, {true, 0.25, "training, running average"}, {false, 1.0, "inference"}};
  for (tf::DType dt : kFloating) {
    const tf::DType u = dt == tf::float64 ? tf::float64 : tf::float32;
    // float32 statistics go through cuDNN's float arithmetic (and its 1/sqrt): a looser bound
    // than elementwise parity; the halves are bounded by y's own rounding.
    const double tol = dt == tf::float64 ? 1e-10 : dt == tf::float32 ? 1e-4 : parity_tolerance(dt);
    const int64_t before = fallbacks();
    for (tf::Shape shape : {tf::Shape{2, 4, 4, 3}, tf::Shape{1, 5, 5, 8}, tf::Shape{16, 6}, tf::Shape{3, 2, 2, 2, 4},
                            tf::Shape{4, 8, 8, 32}}) {
      const int64_t ch = shape.dim(-1);
      auto x = random_cpu(shape, dt, seed++);
      auto scale = random_cpu({ch}, u, seed++, Range::kPositive), offset = random_cpu({ch}, u, seed++);
      auto mean = random_cpu({ch}, u, seed++), var = random_cpu({ch}, u, seed++, Range::kPositive);
      for (const BatchNormCase& m : modes) {
        ops::FusedBatchNormAttrs a;
        a.epsilon = 0.001;
        a.is_training = m.training;
        a.exponential_avg_factor = m.factor;
        const bool stats = !m.training || m.factor != 1.0;
        for (int out = 0; out < 6; ++out) {
          expect_parity(
              [a, stats, out](auto& v) {
                tf::Tensor empty = tf::Tensor::empty(tf::Shape{0}, v[1].dtype(), v[1].device());
                return fused_batch_norm_all(v[0], v[1], v[2], stats ? v[3] : empty, stats ? v[4] : empty, a)[out];
              },
              {x, scale, offset, mean, var},
              "fused_batch_norm " + str(dt) + " " + shape.to_string() + " " + m.name + " output " +
                  std::to_string(out),
              out == 0 ? tol : std::max(tol, 1e-5));
        }
        // The gradient from the CPU forward's reserve spaces, on each device.
        tf::TensorList fwd;
        {
          tf::DeviceScope on("CPU:0");
          tf::Tensor empty = tf::Tensor::empty(tf::Shape{0}, u, tf::kCPU0);
          fwd = fused_batch_norm_all(x, scale, offset, stats ? mean : empty, stats ? var : empty, a);
        }
        auto dy = random_cpu(shape, dt, seed++);
        for (int out = 0; out < 3; ++out) {
          expect_parity(
              [a, out](auto& v) { return ops::fused_batch_norm_grad(v[0], v[1], v[2], v[3], v[4], v[5], a)[out]; },
              {dy, x, scale, fwd[3], fwd[4], fwd[5]},
              "fused_batch_norm_grad " + str(dt) + " " + shape.to_string() + " " + m.name + " output " +
                  std::to_string(out),
              tol);
        }
      }
    }
    if (cudnn_built() && (dt == tf::float32 || dt == tf::float16))
      EXPECT_EQ(fallbacks(), before) << str(dt) << " batch norms fell back to the CPU kernel";
    if (fallbacks() != before) std::cout << str(dt) << ": " << fallbacks() - before << " batch norm calls on the CPU\n";
  }
}

TEST_F(GpuTest, FusedBatchNormPublicApiAndGradient) {
  auto x = random_cpu({4, 5, 5, 6}, tf::float32, 1000);
  auto gamma = random_cpu({6}, tf::float32, 1001, Range::kPositive), beta = random_cpu({6}, tf::float32, 1002);
  for (int out = 0; out < 3; ++out) {
    expect_parity(
        [out](auto& v) {
          auto r = tf::nn::fused_batch_norm(v[0], v[1], v[2]);
          return out == 0 ? r.y : out == 1 ? r.mean : r.variance;
        },
        {x, gamma, beta}, "tf::nn::fused_batch_norm output " + std::to_string(out), 1e-4);
  }
  for (int which = 0; which < 3; ++which) {
    auto grad = [which](const std::vector<tf::Tensor>& v) {
      tf::GradientTape tape;
      tape.watch(v[which]);
      auto loss = tf::reduce_sum(tf::square(tf::nn::fused_batch_norm(v[0], v[1], v[2]).y));
      tape.stop();
      return *tape.gradient(loss, v[which]);
    };
    expect_parity(grad, {x, gamma, beta}, "fused_batch_norm gradient " + std::to_string(which), 1e-4);
  }
}

}  // namespace
