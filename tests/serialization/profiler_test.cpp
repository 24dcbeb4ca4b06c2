// tf::profiler: every op run between start() and stop(), eagerly or inside a tf::function, is in
// the gzip'ed Chrome trace with its name, device, input shapes and a non-negative duration; the
// trace lies at <logdir>/plugins/profile/<run>/<host>.trace.json.gz; misuse is a typed error.
// (Perfetto/Python's json read the same file in the TensorBoard interop test.)
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <regex>

#include "tests/serialization/ckpt_test_util.h"

namespace {
namespace fs = std::filesystem;
using tapeflow::testing::TempDir;

std::string gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  EXPECT_NE(f, nullptr) << path;
  if (!f) return {};
  std::string out;
  char buf[4096];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  gzclose(f);
  return out;
}

// The complete ("X") events named `op`, each as its JSON object text.
std::vector<std::string> events_named(const std::string& json, const std::string& op) {
  std::vector<std::string> out;
  const std::regex event("\\{\"ph\":\"X\",\"cat\":\"Op\",\"name\":\"" + op + "\"[^\\n]*");
  for (auto it = std::sregex_iterator(json.begin(), json.end(), event); it != std::sregex_iterator(); ++it)
    out.push_back(it->str());
  return out;
}

double number_after(const std::string& event, const std::string& key) {
  const auto at = event.find("\"" + key + "\":");
  EXPECT_NE(at, std::string::npos) << key << " in " << event;
  return std::stod(event.substr(at + key.size() + 3));
}

TEST(Profiler, RecordsOpsWithShapesAndDurations) {
  TempDir dir;
  auto a = tf::ones({2, 3}), b = tf::ones({3, 4});
  tf::matmul(a, b);  // before start: not recorded
  tf::profiler::start(dir / "prof");
  EXPECT_TRUE(tf::profiler::running());
  auto y = tf::nn::relu(tf::matmul(a, b));
  auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& w) { return tf::sigmoid(tf::matmul(x, w)); });
  f(a, b);  // the graph executor's kernels are profiled too
  const std::string path = tf::profiler::stop();
  EXPECT_FALSE(tf::profiler::running());
  tf::matmul(a, b);  // after stop: not recorded
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const fs::path p(path);
  EXPECT_EQ(p.filename().string(), std::string(host) + ".trace.json.gz");
  EXPECT_EQ(p.parent_path().parent_path(), fs::path(dir / "prof/plugins/profile"));
  EXPECT_TRUE(std::regex_match(p.parent_path().filename().string(), std::regex(R"(\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d)")));
  const std::string json = gunzip(path);
  ASSERT_EQ(json.rfind("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", 0), 0u) << json.substr(0, 80);
  const auto matmuls = events_named(json, "MatMul");
  ASSERT_EQ(matmuls.size(), 2u) << json;  // one eager, one in the Function
  for (const std::string& e : matmuls) {
    EXPECT_NE(e.find("\"shapes\":\"(2, 3), (3, 4)\""), std::string::npos) << e;
    EXPECT_NE(e.find("\"device\":\"CPU:0\""), std::string::npos) << e;
    EXPECT_GE(number_after(e, "dur"), 0.0);
    EXPECT_GE(number_after(e, "ts"), 0.0);
  }
  EXPECT_EQ(events_named(json, "Relu").size(), 1u);
  EXPECT_EQ(events_named(json, "Sigmoid").size(), 1u);
  EXPECT_NE(json.find("\"name\":\"/device:CPU:0\""), std::string::npos);  // the device's row is named
}

TEST(Profiler, MisuseIsTypedErrors) {
  TempDir dir;
  EXPECT_THROW(tf::profiler::stop(), tf::errors::FailedPreconditionError);
  EXPECT_THROW(tf::profiler::start(""), tf::errors::InvalidArgumentError);
  tf::profiler::start(dir / "a");
  EXPECT_THROW(tf::profiler::start(dir / "b"), tf::errors::AlreadyExistsError);
  tf::profiler::stop();
}

TEST(Profiler, TraceOnProfilerWritesBesideTheEvents) {
  TempDir dir;
  auto w = tf::summary::create_file_writer(dir / "run");
  tf::summary::trace_on({.graph = true, .profiler = true});
  tf::matmul(tf::ones({2, 2}), tf::ones({2, 2}));
  {
    auto scope = w.as_default();
    EXPECT_TRUE(tf::summary::trace_export("t", 0, {.profiler_outdir = dir / "outdir"}));
  }
  EXPECT_FALSE(tf::profiler::running());
  std::vector<std::string> traces;
  for (const auto& e : fs::recursive_directory_iterator(dir / "outdir"))
    if (e.path().string().ends_with(".trace.json.gz")) traces.push_back(e.path().string());
  ASSERT_EQ(traces.size(), 1u);
  EXPECT_EQ(events_named(gunzip(traces[0]), "MatMul").size(), 1u);
  tf::summary::trace_on({.profiler = true});
  tf::summary::trace_off();  // drops the recording
  EXPECT_FALSE(tf::profiler::running());
}

}  // namespace
