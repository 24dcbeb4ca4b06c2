// GPU discovery, placement rules (TF's: innermost DeviceScope wins, no scope -> GPU:0, implicit
// input copies, to/cpu/gpu, variables stay where created), the caching allocator's statistics
// and its out-of-memory recovery.
#include <algorithm>

#include "tapeflow/core/logging.h"
#include "tests/gpu/gpu_test_util.h"

namespace {
using tapeflow::testing::GpuTest;

TEST_F(GpuTest, ListsPhysicalDevice) {
  auto gpus = tf::config::list_physical_devices("GPU");
  ASSERT_GE(gpus.size(), 1u);
  EXPECT_EQ(gpus[0].name, "/physical_device:GPU:0");
  EXPECT_EQ(gpus[0].device_type, "GPU");
  EXPECT_FALSE(gpus[0].details.at("device_name").empty());
  EXPECT_EQ(gpus[0].details.at("compute_capability"), "9.0");
  EXPECT_GT(std::stoll(gpus[0].details.at("memory_bytes")), 1LL << 30);
  EXPECT_EQ(tf::config::list_physical_devices().size(), gpus.size() + 1);  // CPU:0 too
}

TEST_F(GpuTest, NoScopePlacesOnGpu) {
  auto a = tf::constant({1.f, 2.f, 3.f});
  EXPECT_EQ(a.device(), tf::kGPU0);
  auto b = a * a;
  EXPECT_EQ(b.device(), tf::kGPU0);
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{1, 4, 9}));
  EXPECT_EQ(tf::zeros({2, 2}).device(), tf::kGPU0);
  EXPECT_EQ(tf::range(5).device(), tf::kGPU0);
}

TEST_F(GpuTest, CpuScopeWinsAndNests) {
  tf::DeviceScope cpu("CPU:0");
  auto a = tf::constant({1.f, 2.f});
  EXPECT_EQ(a.device(), tf::kCPU0);
  EXPECT_EQ((a + a).device(), tf::kCPU0);
  {
    tf::DeviceScope gpu("GPU:0");
    auto g = a + a;  // input copied to GPU:0 implicitly
    EXPECT_EQ(g.device(), tf::kGPU0);
    EXPECT_EQ(g.to_vector<float>(), (std::vector<float>{2, 4}));
  }
  EXPECT_EQ((a * 3.0f).device(), tf::kCPU0);
}

TEST_F(GpuTest, MixedDeviceInputsAreCopiedAndLogged) {
  std::vector<std::string> lines;
  static std::vector<std::string>* sink = nullptr;
  sink = &lines;
  tf::logging::set_sink([](const std::string& level, const std::string& msg) { sink->push_back(level + ": " + msg); });
  tf::debugging::set_log_device_placement(true);
  tf::Tensor c;
  {
    tf::DeviceScope on("CPU:0");
    c = tf::constant({1.f, 2.f});
  }
  auto g = tf::constant({10.f, 20.f});  // GPU:0
  auto r = c + g;                       // runs on GPU:0, c copied there
  tf::debugging::set_log_device_placement(false);
  tf::logging::set_sink(nullptr);
  EXPECT_EQ(r.device(), tf::kGPU0);
  EXPECT_EQ(r.to_vector<float>(), (std::vector<float>{11, 22}));
  auto has = [&](const std::string& s) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(s) != std::string::npos; });
  };
  EXPECT_TRUE(has("Copying input of AddV2 from CPU:0 to GPU:0"));
  EXPECT_TRUE(has("Executing op AddV2 in device /job:localhost/replica:0/task:0/device:GPU:0"));
}

TEST_F(GpuTest, ToCpuGpuRoundTrip) {
  tf::Tensor h;
  {
    tf::DeviceScope on("CPU:0");
    h = tf::constant({{1, 2, 3}, {4, 5, 6}});
  }
  auto g = h.gpu();
  EXPECT_EQ(g.device(), tf::kGPU0);
  EXPECT_EQ(g.to("GPU:0").unsafe_impl(), g.unsafe_impl());  // already there: same tensor
  auto back = g.cpu();
  EXPECT_EQ(back.device(), tf::kCPU0);
  EXPECT_EQ(back.to_vector<int32_t>(), (std::vector<int32_t>{1, 2, 3, 4, 5, 6}));
  // A non-contiguous GPU view copies to the host in row-major order.
  auto t = tf::transpose(g);
  EXPECT_EQ(t.device(), tf::kGPU0);
  EXPECT_EQ(t.cpu().to_vector<int32_t>(), (std::vector<int32_t>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(t.to_vector<int32_t>(), (std::vector<int32_t>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(g[1][2].item<int32_t>(), 6);
  EXPECT_EQ(tf::constant(2.5f).item<float>(), 2.5f);
}

TEST_F(GpuTest, VariablesLiveWhereCreated) {
  tf::Variable vg(tf::constant({1.f, 2.f}));
  EXPECT_EQ(vg.device(), tf::kGPU0);
  tf::Variable vc = [] {
    tf::DeviceScope on("CPU:0");
    return tf::Variable(tf::constant({1.f, 2.f}));
  }();
  EXPECT_EQ(vc.device(), tf::kCPU0);
  vg.assign_add(tf::constant({1.f, 1.f}));
  vc.assign_add(tf::constant({1.f, 1.f}));  // a GPU value assigned into a CPU variable
  EXPECT_EQ(vg.device(), tf::kGPU0);
  EXPECT_EQ(vc.device(), tf::kCPU0);
  EXPECT_EQ(vg.read_value().to_vector<float>(), (std::vector<float>{2, 3}));
  EXPECT_EQ(vc.read_value().to_vector<float>(), (std::vector<float>{2, 3}));
}

TEST_F(GpuTest, OpsWithoutGpuKernelRunOnCpuWithoutScope) {
  auto x = tf::constant({3.f, 1.f, 2.f});
  auto top = tf::top_k(x, 2);  // no GPU kernel: placed on CPU:0 when no scope asks otherwise
  EXPECT_EQ(top.values.to_vector<float>(), (std::vector<float>{3, 2}));
}

TEST_F(GpuTest, PrintingAGpuTensorSynchronizes) {
  auto x = tf::constant({{1.f, 2.f}, {3.f, 4.f}}) * 2.0f;
  EXPECT_EQ(x.to_string(), "tf.Tensor(\n[[2. 4.]\n [6. 8.]], shape=(2, 2), dtype=float32)");
}

// ---- allocator ------------------------------------------------------------------------------

TEST_F(GpuTest, MemoryInfoTracksLiveTensors) {
  auto before = tf::config::experimental::get_memory_info("GPU:0");
  tf::config::experimental::reset_memory_stats("GPU:0");
  EXPECT_EQ(tf::config::experimental::get_memory_info("GPU:0").peak, before.current);
  {
    auto big = tf::zeros({1 << 20});  // 4 MiB
    auto mid = tf::zeros({1000});     // 4000 B -> a 4 KiB block
    auto info = tf::config::experimental::get_memory_info("GPU:0");
    EXPECT_GE(info.current - before.current, (4 << 20) + 4000);
    EXPECT_LE(info.current - before.current, (6 << 20) + 4096);
    EXPECT_EQ(info.live_buffers - before.live_buffers, 2);
    EXPECT_GE(info.peak, info.current);
  }
  auto after = tf::config::experimental::get_memory_info("GPU:0");
  EXPECT_EQ(after.current, before.current);
  EXPECT_EQ(after.live_buffers, before.live_buffers);
  EXPECT_GE(after.cached, 4 << 20);  // the freed blocks stay cached
  EXPECT_GE(after.peak, before.current + (4 << 20));
}

// The gradient tape on GPU:0, counted with the allocator's statistics: it keeps only the values
// its rules read (Exp's output, not Mul's) and frees them when a non-persistent gradient returns.
TEST_F(GpuTest, GradientTapeKeepsOnlyWhatRulesReadAndFreesIt) {
  tf::DeviceScope gpu("GPU:0");
  tf::Variable x(tf::fill({1 << 20}, 0.5f));  // 4 MiB
  auto mem = [] { return tf::config::experimental::get_memory_info("GPU:0"); };
  const auto base = mem();
  tf::GradientTape tape;
  tf::Tensor loss;
  {
    tf::Tensor y = x * x;
    loss = tf::reduce_sum(tf::exp(y));
  }
  tape.stop();
  EXPECT_EQ(mem().live_buffers - base.live_buffers, 2);  // exp(y), kept by the tape, and loss
  EXPECT_GE(mem().current - base.current, 4 << 20);
  EXPECT_LT(mem().current - base.current, 8 << 20);  // y is gone: no rule reads it
  {
    auto g = tape.gradient(loss, x);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->device().str(), "GPU:0");
    const std::vector<float> v = g->to_vector<float>();
    EXPECT_NEAR(v.front(), std::exp(0.25), 1e-6);  // d/dx exp(x^2) = 2x exp(x^2) = exp(0.25) at 0.5
    EXPECT_NEAR(v.back(), std::exp(0.25), 1e-6);
  }
  EXPECT_EQ(mem().live_buffers - base.live_buffers, 1);  // loss only
}

TEST_F(GpuTest, FreedBlocksAreReused) {
  { auto a = tf::zeros({3 << 20}); }  // 12 MiB, cached after this scope
  auto cached = tf::config::experimental::get_memory_info("GPU:0").cached;
  auto b = tf::ones({3 << 20});
  auto info = tf::config::experimental::get_memory_info("GPU:0");
  EXPECT_EQ(info.cached, cached - (12 << 20));  // served from the cache, no new device memory
  EXPECT_EQ(tf::reduce_sum(b).item<float>(), float(3 << 20));
}

TEST_F(GpuTest, OutOfMemoryThrowsAndRecovers) {
  const int64_t total = std::stoll(tf::config::list_physical_devices("GPU")[0].details.at("memory_bytes"));
  try {
    auto huge = tf::zeros({total});  // 4x the device's memory
    FAIL() << "expected ResourceExhaustedError";
  } catch (const tf::errors::ResourceExhaustedError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("OOM when allocating tensor of " + std::to_string(total * 4) + " bytes"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("GPU:0"), std::string::npos) << msg;
  }
  // The process stays usable: a small allocation succeeds and computes.
  auto x = tf::constant({1.f, 2.f}) + 1.0f;
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{2, 3}));
}

TEST_F(GpuTest, OutOfMemoryEmptiesTheCacheAndRetries) {
  const int64_t total = std::stoll(tf::config::list_physical_devices("GPU")[0].details.at("memory_bytes"));
  const int64_t quarter = total / 4 / 4 / (2 << 20) * (2 << 20);  // float elements in ~1/4 of the device
  {
    // Fill ~75% of the device with blocks that then sit in the cache.
    std::vector<tf::Tensor> blocks;
    for (int i = 0; i < 3; ++i) blocks.push_back(tf::zeros({quarter}));
  }
  EXPECT_GE(tf::config::experimental::get_memory_info("GPU:0").cached, 3 * quarter * 4);
  // 50% of the device does not fit beside the cache (nor in any cached block): the allocator
  // must free its cache and retry.
  auto big = tf::ones({2 * quarter});
  EXPECT_EQ(big[2 * quarter - 1].item<float>(), 1.0f);
  EXPECT_LT(tf::config::experimental::get_memory_info("GPU:0").cached, quarter * 4);
}

}  // namespace
