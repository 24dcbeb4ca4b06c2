// tf.summary: TensorBoard event files written from C++. A SummaryWriter (create_file_writer)
// made the default with as_default() receives scalar / histogram / image / text summaries,
// graphs, and the traces of trace_on/trace_export. Without a default writer a summary call
// writes nothing and returns false, as in TF.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tapeflow/core/tensor.h"
#include "tapeflow/graph/graph.h"
#include "tapeflow/serialization/event_writer.h"

namespace tapeflow::summary {

/// tf.summary.create_file_writer's options (max_queue, flush_millis, filename_suffix).
using FileWriterOptions = serialization::EventWriterOptions;

/// A handle to an event file writer (copies share it); the last handle closes the file.
class SummaryWriter {
 public:
  /// Pops the writer off this thread's default stack when destroyed (`with writer.as_default():`).
  class [[nodiscard]] DefaultScope {
   public:
    explicit DefaultScope(std::shared_ptr<serialization::EventFileWriter> writer, std::optional<int64_t> step);
    ~DefaultScope();
    DefaultScope(const DefaultScope&) = delete;
    DefaultScope& operator=(const DefaultScope&) = delete;

   private:
    std::optional<int64_t> previous_step_;
    bool set_step_ = false;
  };

  SummaryWriter() = default;
  explicit SummaryWriter(std::shared_ptr<serialization::EventFileWriter> impl) : impl_(std::move(impl)) {}
  /// Makes this the default writer of the calling thread until the scope ends; `step`, when
  /// given, is the default step (tf.summary.experimental.set_step) inside it.
  DefaultScope as_default(std::optional<int64_t> step = std::nullopt) const;
  /// Waits until every summary written so far is in the file (handed to the OS).
  void flush() const;
  /// Flushes and closes the file; later summaries to it raise FailedPreconditionError.
  void close() const;
  /// The event file's path.
  const std::string& path() const;
  bool defined() const { return impl_ != nullptr; }
  const std::shared_ptr<serialization::EventFileWriter>& impl() const { return impl_; }

 private:
  std::shared_ptr<serialization::EventFileWriter> impl_;
};

/// `tf::summary::create_file_writer("logs/run1", {.max_queue = 10, .flush_millis = 120000})`:
/// creates logdir and `events.out.tfevents.<secs>.<host>.<pid>.<n>.v2` in it.
/// FailedPreconditionError naming the logdir when it cannot be created or written.
SummaryWriter create_file_writer(const std::string& logdir, FileWriterOptions options = {});

struct ScalarOptions {
  std::string description;
};
struct HistogramOptions {
  int buckets = 30;
  std::string description;
};
struct ImageOptions {
  int max_outputs = 3;
  std::string description;
};
struct TextOptions {
  std::string description;
};

/// tf.summary.scalar: `data` a real scalar (any numeric dtype, stored as float32). Returns false
/// without a default writer. InvalidArgumentError naming `data` for a non-scalar or non-number.
/// `step` defaults to experimental::get_step(); InvalidArgumentError when neither is set.
bool scalar(std::string_view name, const Tensor& data, std::optional<int64_t> step = std::nullopt,
            const ScalarOptions& options = {});
bool scalar(std::string_view name, double data, std::optional<int64_t> step = std::nullopt,
            const ScalarOptions& options = {});
/// tf.summary.histogram: TensorBoard's bucketing of `data` (any shape, real dtype) into
/// `buckets` equal-width buckets, written as DT_DOUBLE [buckets, 3] rows (left, right, count).
bool histogram(std::string_view name, const Tensor& data, std::optional<int64_t> step = std::nullopt,
               const HistogramOptions& options = {});
/// tf.summary.image: `data` (k, h, w, c), c in {1, 3, 4}, uint8 or floating in [0, 1]; the
/// first max_outputs images as PNG, written as DT_STRING [2 + n] (width, height, PNGs...).
bool image(std::string_view name, const Tensor& data, std::optional<int64_t> step = std::nullopt,
           const ImageOptions& options = {});
/// tf.summary.text: a string tensor of any shape (Markdown in TensorBoard).
bool text(std::string_view name, const Tensor& data, std::optional<int64_t> step = std::nullopt,
          const TextOptions& options = {});
/// tf.summary.write: any tensor under `tag` with its SummaryMetadata's plugin, what the typed
/// summaries are built on (Keras's TensorBoard callback writes the model's JSON under "keras"
/// with plugin "graph_keras_model", content "1"). False without a default writer.
struct WriteOptions {
  std::string plugin_name;
  std::string plugin_content;
  std::string description;
};
bool write(std::string_view tag, const Tensor& tensor, std::optional<int64_t> step = std::nullopt,
           const WriteOptions& options = {});
/// tf.summary.graph: writes `graph_def` as the event's graph_def (TensorBoard's graph dashboard).
bool graph(const GraphDef& graph_def);
/// Flushes the default writer, if any (tf.summary.flush).
void flush();

namespace experimental {
/// The default step of summaries called without one (per thread, as TF's summary state).
void set_step(std::optional<int64_t> step);
std::optional<int64_t> get_step();
}  // namespace experimental

/// tf.summary.trace_on: from now on, the graph of every tf::Function called is recorded (graph),
/// and the ops executed are profiled (profiler) until trace_export or trace_off.
struct TraceOptions {
  bool graph = true;
  bool profiler = false;
};
void trace_on(TraceOptions options = {});
struct TraceExportOptions {
  std::string profiler_outdir;
};
/// tf.summary.trace_export: writes the recorded graphs to the default writer as one summary
/// `name` (plugin graph_run_metadata_graph: a RunMetadata whose function_graphs hold each
/// Function's pre-optimization GraphDef) and stops tracing. False without a default writer or
/// when tracing was not on.
bool trace_export(std::string_view name, std::optional<int64_t> step = std::nullopt,
                  const TraceExportOptions& options = {});
/// Stops tracing and drops what was recorded.
void trace_off();

}  // namespace tapeflow::summary
