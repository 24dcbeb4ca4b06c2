// Tensors of more than 2^31 elements on the GPU: concat, gather, reductions and softmax must
// index with 64 bits (a 32-bit index wraps and reads or writes the wrong elements silently).
// Each test checks elements on both sides of 2^31 and skips where the GPU has too little memory.
#include "tests/gpu/gpu_test_util.h"

namespace {
using namespace tapeflow::testing;

constexpr int64_t k2To31 = int64_t(1) << 31;

class LargeTensorTest : public GpuTest {
 protected:
  void SetUp() override {
    GpuTest::SetUp();
    if (IsSkipped()) return;
    const int64_t total = std::stoll(tf::config::list_physical_devices("GPU")[0].details.at("memory_bytes"));
    if (total < (int64_t(40) << 30)) GTEST_SKIP() << "needs 40 GiB of GPU memory, the device has " << (total >> 30);
  }
  // Hand the gigabytes back to the driver: later tests (and other processes) need them.
  void TearDown() override {
    if (!IsSkipped()) tf::device_backend(tf::DeviceType::kGPU)->allocator(0)->empty_cache();
  }
};

TEST_F(LargeTensorTest, ConcatAndGatherPastTwoToThe31) {
  tf::DeviceScope on("GPU:0");
  tf::Tensor c;
  {
    auto a = tf::zeros({k2To31 - 1}, tf::uint8);
    auto b = tf::fill({10}, 3, tf::uint8);
    c = tf::concat({a, b}, 0);  // 2^31 + 9 bytes
  }
  ASSERT_EQ(c.size(), k2To31 + 9);
  EXPECT_EQ(c[k2To31 - 2].item<uint8_t>(), 0);
  EXPECT_EQ(c[k2To31 - 1].item<uint8_t>(), 3);
  EXPECT_EQ(c[k2To31 + 8].item<uint8_t>(), 3);
  auto idx = tf::constant(std::vector<int64_t>{k2To31 + 8, 0, k2To31 - 1, k2To31 - 2, k2To31 + 3}, {5}, tf::int64);
  expect_values(tf::gather(c, idx).cpu(), {5}, {3, 0, 3, 0, 3});
  // Along a second axis: rows of 2^30 + 5, two of them.
  tf::Tensor m;
  {
    auto a = tf::zeros({2, int64_t(1) << 30}, tf::uint8);
    auto b = tf::fill({2, 5}, 7, tf::uint8);
    m = tf::concat({a, b}, 1);
  }
  ASSERT_EQ(m.shape(), tf::Shape({2, (int64_t(1) << 30) + 5}));
  EXPECT_EQ((m[{1, (int64_t(1) << 30) + 4}].item<uint8_t>()), 7);
  EXPECT_EQ((m[{1, (int64_t(1) << 30) - 1}].item<uint8_t>()), 0);
  EXPECT_EQ((m[{0, (int64_t(1) << 30)}].item<uint8_t>()), 7);
  auto cols = tf::constant(std::vector<int64_t>{(int64_t(1) << 30) + 2, 1}, {2}, tf::int64);
  expect_values(tf::gather(m, cols, 1).cpu(), {2, 2}, {7, 0, 7, 0});
}

TEST_F(LargeTensorTest, ReductionsPastTwoToThe31) {
  tf::DeviceScope on("GPU:0");
  tf::Tensor c;
  {
    auto a = tf::zeros({k2To31 + 2}, tf::uint8);
    auto b = tf::fill({1}, 9, tf::uint8);
    c = tf::concat({a, b}, 0);  // the maximum sits at index 2^31 + 2
  }
  EXPECT_EQ(tf::reduce_max(c).item<uint8_t>(), 9);
  EXPECT_EQ(tf::argmax(c, 0).item<int64_t>(), k2To31 + 2);
  c = tf::Tensor();
  // float32 ones in 4 rows of 2^29 + 3: 2^31 + 12 elements.
  const int64_t row = (int64_t(1) << 29) + 3;
  auto x = tf::ones({4, row});
  EXPECT_NEAR(tf::reduce_sum(x).item<float>(), 4.0 * double(row), 1e-6 * 4.0 * double(row));
  EXPECT_NEAR(tf::reduce_mean(x).item<float>(), 1.0, 1e-6);
  auto rows = tf::reduce_sum(x, {1});
  expect_values(rows.cpu(), {4}, std::vector<double>(4, double(row)), 1e-6);
  auto columns = tf::reduce_sum(x, {0});
  ASSERT_EQ(columns.size(), row);
  EXPECT_EQ(columns[0].item<float>(), 4.0f);
  EXPECT_EQ(columns[row - 1].item<float>(), 4.0f);
}

TEST_F(LargeTensorTest, SoftmaxPastTwoToThe31) {
  tf::DeviceScope on("GPU:0");
  // Many short rows: (2^21 + 1) rows of 1024, each the same pattern; the last row starts past 2^31.
  const int64_t rows = (int64_t(1) << 21) + 1, n = 1024;
  std::vector<double> pattern(n);
  for (int64_t j = 0; j < n; ++j) pattern[j] = double(j % 13) * 0.25;
  tf::Tensor want;
  {
    tf::DeviceScope cpu("CPU:0");
    want = tf::nn::softmax(tf::constant(pattern, {1, n}, tf::float32));
  }
  auto x = tf::tile(tf::constant(pattern, {1, n}, tf::float32), {rows, 1});
  auto y = tf::nn::softmax(x);
  x = tf::Tensor();
  const std::vector<double> w = values_as_double(want);
  expect_values(y[{rows - 1}].cpu(), {n}, w, 2e-6);
  expect_values(y[{0}].cpu(), {n}, w, 2e-6);
  y = tf::Tensor();
  // One row of 2^31 + 5: zeros and a 20 at the end. softmax = e^20 / (n - 1 + e^20) there.
  const int64_t len = k2To31 + 5;
  tf::Tensor z;
  {
    auto zeros = tf::zeros({1, len - 1});
    z = tf::concat({zeros, tf::fill({1, 1}, 20.0f)}, 1);
  }
  auto s = tf::nn::softmax(z);
  z = tf::Tensor();
  const double denom = double(len - 1) + std::exp(20.0);
  EXPECT_NEAR((s[{0, len - 1}].item<float>()), std::exp(20.0) / denom, 1e-4 * std::exp(20.0) / denom);
  EXPECT_NEAR((s[{0, 0}].item<float>()), 1.0 / denom, 1e-4 / denom);
  EXPECT_NEAR((s[{0, k2To31}].item<float>()), 1.0 / denom, 1e-4 / denom);
}

}  // namespace
