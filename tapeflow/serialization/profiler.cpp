// The op profiler and its Chrome trace writer (profiler.h).
#include "tapeflow/serialization/profiler.h"

#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "tapeflow/core/errors.h"
#include "tapeflow/core/op_profiler.h"
#include "tapeflow/serialization/event_writer.h"

namespace tapeflow::profiler {
namespace {

struct OpEvent {
  const char* name;
  Device device;
  std::size_t thread;
  int64_t start_ns, end_ns;
  std::string shapes;  // "(2, 3), (3, 4)"
};

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

// Never destroyed (a thread may still be inside op_ran when stop() uninstalls it).
class Recorder final : public OpProfiler {
 public:
  void op_ran(const OpDef& op, Device device, std::span<const Tensor> inputs, std::span<const Tensor> /*outputs*/,
              int64_t start_ns, int64_t end_ns) override {
    std::ostringstream shapes;
    for (std::size_t i = 0; i < inputs.size(); ++i) shapes << (i ? ", " : "") << inputs[i].shape();
    const std::size_t thread = std::hash<std::thread::id>()(std::this_thread::get_id());
    std::lock_guard lock(mu);
    events.push_back({op.name, device, thread, start_ns, end_ns, shapes.str()});
  }
  std::mutex mu;
  std::vector<OpEvent> events;
  std::string logdir;
  int64_t origin_ns = 0;
  bool on = false;
};

Recorder& recorder() {
  static Recorder* r = new Recorder;
  return *r;
}
std::mutex& control_mutex() {
  static auto* mu = new std::mutex;
  return *mu;
}

// TF names a profile run by its start time: 2024_01_31_12_00_00.
std::string run_name() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y_%m_%d_%H_%M_%S", &tm);
  return buf;
}

// Chrome's trace-event format: one process per device (named by metadata events), one
// thread row per host thread, complete ("X") events in microseconds from the start.
std::string chrome_trace(const std::vector<OpEvent>& events, int64_t origin_ns) {
  std::vector<Device> devices;
  std::vector<std::size_t> threads;
  auto index_of = [](auto& list, const auto& v) {
    for (std::size_t i = 0; i < list.size(); ++i)
      if (list[i] == v) return i;
    list.push_back(v);
    return list.size() - 1;
  };
  std::ostringstream body;
  body.precision(3);
  body << std::fixed;
  for (const OpEvent& e : events) {
    const std::size_t pid = index_of(devices, e.device) + 1, tid = index_of(threads, e.thread) + 1;
    body << ",\n{\"ph\":\"X\",\"cat\":\"Op\",\"name\":\"" << e.name << "\",\"pid\":" << pid << ",\"tid\":" << tid
         << ",\"ts\":" << double(e.start_ns - origin_ns) / 1e3 << ",\"dur\":" << double(e.end_ns - e.start_ns) / 1e3
         << ",\"args\":{\"device\":\"" << e.device.str() << "\",\"shapes\":\"" << json_escape(e.shapes) << "\"}}";
  }
  std::ostringstream out;
  out << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  out << "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":0,\"args\":{\"name\":\"Tapeflow\"}}";
  for (std::size_t i = 0; i < devices.size(); ++i)
    out << ",\n{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" << i + 1
        << ",\"args\":{\"name\":\"/device:" << devices[i].str() << "\"}}";
  out << body.str() << "\n]}\n";
  return out.str();
}

void write_gzip(const std::string& path, const std::string& data) {
  gzFile f = gzopen(path.c_str(), "wb");
  TF_CHECK_TYPED(f != nullptr, FailedPreconditionError, "", "profiler: cannot create '", path, "'");
  const int written = gzwrite(f, data.data(), static_cast<unsigned>(data.size()));
  const int closed = gzclose(f);
  TF_CHECK_TYPED(written == static_cast<int>(data.size()) && closed == Z_OK, DataLossError, "", "profiler: writing '",
                 path, "' failed");
}

void start_locked(const std::string& logdir) {
  Recorder& r = recorder();
  TF_CHECK_TYPED(!r.on, AlreadyExistsError, "", "profiler: another profiler is running");
  {
    std::lock_guard lock(r.mu);
    r.events.clear();
    r.logdir = logdir;
    r.origin_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
  }
  r.on = true;
  set_op_profiler(&r);
}

std::string stop_locked(const std::string& logdir) {
  Recorder& r = recorder();
  TF_CHECK_TYPED(r.on, FailedPreconditionError, "", "profiler::stop: no profiler is running");
  set_op_profiler(nullptr);
  r.on = false;
  std::vector<OpEvent> events;
  {
    std::lock_guard lock(r.mu);
    events.swap(r.events);
  }
  TF_CHECK_ARG(!logdir.empty(), "", "profiler: no logdir to write the trace to");
  const std::filesystem::path dir = std::filesystem::path(logdir) / "plugins" / "profile" / run_name();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  TF_CHECK_TYPED(!ec, FailedPreconditionError, "", "profiler: cannot create '", dir.string(), "': ", ec.message());
  const std::string path = (dir / (serialization::host_name() + ".trace.json.gz")).string();
  write_gzip(path, chrome_trace(events, r.origin_ns));
  return path;
}

}  // namespace

void start(const std::string& logdir, ProfilerOptions) {
  TF_CHECK_ARG(!logdir.empty(), "", "profiler::start: logdir must not be empty");
  std::lock_guard control(control_mutex());
  start_locked(logdir);
}

std::string stop() {
  std::lock_guard control(control_mutex());
  return stop_locked(recorder().logdir);
}

void detail::start_recording() {
  std::lock_guard control(control_mutex());
  start_locked({});
}

std::string detail::stop_into(const std::string& logdir) {
  std::lock_guard control(control_mutex());
  return stop_locked(logdir);
}

void detail::discard_recording() {
  std::lock_guard control(control_mutex());
  Recorder& r = recorder();
  if (!r.on) return;
  set_op_profiler(nullptr);
  r.on = false;
  std::lock_guard lock(r.mu);
  r.events.clear();
}

bool running() {
  std::lock_guard control(control_mutex());
  return recorder().on;
}

}  // namespace tapeflow::profiler
