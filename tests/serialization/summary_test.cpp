// tf::summary event files: TFRecord framing and its checked reader, the file name and version
// record, every summary kind read back with exact values, the async writer's queue (blocking,
// max_queue, flush_millis, close), threads, bad input, and trace_on/trace_export graphs.
// TensorBoard's own reader checks the same files in tests/serialization/interop (label interop).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "tapeflow/serialization/crc32c.h"
#include "tapeflow/serialization/event_reader.h"
#include "tapeflow/serialization/record_writer.h"
#include "tests/serialization/ckpt_test_util.h"

namespace {
namespace fs = std::filesystem;
namespace ser = tapeflow::serialization;
using tapeflow::testing::TempDir;

std::vector<ser::EventRecord> events_of(const tf::summary::SummaryWriter& w) { return ser::read_events(w.path()); }

// The summary events (the version record dropped).
std::vector<ser::EventRecord> summaries_of(const tf::summary::SummaryWriter& w) {
  auto e = events_of(w);
  EXPECT_FALSE(e.empty());
  if (!e.empty()) e.erase(e.begin());
  return e;
}

// Hand-computed framing: little-endian length, masked CRC32C of it, data, masked CRC32C of data.
TEST(RecordFraming, HeaderDataFooter) {
  std::string out;
  ser::append_record(out, "hello");
  ASSERT_EQ(out.size(), 8u + 4u + 5u + 4u);
  EXPECT_EQ(out.substr(0, 8), std::string("\x05\0\0\0\0\0\0\0", 8));
  auto u32 = [&](std::size_t at) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(out[at + i]);
    return v;
  };
  EXPECT_EQ(u32(8), tf::crc32c::mask(tf::crc32c::value(out.data(), 8)));
  EXPECT_EQ(out.substr(12, 5), "hello");
  EXPECT_EQ(u32(17), tf::crc32c::mask(tf::crc32c::value("hello")));
}

TEST(RecordFraming, TornLastRecordIsSkippedAndCrcsAreChecked) {
  std::string bytes;
  ser::append_record(bytes, "first");
  ser::append_record(bytes, "second record");
  bool torn = true;
  EXPECT_EQ(ser::parse_records(bytes, &torn), (std::vector<std::string>{"first", "second record"}));
  EXPECT_FALSE(torn);
  for (std::size_t cut = 1; cut < 8 + 4 + 13 + 4; ++cut) {  // every way the last write can tear
    auto got = ser::parse_records(std::string_view(bytes).substr(0, bytes.size() - cut), &torn);
    EXPECT_EQ(got, std::vector<std::string>{"first"}) << cut;
    EXPECT_TRUE(torn) << cut;
  }
  std::string bad_data = bytes;
  bad_data[12 + 1] ^= 0x20;  // a byte of "first"
  EXPECT_THROW(ser::parse_records(bad_data), tf::errors::DataLossError);
  std::string bad_length = bytes;
  bad_length[0] ^= 0x01;
  EXPECT_THROW(ser::parse_records(bad_length), tf::errors::DataLossError);
}

TEST(SummaryWriter, FileNameAndVersionRecord) {
  TempDir dir;
  auto w = tf::summary::create_file_writer(dir / "logs/run1");
  const std::string name = fs::path(w.path()).filename().string();
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const std::regex pattern(R"(events\.out\.tfevents\.\d{10}\.)" +
                           std::regex_replace(std::string(host), std::regex(R"([.])"), R"(\.)") + "\\." +
                           std::to_string(getpid()) + R"(\.\d+\.v2)");
  EXPECT_TRUE(std::regex_match(name, pattern)) << name;
  EXPECT_EQ(fs::path(w.path()).parent_path(), fs::path(dir / "logs/run1"));
  auto events = events_of(w);  // the version record is on disk before any flush
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_NEAR(events[0].wall_time, now, 60.0);
  auto w2 = tf::summary::create_file_writer(dir / "logs/run1");
  EXPECT_NE(w2.path(), w.path());  // two writers never share a file
}

TEST(SummaryWriter, ScalarsReadBackExactly) {
  TempDir dir;
  auto w = tf::summary::create_file_writer(dir / "run");
  EXPECT_FALSE(tf::summary::scalar("loss", tf::constant(1.0f), 0));  // no default writer: nothing
  {
    auto scope = w.as_default();
    EXPECT_TRUE(tf::summary::scalar("loss", tf::constant(0.25f), 3));
    EXPECT_TRUE(tf::summary::scalar("acc", tf::constant(0.1, tf::float64), 4));  // stored as float32
    EXPECT_TRUE(tf::summary::scalar("count", tf::constant(7), 5));
    EXPECT_TRUE(tf::summary::scalar("lr", 1e-3, 6));
  }
  EXPECT_FALSE(tf::summary::scalar("loss", 2.0, 7));  // the scope ended
  w.flush();
  auto s = summaries_of(w);
  ASSERT_EQ(s.size(), 4u);
  const std::vector<std::string> tags = {"loss", "acc", "count", "lr"};
  const std::vector<float> values = {0.25f, static_cast<float>(0.1), 7.0f, static_cast<float>(1e-3)};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(s[i].step, static_cast<int64_t>(i + 3));
    ASSERT_EQ(s[i].values.size(), 1u);
    const auto& v = s[i].values[0];
    EXPECT_EQ(v.tag, tags[i]);
    EXPECT_EQ(v.plugin_name, "scalars");
    ASSERT_TRUE(v.tensor.defined());
    EXPECT_EQ(v.tensor.dtype(), tf::float32);
    EXPECT_EQ(v.tensor.shape(), tf::Shape{});
    EXPECT_EQ(v.tensor.item<float>(), values[i]);
  }
}

TEST(SummaryWriter, DefaultStepAndItsErrors) {
  TempDir dir;
  auto w = tf::summary::create_file_writer(dir / "run");
  {
    auto scope = w.as_default(/*step=*/42);
    EXPECT_TRUE(tf::summary::scalar("x", 1.0));
    EXPECT_EQ(tf::summary::experimental::get_step(), 42);
  }
  EXPECT_EQ(tf::summary::experimental::get_step(), std::nullopt);
  tf::summary::experimental::set_step(5);
  std::thread([] { EXPECT_EQ(tf::summary::experimental::get_step(), std::nullopt); }).join();  // per thread
  tf::summary::experimental::set_step(std::nullopt);
  auto scope = w.as_default();
  EXPECT_THROW(tf::summary::scalar("x", 1.0), tf::errors::InvalidArgumentError);  // no step anywhere
  w.flush();
  auto s = summaries_of(w);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].step, 42);
}

TEST(SummaryWriter, HistogramBucketsAsTensorBoard) {
  TempDir dir;
  auto w = tf::summary::create_file_writer(dir / "run");
  auto scope = w.as_default();
  // {0, 1, 2, 3} in 2 buckets: width 1.5; floor(x / 1.5) = 0, 0, 1, 2 -> clamped to 1.
  EXPECT_TRUE(tf::summary::histogram("h", tf::constant({{0.0f, 1.0f}, {2.0f, 3.0f}}), 1, {.buckets = 2}));
  EXPECT_TRUE(tf::summary::histogram("single", tf::constant({5, 5, 5}), 2, {.buckets = 3}));
  EXPECT_TRUE(tf::summary::histogram("empty", tf::zeros({0}), 3, {.buckets = 4}));
  EXPECT_TRUE(tf::summary::histogram("none", tf::constant({1.0f}), 4, {.buckets = 0}));
  EXPECT_TRUE(tf::summary::histogram("default", tf::range(0, 300), 5));
  w.flush();
  auto s = summaries_of(w);
  ASSERT_EQ(s.size(), 5u);
  auto rows = [&](int i) {
    EXPECT_EQ(s[i].values[0].plugin_name, "histograms");
    EXPECT_EQ(s[i].values[0].tensor.dtype(), tf::float64);
    return s[i].values[0].tensor.to_vector<double>();
  };
  EXPECT_EQ(rows(0), (std::vector<double>{0, 1.5, 2, 1.5, 3, 2}));
  EXPECT_EQ(s[0].values[0].tensor.shape(), (tf::Shape{2, 3}));
  EXPECT_EQ(rows(1), (std::vector<double>{5, 5, 0, 5, 5, 0, 5, 5, 3}));
  EXPECT_EQ(rows(2), std::vector<double>(12, 0.0));
  EXPECT_EQ(s[3].values[0].tensor.shape(), (tf::Shape{0, 3}));
  std::vector<double> d = rows(4);
  ASSERT_EQ(d.size(), 90u);  // 30 buckets of 0..299: width 299/30, counts sum to 300
  double total = 0;
  for (int i = 0; i < 30; ++i) total += d[3 * i + 2];
  EXPECT_EQ(total, 300);
  EXPECT_EQ(d[0], 0);
  EXPECT_EQ(d[89 - 1], 299);
  // NaN is not counted (TF's cast of a NaN index is negative: a zero one-hot row), never a crash.
  {
    auto nan_w = tf::summary::create_file_writer(dir / "nan");
    auto nan_scope = nan_w.as_default();
    tf::summary::histogram("nan", tf::constant({1.0f, std::nanf(""), 3.0f}), 0, {.buckets = 2});
    nan_w.flush();
    EXPECT_EQ(summaries_of(nan_w)[0].values[0].tensor.to_vector<double>(), (std::vector<double>{1, 2, 1, 2, 3, 1}));
  }
  EXPECT_THROW(tf::summary::histogram("h", tf::constant("s"), 0), tf::errors::InvalidArgumentError);
  EXPECT_THROW(tf::summary::histogram("h", tf::constant(1.0f), 0, {.buckets = -1}), tf::errors::InvalidArgumentError);
}

TEST(SummaryWriter, ImagesAsPngAndTheirErrors) {
  TempDir dir;
  auto w = tf::summary::create_file_writer(dir / "run");
  auto scope = w.as_default();
  std::vector<int> px(2 * 2 * 3 * 3);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<int>(i * 7 % 256);
  const tf::Tensor images = tf::cast(tf::constant(px, {2, 2, 3, 3}), tf::uint8);  // k=2, h=2, w=3, c=3
  EXPECT_TRUE(tf::summary::image("img", images, 9, {.max_outputs = 1}));
  EXPECT_TRUE(tf::summary::image("gray", tf::fill({3, 4, 5, 1}, 0.5), 10));
  w.flush();
  auto s = summaries_of(w);
  ASSERT_EQ(s.size(), 2u);
  const auto& v = s[0].values[0];
  EXPECT_EQ(v.plugin_name, "images");
  auto parts = v.tensor.to_vector<std::string>();
  ASSERT_EQ(parts.size(), 3u);  // width, height, one PNG (max_outputs = 1)
  EXPECT_EQ(parts[0], "3");
  EXPECT_EQ(parts[1], "2");
  EXPECT_EQ(parts[2].substr(0, 8), "\x89PNG\r\n\x1a\n");
  auto gray = s[1].values[0].tensor.to_vector<std::string>();
  ASSERT_EQ(gray.size(), 5u);  // max_outputs defaults to 3
  EXPECT_EQ(gray[0], "5");
  EXPECT_EQ(gray[1], "4");
  // Bad input names the argument.
  try {
    tf::summary::image("img", tf::zeros({2, 3, 3}), 0);
    FAIL() << "rank 3 accepted";
  } catch (const tf::errors::InvalidArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("rank 4"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tf::summary::image("img", tf::zeros({1, 2, 2, 2}), 0), tf::errors::InvalidArgumentError);
  EXPECT_THROW(tf::summary::image("img", tf::zeros({1, 2, 2, 3}, tf::int32), 0), tf::errors::InvalidArgumentError);
}

TEST(SummaryWriter, TextAndBadScalars) {
  TempDir dir;
  auto w = tf::summary::create_file_writer(dir / "run");
  auto scope = w.as_default();
  EXPECT_TRUE(tf::summary::text("note", tf::constant("hello **world**"), 2));
  EXPECT_TRUE(tf::summary::text("table", tf::constant(std::vector<std::string>{"a", "b", "c", "d"}, {2, 2}), 3));
  try {
    tf::summary::scalar("loss", tf::constant({1.0f, 2.0f}), 0);
    FAIL() << "a vector accepted as a scalar";
  } catch (const tf::errors::InvalidArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("data must be a scalar"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tf::summary::scalar("loss", tf::constant("x"), 0), tf::errors::InvalidArgumentError);
  EXPECT_THROW(tf::summary::text("t", tf::constant(1.0f), 0), tf::errors::InvalidArgumentError);
  w.flush();
  auto s = summaries_of(w);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].values[0].plugin_name, "text");
  EXPECT_EQ(s[0].values[0].tensor.to_vector<std::string>(), std::vector<std::string>{"hello **world**"});
  EXPECT_EQ(s[1].values[0].tensor.shape(), (tf::Shape{2, 2}));
  EXPECT_EQ(s[1].values[0].tensor.to_vector<std::string>(), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(SummaryWriter, UnwritableLogdirAndClosedWriter) {
  TempDir dir;
  std::ofstream(dir / "a_file") << "x";
  try {
    tf::summary::create_file_writer(dir / "a_file/logs");
    FAIL() << "a logdir under a file accepted";
  } catch (const tf::errors::FailedPreconditionError& e) {
    EXPECT_NE(std::string(e.what()).find("a_file/logs"), std::string::npos) << e.what();
  }
  auto w = tf::summary::create_file_writer(dir / "run");
  w.close();
  w.close();  // closing twice is harmless
  auto scope = w.as_default();
  EXPECT_THROW(tf::summary::scalar("x", 1.0, 0), tf::errors::FailedPreconditionError);
}

// The queue never drops: a tiny queue makes callers block while the writer thread drains it.
TEST(SummaryWriter, FullQueueBlocksNeverDrops) {
  TempDir dir;
  auto w = tf::summary::create_file_writer(dir / "run", {.queue_capacity = 4});
  auto scope = w.as_default();
  for (int i = 0; i < 5000; ++i) tf::summary::scalar("x", static_cast<double>(i), i);
  w.close();
  auto s = summaries_of(w);
  ASSERT_EQ(s.size(), 5000u);
  for (int i = 0; i < 5000; ++i) {
    EXPECT_EQ(s[i].step, i);
    EXPECT_EQ(s[i].values[0].tensor.item<float>(), static_cast<float>(i));
  }
}

// max_queue summaries reach the file without a flush() call; fewer wait for flush_millis.
TEST(SummaryWriter, MaxQueueAndFlushMillis) {
  TempDir dir;
  auto count_on_disk = [](const tf::summary::SummaryWriter& w) { return ser::read_events(w.path()).size(); };
  auto wait_for = [&](const tf::summary::SummaryWriter& w, std::size_t n) {
    for (int i = 0; i < 400 && count_on_disk(w) < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return count_on_disk(w);
  };
  auto by_count = tf::summary::create_file_writer(dir / "a", {.max_queue = 3, .flush_millis = 3600000});
  {
    auto scope = by_count.as_default();
    tf::summary::scalar("x", 1.0, 0);
    tf::summary::scalar("x", 2.0, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(count_on_disk(by_count), 1u);  // still buffered
    tf::summary::scalar("x", 3.0, 2);
    EXPECT_EQ(wait_for(by_count, 4), 4u);
  }
  auto by_time = tf::summary::create_file_writer(dir / "b", {.max_queue = 1000, .flush_millis = 50});
  {
    auto scope = by_time.as_default();
    tf::summary::scalar("x", 1.0, 0);
    EXPECT_EQ(wait_for(by_time, 2), 2u);
  }
}

TEST(SummaryWriter, ThreadsInterleaveWholeRecords) {
  TempDir dir;
  auto w = tf::summary::create_file_writer(dir / "run", {.queue_capacity = 64});
  constexpr int kThreads = 4, kEach = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      auto scope = w.as_default();
      for (int i = 0; i < kEach; ++i) tf::summary::scalar("t" + std::to_string(t), static_cast<double>(i), i);
    });
  for (auto& th : threads) th.join();
  w.flush();
  std::vector<int> next(kThreads, 0);
  for (const auto& e : summaries_of(w)) {
    const int t = e.values[0].tag[1] - '0';
    EXPECT_EQ(e.step, next[t]);  // each thread's summaries in its order, none lost
    EXPECT_EQ(e.values[0].tensor.item<float>(), static_cast<float>(next[t]));
    ++next[t];
  }
  EXPECT_EQ(next, std::vector<int>(kThreads, kEach));
}

// A killed writer leaves a torn last record: the reader keeps everything before it.
TEST(SummaryWriter, TruncatedFileKeepsEarlierRecords) {
  TempDir dir;
  auto w = tf::summary::create_file_writer(dir / "run");
  {
    auto scope = w.as_default();
    for (int i = 0; i < 3; ++i) tf::summary::scalar("x", static_cast<double>(i), i);
  }
  w.close();
  const auto size = fs::file_size(w.path());
  fs::resize_file(w.path(), size - 3);
  bool torn = false;
  auto events = ser::read_events(w.path(), &torn);
  EXPECT_TRUE(torn);
  ASSERT_EQ(events.size(), 3u);  // version + two whole scalars
  EXPECT_EQ(events[2].values[0].tensor.item<float>(), 1.0f);
}

// Note [Summaries in graphs]: a summary traced into a Function writes each time it runs, with
// the value the graph computed, to the writer and at the step of the trace.
TEST(SummaryWriter, SummariesInsideATracedFunctionWriteAtEveryCall) {
  TempDir dir;
  auto w = tf::summary::create_file_writer(dir / "run");
  auto f = tf::function([](const tf::Tensor& x) {
    tf::Tensor loss = tf::reduce_sum(x * x);
    EXPECT_TRUE(tf::summary::scalar("loss", loss, 7));
    EXPECT_TRUE(tf::summary::histogram("x", x, 7, {.buckets = 4}));
    EXPECT_TRUE(tf::summary::text("note", tf::strings::as_string(loss), 7));
    return loss * 2.0f;
  });
  {
    auto scope = w.as_default();
    EXPECT_EQ(f(tf::constant({1.0f, 2.0f})).tensor().item<float>(), 10.0f);
  }
  f(tf::constant({3.0f, 4.0f}));  // the traced writer, though it is no longer the default
  const tf::ConcreteFunction cf = f.concrete_functions().front();
  int writes = 0;
  for (const tf::Node& n : cf.graph().nodes()) writes += n.op == "WriteSummary";
  EXPECT_EQ(writes, 3);
  w.flush();
  auto s = summaries_of(w);
  ASSERT_EQ(s.size(), 6u);
  std::vector<float> losses;
  for (const auto& e : s) {
    EXPECT_EQ(e.step, 7);
    const auto& v = e.values[0];
    if (v.tag == "loss") losses.push_back(v.tensor.item<float>());
    if (v.tag == "x") EXPECT_EQ(v.tensor.shape(), tf::Shape({4, 3}));
  }
  EXPECT_EQ(losses, (std::vector<float>{5.0f, 25.0f}));
  // Traced without a default writer: nothing recorded, false returned, as TF.
  auto g = tf::function([](const tf::Tensor& x) {
    EXPECT_FALSE(tf::summary::scalar("loss", tf::reduce_sum(x), 0));
    return x;
  });
  g(tf::constant({1.0f}));
  for (const tf::Node& n : g.concrete_functions().front().graph().nodes()) EXPECT_NE(n.op, "WriteSummary");
  // Bad input is still caught at trace time.
  auto bad = tf::function([](const tf::Tensor& x) { return tf::summary::scalar("v", x, 0) ? x : x; });
  auto scope = w.as_default();
  EXPECT_THROW(bad(tf::constant({1.0f, 2.0f})), tf::errors::InvalidArgumentError);
}

TEST(SummaryTrace, TraceExportRecordsCalledFunctions) {
  TempDir dir;
  auto w = tf::summary::create_file_writer(dir / "run");
  tf::Variable weights(tf::constant({{1.0f, 2.0f}, {3.0f, 4.0f}}));
  auto f = tf::function([&](const tf::Tensor& x) { return tf::sigmoid(tf::matmul(x, weights)); });
  EXPECT_FALSE(tf::summary::trace_export("not_on", 0));  // tracing was not on
  f(tf::constant({{1.0f, 2.0f}}));                       // traced before trace_on: not recorded
  tf::summary::trace_on({.graph = true});
  f(tf::constant({{1.0f, 2.0f}}));
  f(tf::constant({{1.0f, 2.0f}}));  // the same concrete function is recorded once
  {
    auto scope = w.as_default();
    EXPECT_TRUE(tf::summary::trace_export("my_func_trace", 0));
    EXPECT_FALSE(tf::summary::trace_export("again", 0));  // export stops tracing
    EXPECT_TRUE(tf::summary::graph(f.concrete_functions().front().graph().as_graph_def()));
  }
  w.flush();
  auto s = summaries_of(w);
  ASSERT_EQ(s.size(), 2u);
  const auto& v = s[0].values[0];
  EXPECT_EQ(v.tag, "my_func_trace");
  EXPECT_EQ(v.plugin_name, "graph_run_metadata_graph");
  EXPECT_EQ(v.plugin_content, "1");
  auto graphs = ser::run_metadata_function_ops(v.tensor.item<std::string>());
  ASSERT_EQ(graphs.size(), 1u);
  auto has = [](const std::vector<std::string>& ops, const std::string& op) {
    return std::find(ops.begin(), ops.end(), op) != ops.end();
  };
  EXPECT_TRUE(has(graphs[0], "MatMul"));
  EXPECT_TRUE(has(graphs[0], "Sigmoid"));
  EXPECT_TRUE(has(graphs[0], "ReadVariableOp"));
  auto graph_ops = ser::graph_def_ops(s[1].graph_def);
  EXPECT_TRUE(has(graph_ops, "MatMul"));
  EXPECT_TRUE(has(graph_ops, "Sigmoid"));
}

}  // namespace
