// The GPU path's own behaviour (issue 12): the CUDA backend is discovered before any op runs,
// an out-of-memory error reports the size the caller asked for, host<->device copies that wrap
// the pinned staging ring arrive intact, a second host thread can use the GPU beside the main
// one, a configuration cuDNN rejects falls back to the CPU kernel, and the cuDNN algorithm a
// search chose is logged with placement logging.
#include <exception>
#include <thread>

#include "tapeflow/core/logging.h"
#include "tests/gpu/gpu_test_util.h"
#if TAPEFLOW_HAS_CUDA
#include <cuda_runtime.h>
#endif
#if TAPEFLOW_HAS_CUDNN
#include "tapeflow/cuda/cudnn_check.h"
#endif

namespace {
using namespace tapeflow::testing;

int cuda_device_count() {
#if TAPEFLOW_HAS_CUDA
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();
    n = 0;
  }
  return n;
#else
  return 0;
#endif
}

// Runs everywhere (no GPU needed): in a fresh process (gtest re-executes the binary for the
// death-test style "threadsafe"), the first thing asked is the device list, before any op.
TEST(GpuDiscovery, DevicesAreKnownBeforeAnyOpRuns) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const int n = cuda_device_count();
  const int want = n + (n > 0 ? 10 + 20 : 0);
  EXPECT_EXIT(
      {
        int code = static_cast<int>(tf::config::list_physical_devices("GPU").size());
        if (tf::device_exists(tf::kGPU0)) code += 10;
        try {
          (void)tf::config::experimental::get_memory_info("GPU:0");
          code += 20;
        } catch (const tf::errors::InvalidArgumentError&) {}
        std::exit(code);
      },
      ::testing::ExitedWithCode(want), "");
}

TEST_F(GpuTest, OutOfMemoryReportsTheRequestedSize) {
  const int64_t odd = (int64_t(1) << 40) + 1;  // 1 TiB + 1 byte: no GPU has it; the block would be 2 MiB-rounded
  tf::DeviceScope on("GPU:0");
  EXPECT_TF_ERROR(tf::zeros({odd}, tf::uint8), tf::errors::ResourceExhaustedError,
                  "OOM when allocating tensor of " + std::to_string(odd) + " bytes");
  EXPECT_EQ((tf::constant({1.f, 2.f}) * 2.0f).to_vector<float>(), (std::vector<float>{2, 4}));  // still usable
}

/// n bytes of a pattern no two nearby chunks share.
std::vector<uint8_t> pattern_bytes(std::size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t s = seed;
  for (auto& b : v) {
    s = s * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(s >> 24);
  }
  return v;
}

TEST_F(GpuTest, CopiesThatWrapThePinnedStagingRingArriveIntact) {
  // The ring: 4 pinned buffers of 4 MiB. 40 MiB + 3 bytes passes through each buffer 2-3 times
  // and ends in a partial chunk; the small copies between move the ring's position.
  for (std::size_t n : {(std::size_t(40) << 20) + 3, std::size_t(1), (std::size_t(4) << 20) + 1, std::size_t(17) << 20,
                        std::size_t(12345)}) {
    const std::vector<uint8_t> host = pattern_bytes(n, static_cast<uint32_t>(n));
    tf::Tensor cpu = tf::from_host_buffer(host.data(), {static_cast<int64_t>(n)}, tf::uint8);
    tf::Tensor gpu = cpu.gpu();
    // Checked on the device first (so a host->device fault is not hidden by the way back) ...
    int64_t want_sum = 0;
    for (uint8_t b : host) want_sum += b;
    {
      tf::DeviceScope on("GPU:0");
      EXPECT_EQ(tf::reduce_sum(tf::cast(gpu, tf::int64)).item<int64_t>(), want_sum) << n << " bytes";
    }
    // ... then byte for byte after the way back.
    const std::vector<uint8_t> back = gpu.cpu().to_vector<uint8_t>();
    ASSERT_EQ(back.size(), n);
    EXPECT_TRUE(back == host) << n << " bytes differ after a round trip";
  }
}

/// A small model step on the GPU: matmul (cuBLAS), conv (cuDNN), softmax and a reduction.
std::vector<double> gpu_work(tf::DType dt, int seed) {
  tf::DeviceScope on("GPU:0");
  auto a = random_cpu({64, 96}, dt, 10 + seed).gpu(), b = random_cpu({96, 48}, dt, 20 + seed).gpu();
  auto x = random_cpu({2, 9, 9, 3}, dt, 30 + seed).gpu(), w = random_cpu({3, 3, 3, 4}, dt, 40 + seed).gpu();
  auto m = tf::nn::softmax(tf::matmul(a, b));
  auto c = tf::nn::conv2d(x, w, 1, "SAME");
  return {values_as_double(tf::reduce_sum(m, {0}).cpu()).at(3), values_as_double(tf::reduce_sum(c).cpu()).at(0),
          values_as_double(tf::reduce_max(tf::matmul(a, b)).cpu()).at(0)};
}

TEST_F(GpuTest, SecondHostThreadUsesTheGpu) {
  // Each thread's results equal what the same work gives alone. The two threads use different
  // dtypes at once, so the cuBLAS handle's math mode (set per call) must not leak between them.
  tf::config::enable_tensor_float_32_execution(false);
  const std::vector<double> want32 = gpu_work(tf::float32, 1), want16 = gpu_work(tf::float16, 2);
  std::exception_ptr error;
  std::vector<std::vector<double>> other;
  std::thread t([&] {
    try {
      for (int i = 0; i < 30; ++i) other.push_back(gpu_work(tf::float16, 2));
    } catch (...) { error = std::current_exception(); }
  });
  std::vector<std::vector<double>> mine;
  for (int i = 0; i < 30; ++i) mine.push_back(gpu_work(tf::float32, 1));
  t.join();
  tf::config::enable_tensor_float_32_execution(true);
  if (error) std::rethrow_exception(error);
  ASSERT_EQ(other.size(), 30u);
  for (const auto& r : mine)
    for (std::size_t k = 0; k < r.size(); ++k) EXPECT_NEAR(r[k], want32[k], 1e-5 * std::max(1.0, std::abs(want32[k])));
  for (const auto& r : other)
    for (std::size_t k = 0; k < r.size(); ++k) EXPECT_NEAR(r[k], want16[k], 2e-3 * std::max(1.0, std::abs(want16[k])));
}

#if TAPEFLOW_HAS_CUDNN
// Runs everywhere: the mapping alone, no GPU needed.
TEST(CudnnCheck, RejectedConfigurationsAreUnimplementedSoKernelsFallBack) {
  for (cudnnStatus_t st : {CUDNN_STATUS_BAD_PARAM, CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND, CUDNN_STATUS_NOT_SUPPORTED,
                           CUDNN_STATUS_NOT_SUPPORTED_SHAPE}) {
    try {
      TF_CUDNN_CHECK_CONFIG(st);
      ADD_FAILURE() << "status " << static_cast<int>(st) << " raised nothing";
    } catch (const tf::errors::UnimplementedError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("st failed: ", 0), 0u) << e.what();
    }
  }
  EXPECT_THROW(TF_CUDNN_CHECK_CONFIG(CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED),
               tf::errors::ResourceExhaustedError);
  EXPECT_THROW(TF_CUDNN_CHECK_CONFIG(CUDNN_STATUS_EXECUTION_FAILED), tf::errors::InternalError);
  EXPECT_NO_THROW(TF_CUDNN_CHECK_CONFIG(CUDNN_STATUS_SUCCESS));
}

std::vector<std::string>* g_lines = nullptr;
void capture(const std::string& level, const std::string& message) { g_lines->push_back(level + ": " + message); }

TEST_F(GpuTest, CudnnAlgorithmChoiceIsLoggedWithPlacementLogging) {
  std::vector<std::string> lines;
  g_lines = &lines;
  // A shape no other test uses, so this call searches (a cached choice is not logged again).
  auto x = random_cpu({3, 11, 13, 5}, tf::float32, 5).gpu(), w = random_cpu({3, 2, 5, 7}, tf::float32, 6).gpu();
  tf::logging::set_sink(capture);
  tf::debugging::set_log_device_placement(true);
  tf::Tensor y;
  {
    tf::DeviceScope on("GPU:0");
    y = tf::nn::conv2d(x, w, 1, "SAME");
  }
  tf::debugging::set_log_device_placement(false);
  tf::logging::set_sink(nullptr);
  EXPECT_EQ(y.device(), tf::kGPU0);
  int found = 0;
  for (const auto& l : lines)
    if (l.find("Conv2D on GPU:0: cuDNN algorithm ") != std::string::npos && l.find("workspace") != std::string::npos)
      ++found;
  EXPECT_EQ(found, 1) << "log lines: " << ::testing::PrintToString(lines);
}
#endif  // TAPEFLOW_HAS_CUDNN

}  // namespace
