// Devices: parsing TF's spellings, DeviceScope nesting and threads, placement without a GPU,
// soft placement, and placement logging.
#include <gtest/gtest.h>

#include <thread>

#include "tapeflow/core/logging.h"
#include "tests/core/test_util.h"

namespace {

TEST(Device, ParsesTfSpellings) {
  EXPECT_EQ(tf::Device("CPU:0"), tf::kCPU0);
  EXPECT_EQ(tf::Device("GPU:0"), tf::kGPU0);
  EXPECT_EQ(tf::Device("/device:GPU:0"), tf::kGPU0);
  EXPECT_EQ(tf::Device("gpu:0"), tf::kGPU0);
  EXPECT_EQ(tf::Device("/GPU:1"), tf::Device(tf::DeviceType::kGPU, 1));
  EXPECT_EQ(tf::Device("/job:localhost/replica:0/task:0/device:CPU:0"), tf::kCPU0);
  EXPECT_EQ(tf::Device("cpu"), tf::kCPU0);
  EXPECT_EQ(tf::kGPU0.str(), "GPU:0");
  EXPECT_EQ(tf::kCPU0.full_name(), "/job:localhost/replica:0/task:0/device:CPU:0");
}

TEST(Device, BadSpellingsAreInvalidArgument) {
  EXPECT_TF_ERROR(tf::Device("TPU:0"), tf::errors::InvalidArgumentError, "TPU:0");
  EXPECT_TF_ERROR(tf::Device("GPU:x"), tf::errors::InvalidArgumentError, "non-negative integer");
  EXPECT_TF_ERROR(tf::Device("GPU:-1"), tf::errors::InvalidArgumentError, "GPU:-1");
}

TEST(DeviceScope, CpuSuitesRunPinnedToCpu) {
  // tests/support/cpu_suite_environment.cpp: on a GPU host too, these suites assert CPU behaviour.
  ASSERT_TRUE(tf::current_scope_device().has_value());
  EXPECT_EQ(*tf::current_scope_device(), tf::kCPU0);
  EXPECT_EQ((tf::constant({1.f}) + 1.f).device(), tf::kCPU0);
}

TEST(DeviceScope, NestsAndRestores) {
  const std::optional<tf::Device> suite = tf::current_scope_device();  // the suite's CPU:0 pin
  {
    tf::DeviceScope outer("CPU:0");
    EXPECT_EQ(*tf::current_scope_device(), tf::kCPU0);
    {
      tf::DeviceScope inner("GPU:0");
      EXPECT_EQ(*tf::current_scope_device(), tf::kGPU0);
    }
    EXPECT_EQ(*tf::current_scope_device(), tf::kCPU0);
  }
  EXPECT_EQ(tf::current_scope_device(), suite);
  std::optional<tf::Device> fresh = tf::kGPU0;
  std::thread t([&] { fresh = tf::current_scope_device(); });  // a new thread starts without a scope
  t.join();
  EXPECT_FALSE(fresh.has_value());
}

TEST(DeviceScope, IsThreadLocal) {
  tf::DeviceScope on("GPU:0");
  std::optional<tf::Device> seen = tf::kGPU0;
  std::thread t([&] { seen = tf::current_scope_device(); });
  t.join();
  EXPECT_FALSE(seen.has_value());
}

class NoGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!tf::config::list_physical_devices("GPU").empty()) GTEST_SKIP() << "a GPU is present";
  }
  void TearDown() override { tf::config::set_soft_device_placement(true); }  // TF2's default
};

TEST_F(NoGpu, DefaultPlacementIsCpu) {
  // In a thread of its own: no scope there (the suite pins its main thread to CPU:0).
  std::optional<tf::Device> a_device, sum_device;
  std::thread t([&] {
    auto a = tf::constant({1.f, 2.f});
    a_device = a.device();
    sum_device = (a + a).device();
  });
  t.join();
  EXPECT_EQ(a_device, tf::kCPU0);
  EXPECT_EQ(sum_device, tf::kCPU0);
}

TEST_F(NoGpu, StrictPlacementOnMissingGpuNamesExistingDevices) {
  tf::config::set_soft_device_placement(false);
  auto a = tf::constant({1.f, 2.f});
  tf::DeviceScope on("GPU:0");
  EXPECT_TF_ERROR(a + a, tf::errors::InvalidArgumentError, "Existing devices: [CPU:0]");
  EXPECT_TF_ERROR(a.gpu(), tf::errors::InvalidArgumentError, "GPU:0 does not exist");
}

std::vector<std::string>* g_log_lines = nullptr;
void capture(const std::string& level, const std::string& message) { g_log_lines->push_back(level + ": " + message); }

TEST_F(NoGpu, SoftPlacementIsTheDefaultAndLogsOnlyWithPlacementLogging) {
  EXPECT_TRUE(tf::config::get_soft_device_placement());  // tf.config.get_soft_device_placement()
  std::vector<std::string> lines;
  g_log_lines = &lines;
  tf::logging::set_sink(capture);
  auto a = tf::constant({1.f, 2.f});
  tf::Tensor c, d;
  {
    tf::DeviceScope on("GPU:0");
    c = a * a;  // TF2 runs the seed's `with tf.device('GPU:0'): a * b` on CPU:0, silently
  }
  EXPECT_TRUE(lines.empty()) << lines[0];
  tf::debugging::set_log_device_placement(true);
  {
    tf::DeviceScope on("GPU:0");
    d = a * a;
  }
  tf::debugging::set_log_device_placement(false);
  tf::logging::set_sink(nullptr);
  EXPECT_EQ(c.device(), tf::kCPU0);
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{1.f, 4.f}));
  EXPECT_EQ(d.device(), tf::kCPU0);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("info: Op Mul cannot run on GPU:0 (no such device)"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1], "info: Executing op Mul in device /job:localhost/replica:0/task:0/device:CPU:0");
}

TEST_F(NoGpu, MalformedDeviceStringIsAlwaysAnError) {
  ASSERT_TRUE(tf::config::get_soft_device_placement());
  EXPECT_TF_ERROR(tf::DeviceScope("TPU:0"), tf::errors::InvalidArgumentError, "Could not parse device specification");
  EXPECT_TF_ERROR(tf::DeviceScope("GPU:x"), tf::errors::InvalidArgumentError, "Could not parse device specification");
}

TEST(Placement, LogDevicePlacement) {
  std::vector<std::string> lines;
  g_log_lines = &lines;
  auto a = tf::constant({1.f, 2.f});
  tf::logging::set_sink(capture);
  tf::debugging::set_log_device_placement(true);
  {
    tf::DeviceScope on("CPU:0");
    (void)(a * a);
  }
  tf::debugging::set_log_device_placement(false);
  tf::logging::set_sink(nullptr);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "info: Executing op Mul in device /job:localhost/replica:0/task:0/device:CPU:0");
}

TEST(Config, ListPhysicalDevicesAndMemoryInfo) {
  auto cpus = tf::config::list_physical_devices("CPU");
  ASSERT_EQ(cpus.size(), 1u);
  EXPECT_EQ(cpus[0].name, "/physical_device:CPU:0");
  EXPECT_EQ(cpus[0].device_type, "CPU");
  auto before = tf::config::experimental::get_memory_info("CPU:0");
  auto big = tf::zeros({1024, 1024});  // 4 MiB
  auto during = tf::config::experimental::get_memory_info("CPU:0");
  EXPECT_GE(during.current - before.current, 4 << 20);
  EXPECT_GE(during.peak, during.current);
  EXPECT_TF_ERROR(tf::config::experimental::get_memory_info("GPU:7"), tf::errors::InvalidArgumentError,
                  "does not exist");
}

}  // namespace
