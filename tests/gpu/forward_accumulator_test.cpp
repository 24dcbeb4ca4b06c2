// ForwardAccumulator on GPU:0: JVPs and forward-over-backward Hessian-vector products of a small
// MLP equal the CPU:0 ones; tangents given on CPU:0 follow their primals to GPU:0.
#include "tests/gpu/gpu_test_util.h"
#include "tests/gpu/layer_parity.h"

namespace {
using tf::testing::GpuTest;
using tf::testing::random_cpu;

struct MlpJvp {
  tf::Tensor jvp, hvp_w1;
};

// The JVP of the logits along (t1, t2) and the HVP of the loss along them, on `device`; the
// tangents stay on CPU:0 (the accumulator moves them to their primals' devices).
MlpJvp run_mlp(const char* device, const std::vector<tf::Tensor>& host_params, const std::vector<tf::Tensor>& tangents,
               const tf::Tensor& host_x) {
  tf::DeviceScope on(device);
  std::vector<tf::Tensor> p;
  for (const auto& t : host_params) p.push_back(t.to(tf::Device(device)));
  tf::Tensor x = host_x.to(tf::Device(device));
  MlpJvp out;
  tf::autodiff::ForwardAccumulator acc({p[0], p[1]}, tangents);
  tf::GradientTape tape;
  tape.watch(p[0]);
  tf::Tensor logits = tf::matmul(tf::tanh(tf::matmul(x, p[0])), p[1]);
  tf::Tensor loss = tf::reduce_mean(tf::square(logits));
  tape.stop();
  tf::Tensor g = *tape.gradient(loss, p[0]);
  acc.stop();
  EXPECT_EQ(acc.jvp(logits)->device(), tf::Device(device));
  out.jvp = acc.jvp(logits)->to(tf::Device("CPU:0"));
  out.hvp_w1 = acc.jvp(g)->to(tf::Device("CPU:0"));
  return out;
}

TEST_F(GpuTest, ForwardAccumulatorMlpJvpAndHvpMatchCpu) {
  tf::testing::Tf32Guard exact(false);  // float32 parity: TF32 matmuls keep 10 mantissa bits
  std::vector<tf::Tensor> params = {random_cpu({8, 6}, tf::float32, 1), random_cpu({6, 3}, tf::float32, 2)};
  std::vector<tf::Tensor> tangents = {random_cpu({8, 6}, tf::float32, 3), random_cpu({6, 3}, tf::float32, 4)};
  tf::Tensor x = random_cpu({5, 8}, tf::float32, 5);
  MlpJvp cpu = run_mlp("CPU:0", params, tangents, x);
  MlpJvp gpu = run_mlp("GPU:0", params, tangents, x);
  tf::testing::expect_values(gpu.jvp, cpu.jvp.shape(), tf::testing::values_as_double(cpu.jvp), 1e-4);
  tf::testing::expect_values(gpu.hvp_w1, cpu.hvp_w1.shape(), tf::testing::values_as_double(cpu.hvp_w1), 1e-4);
}

}  // namespace
