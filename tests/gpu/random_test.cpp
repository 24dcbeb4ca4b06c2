// The random ops on GPU give the CPU's numbers bit for bit (normal, truncated normal and
// uniform in every floating dtype, uniform integers, dropout), and the portable log/sin/cos
// behind them (kernels/portable_math.h) are accurate to < 1 ulp (checked on the host, so this
// part runs without a GPU too).
#include <cmath>
#include <random>

#include "tapeflow/kernels/philox.h"
#include "tapeflow/kernels/portable_math.h"
#include "tests/gpu/gpu_test_util.h"
#include "tests/support/op_table_random.h"

namespace {
using namespace tapeflow::testing;
namespace pm = tapeflow::kernels::pmath;

const std::vector<tf::DType> kFloating = {tf::float32, tf::float64, tf::float16, tf::bfloat16};

/// |got - ref| in units of got's last place.
double ulps(double got, long double ref) {
  const double r = static_cast<double>(ref);
  const double ulp = std::nextafter(std::fabs(r), INFINITY) - std::fabs(r);
  return static_cast<double>(std::fabs(static_cast<long double>(got) - ref) / ulp);
}

TEST(PortableMath, LogSinCosWithinOneUlp) {
  std::mt19937_64 gen(5);
  double worst_log = 0, worst_sin = 0, worst_cos = 0;
  for (int i = 0; i < 200000; ++i) {
    const double u = std::ldexp(static_cast<double>(gen() >> 11), -53);
    const double x = i % 2 ? std::max(u, 1e-7) : std::exp(-40.0 * u) * 3.7;  // (0, 1) and a wide range
    worst_log = std::max(worst_log, ulps(pm::log(x), logl(static_cast<long double>(x))));
    const double a = 6.283185307179586 * u;
    double s, c;
    pm::sincos(a, s, c);
    worst_sin = std::max(worst_sin, ulps(s, sinl(static_cast<long double>(a))));
    worst_cos = std::max(worst_cos, ulps(c, cosl(static_cast<long double>(a))));
  }
  EXPECT_LT(worst_log, 1.0);
  EXPECT_LT(worst_sin, 1.0);
  EXPECT_LT(worst_cos, 1.0);
  EXPECT_EQ(pm::log(1.0), 0.0);
  double s, c;
  pm::sincos(0.0, s, c);
  EXPECT_EQ(s, 0.0);
  EXPECT_EQ(c, 1.0);
}

TEST(PortableMath, BoxMullerFloatIsCorrectlyRounded) {
  // The float Box-Muller's log, sin and cos round to the nearest float: spot-check the
  // normals against a long double evaluation of TF's formula.
  std::mt19937 gen(9);
  int off = 0;
  for (int i = 0; i < 100000; ++i) {
    const uint32_t x0 = gen(), x1 = gen();
    float f0, f1;
    tapeflow::kernels::philox::box_muller(x0, x1, f0, f1);
    float u1 = tapeflow::kernels::philox::to_unit_float(x0);
    if (u1 < 1e-7f) u1 = 1e-7f;
    const float v1 =
        static_cast<float>(6.283185307179586 * static_cast<double>(tapeflow::kernels::philox::to_unit_float(x1)));
    const float u2 = std::sqrt(-2.0f * static_cast<float>(logl(u1)));
    off += f0 != static_cast<float>(sinl(v1)) * u2;
    off += f1 != static_cast<float>(cosl(v1)) * u2;
  }
  EXPECT_EQ(off, 0);
}

/// Runs `make` under CPU:0 and GPU:0 from the same seed state and expects identical values.
void expect_bit_identical(const std::function<tf::Tensor()>& make, const std::string& what) {
  tf::Tensor cpu, gpu;
  tf::random::set_seed(1234);  // restarts every op's stream position
  {
    tf::DeviceScope on("CPU:0");
    cpu = make();
  }
  tf::random::set_seed(1234);
  {
    tf::DeviceScope on("GPU:0");
    gpu = make();
  }
  expect_same(cpu, gpu, 0.0, what);
}

TEST_F(GpuTest, RandomFloatsBitIdentical) {
  for (tf::DType dt : kFloating) {
    for (tf::Shape shape : {tf::Shape{1}, tf::Shape{7}, tf::Shape{3, 1001}, tf::Shape{0}, tf::Shape{1 << 20}}) {
      const std::string sfx = " " + str(dt) + " " + shape.to_string();
      expect_bit_identical([&] { return tf::random::normal(shape, {.dtype = dt, .seed = 3}); }, "normal" + sfx);
      expect_bit_identical(
          [&] { return tf::random::normal(shape, {.mean = 2.5, .stddev = 0.3, .dtype = dt, .seed = 4}); },
          "normal(2.5, 0.3)" + sfx);
      expect_bit_identical([&] { return tf::random::truncated_normal(shape, {.stddev = 0.1, .dtype = dt, .seed = 5}); },
                           "truncated_normal" + sfx);
      expect_bit_identical(
          [&] { return tf::random::uniform(shape, {.minval = -2, .maxval = 3, .dtype = dt, .seed = 6}); },
          "uniform" + sfx);
      // No op seed: the global seed's sequence, the same on both devices after set_seed.
      expect_bit_identical([&] { return tf::random::normal(shape, {.dtype = dt}); }, "normal, global seed" + sfx);
    }
  }
}

TEST_F(GpuTest, RandomIntegersBitIdentical) {
  for (tf::DType dt : {tf::int32, tf::int64}) {
    expect_bit_identical(
        [&] { return tf::random::uniform({4097}, {.minval = -5, .maxval = 1000, .dtype = dt, .seed = 8}); },
        "uniform int " + str(dt));
  }
  expect_bit_identical(
      [&] {
        return tf::random::uniform(
            {999}, {.minval = -(int64_t(1) << 62), .maxval = int64_t(1) << 62, .dtype = tf::int64, .seed = 9});
      },
      "uniform int64 wide");
}

TEST_F(GpuTest, SecondCallContinuesTheStream) {
  // Two calls in a row differ, and each matches its CPU counterpart.
  tf::random::set_seed(7);
  tf::Tensor c1, c2, g1, g2;
  {
    tf::DeviceScope on("CPU:0");
    c1 = tf::random::normal({100}, {.seed = 1});
    c2 = tf::random::normal({100}, {.seed = 1});
  }
  tf::random::set_seed(7);
  {
    tf::DeviceScope on("GPU:0");
    g1 = tf::random::normal({100}, {.seed = 1});
    g2 = tf::random::normal({100}, {.seed = 1});
  }
  expect_same(c1, g1, 0.0, "first call");
  expect_same(c2, g2, 0.0, "second call");
  EXPECT_NE(values_as_double(c1), values_as_double(c2));
}

TEST_F(GpuTest, DropoutBitIdentical) {
  uint32_t seed = 20;
  for (tf::DType dt : kFloating) {
    auto x = random_cpu({6, 33}, dt, seed++);
    auto t = random_transposed_cpu({5, 4, 7}, dt, seed++);
    for (double rate : {0.1, 0.5, 0.9}) {
      tf::Tensor cpu, gpu;
      auto run = [&](const tf::Tensor& in, std::optional<tf::Shape> noise) {
        return tf::nn::dropout(in, rate, {.noise_shape = noise, .seed = 11});
      };
      for (auto noise : {std::optional<tf::Shape>{}, std::optional<tf::Shape>{tf::Shape{6, 1}}}) {
        tf::random::set_seed(3);
        {
          tf::DeviceScope on("CPU:0");
          cpu = run(x, noise);
        }
        tf::random::set_seed(3);
        tf::Tensor xg = x.to(tf::kGPU0);
        {
          tf::DeviceScope on("GPU:0");
          gpu = run(xg, noise);
        }
        expect_same(cpu, gpu, 0.0, "dropout " + str(dt) + " rate " + std::to_string(rate));
      }
      tf::random::set_seed(3);
      {
        tf::DeviceScope on("CPU:0");
        cpu = run(t, std::nullopt);
      }
      tf::random::set_seed(3);
      tf::Tensor tg = same_layout_on(t, tf::kGPU0);
      {
        tf::DeviceScope on("GPU:0");
        gpu = run(tg, std::nullopt);
      }
      expect_same(cpu, gpu, 0.0, "dropout transposed " + str(dt));
    }
  }
}

// The op table's rows on GPU:0: TF's own numbers for the same seeds (tests/support/op_table_random.h).
TEST_F(GpuTest, OpTableRandomMatchesTF) {
  tf::DeviceScope on("GPU:0");
  tapeflow::testing::op_table::check_random_matches_tf();
}

TEST_F(GpuTest, OpTableDropoutMatchesTF) {
  tf::DeviceScope on("GPU:0");
  tapeflow::testing::op_table::check_dropout_matches_tf();
}

}  // namespace
