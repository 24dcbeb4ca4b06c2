// CPU-vs-GPU parity of fused batch norm (training with and without a running average,
// inference, rank 2/4/5, its gradient in both modes, reserve spaces included).
#include "tests/gpu/layer_parity.h"

namespace {
using namespace tapeflow::testing;
namespace ops = tapeflow::ops;

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
              "fused_batch_norm " + str(dt) + " " + shape.to_string() + " " + m.name + " output " + std::to_string(out),
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
