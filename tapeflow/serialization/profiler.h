// tf.profiler: records every op the door runs (name, device, thread, start, duration, input
// shapes) between start() and stop(), and writes them as a Chrome trace-event JSON, gzip'ed, at
// <logdir>/plugins/profile/<run>/<host>.trace.json.gz (Perfetto and chrome://tracing open it).
// Off, it costs the door one relaxed atomic load per op.
#pragma once
#include <string>

namespace tapeflow::profiler {

struct ProfilerOptions {
  int host_tracer_level = 2;  // accepted for TF's signature; every op is recorded
};

/// tf.profiler.experimental.start: AlreadyExistsError when a profiler is already running.
void start(const std::string& logdir, ProfilerOptions options = {});
/// tf.profiler.experimental.stop: writes the trace and returns its path. FailedPreconditionError
/// when no profiler is running; the trace file's errors are typed and name it.
std::string stop();
/// Whether a profiler is running.
bool running();

namespace detail {
/// tf::summary::trace_on({.profiler = true}) starts recording before the logdir is known;
/// trace_export names it (profiler_outdir, else the default writer's logdir).
void start_recording();
std::string stop_into(const std::string& logdir);
/// Stops recording and drops what was recorded (trace_off).
void discard_recording();
}  // namespace detail

}  // namespace tapeflow::profiler
