// tf::summary: the default-writer stack, the summary kinds and graph tracing (summary.h).
#include "tapeflow/serialization/summary.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <vector>

#include "graph.pb.h"
#include "summary.pb.h"
#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/errors.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/graph/function.h"
#include "tapeflow/serialization/graph_def_proto.h"
#include "tapeflow/serialization/png.h"
#include "tapeflow/serialization/profiler.h"
#include "tapeflow/serialization/summary_protos.h"

namespace tapeflow::summary {
namespace {

using serialization::EventFileWriter;

// TF keeps the default writer per thread (`_summary_state` is a threading.local).
thread_local std::vector<std::shared_ptr<EventFileWriter>> default_writers;

// The default step is per thread too (`_summary_state.step`).
thread_local std::optional<int64_t> default_step;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

EventFileWriter* default_writer() { return default_writers.empty() ? nullptr : default_writers.back().get(); }

int64_t resolve_step(std::optional<int64_t> step, std::string_view name) {
  if (step) return *step;
  TF_CHECK_ARG(default_step.has_value(), "", "summary '", name,
               "': no step set; pass one or call tf::summary::experimental::set_step");
  return *default_step;
}

void check_defined(const Tensor& data, std::string_view kind, std::string_view name) {
  TF_CHECK_ARG(data.defined(), "", "tf::summary::", kind, "('", name, "'): data is an undefined Tensor");
}

// ---- summaries inside a traced tf::function ----------------------------------------------------
// Note [Summaries in graphs]: as in TF, a summary called while tracing becomes a node (TF's
// WriteSummary: no outputs, so stateful and kept in program order) that writes each time the
// function runs, to the writer that was the default when it was traced, at the step resolved then
// (TF captures the writer resource, and a step given as a number, at trace time). Without a
// default writer at trace time nothing is recorded and the call returns false, as TF's does.
// The node's kernel runs the eager summary on the value the graph computed.
enum class SummaryKind : uint8_t { kScalar, kHistogram, kImage, kText };
struct WriteSummaryAttrs : OpAttrsBase<WriteSummaryAttrs> {
  std::shared_ptr<EventFileWriter> writer;
  SummaryKind kind = SummaryKind::kScalar;
  std::string tag, description;
  int64_t step = 0;
  int count = 0;  // histogram: buckets; image: max_outputs
  std::string to_string() const override { return "tag=\"" + tag + "\", step=" + std::to_string(step); }
};

void write_summary_kernel(KernelContext& ctx) {
  const auto& a = ctx.attr<WriteSummaryAttrs>();
  const Tensor& data = ctx.input(0);
  // Eager work inside a kernel: no tracer or tape may see the summary's own ops.
  InterceptorPause no_trace;
  struct Restore {
    int tapes = std::exchange(tape_hook_depth(), 0);
    ~Restore() {
      tape_hook_depth() = tapes;
      default_writers.pop_back();
    }
  } restore;
  default_writers.push_back(a.writer);
  switch (a.kind) {
    case SummaryKind::kScalar: scalar(a.tag, data, a.step, {.description = a.description}); break;
    case SummaryKind::kHistogram:
      histogram(a.tag, data, a.step, {.buckets = a.count, .description = a.description});
      break;
    case SummaryKind::kImage: image(a.tag, data, a.step, {.max_outputs = a.count, .description = a.description}); break;
    case SummaryKind::kText: text(a.tag, data, a.step, {.description = a.description}); break;
  }
}

const OpDef& write_summary_op() {
  static OpDef op{.name = "WriteSummary", .placement = Placement::kHostOnly};
  static std::once_flag once;
  std::call_once(once, [] { register_kernel(op, DeviceType::kCPU, write_summary_kernel); });
  return op;
}

bool record_in_graph(SummaryKind kind, std::string_view name, const Tensor& data, std::optional<int64_t> step,
                     const std::string& description, int count = 0) {
  if (default_writers.empty()) return false;
  WriteSummaryAttrs attrs;
  attrs.writer = default_writers.back();
  attrs.kind = kind;
  attrs.tag = std::string(name);
  attrs.description = description;
  attrs.step = resolve_step(step, name);
  attrs.count = count;
  dispatch(write_summary_op(), std::span<const Tensor>(&data, 1), &attrs, {});
  return true;
}

bool is_real(DType dt) { return dt != DType::kString && dt != DType::kBool; }

// A summary whose tensor the caller built: the Event is serialized here and queued.
void write_tensor_summary(EventFileWriter& w, std::string_view tag, int64_t step, std::string_view plugin,
                          std::string_view content, std::string_view description, const Tensor& tensor) {
  tensorflow::Event event;
  tensorflow::Summary::Value& v =
      serialization::init_summary_event(event, tag, step, now_seconds(), plugin, content, description);
  serialization::tensor_to_proto(tensor, *v.mutable_tensor());
  w.write_event(event.SerializeAsString());
}

// TensorBoard's histogram bucketing (tensorboard/plugins/histogram/summary_v2.py `_buckets`),
// in float64 with its exact arithmetic: width = range / k, index = floor((x - min) / width)
// clamped to k - 1, edges min + i * width with the last edge exactly max.
std::vector<double> histogram_buckets(const std::vector<double>& data, int k) {
  k = std::max(k, 0);
  std::vector<double> rows(static_cast<std::size_t>(k) * 3, 0.0);
  if (data.empty() || k == 0) return rows;
  const auto [lo, hi] = std::minmax_element(data.begin(), data.end());
  const double min = *lo, max = *hi, range = max - min;
  if (range == 0) {  // one distinct value: every edge is it; the last bucket holds all
    for (int i = 0; i < k; ++i) rows[3 * i] = rows[3 * i + 1] = max;
    rows[3 * (k - 1) + 2] = static_cast<double>(data.size());
    return rows;
  }
  const double width = range / static_cast<double>(k);
  for (double x : data) {
    const double index = std::floor((x - min) / width);
    if (!(index >= 0)) continue;  // NaN: TF's cast gives a negative index, whose one-hot row is zero
    const int i = index >= k - 1 ? k - 1 : static_cast<int>(index);
    rows[3 * i + 2] += 1.0;
  }
  for (int i = 0; i < k; ++i) {
    rows[3 * i] = min + static_cast<double>(i) * width;
    rows[3 * i + 1] = i + 1 == k ? max : min + static_cast<double>(i + 1) * width;
  }
  return rows;
}

// tf.image.convert_image_dtype(x, uint8, saturate=True) for floating x: x * 255.5, clamped to
// [0, 255], truncated; computed in the input's precision (float64 stays float64).
template <typename F> uint8_t float_to_pixel(F x) {
  const F scaled = x * static_cast<F>(255.5);
  if (!(scaled > 0)) return 0;  // also NaN
  if (scaled >= 255) return 255;
  return static_cast<uint8_t>(scaled);
}

// ---- trace_on / trace_export ------------------------------------------------------------------
struct TraceState {
  std::mutex mu;
  bool on = false;
  TraceOptions options;
  std::vector<ConcreteFunction> functions;  // each distinct function called, in first-call order
};
TraceState& trace_state() {
  static TraceState* s = new TraceState;  // never destroyed: Functions may run during exit
  return *s;
}

void record_function_call(const ConcreteFunction& f) {
  TraceState& s = trace_state();
  std::lock_guard lock(s.mu);
  if (!s.on || !s.options.graph) return;
  for (const ConcreteFunction& seen : s.functions)
    if (seen.impl() == f.impl()) return;
  s.functions.push_back(f);
}

}  // namespace

SummaryWriter::DefaultScope::DefaultScope(std::shared_ptr<EventFileWriter> writer, std::optional<int64_t> step) {
  if (step) {
    set_step_ = true;
    previous_step_ = experimental::get_step();
    experimental::set_step(step);
  }
  default_writers.push_back(std::move(writer));
}

SummaryWriter::DefaultScope::~DefaultScope() {
  default_writers.pop_back();
  if (set_step_) experimental::set_step(previous_step_);
}

SummaryWriter::DefaultScope SummaryWriter::as_default(std::optional<int64_t> step) const {
  TF_CHECK_TYPED(impl_ != nullptr, FailedPreconditionError, "", "as_default() on an empty SummaryWriter");
  return DefaultScope(impl_, step);
}

void SummaryWriter::flush() const {
  if (impl_) impl_->flush();
}
void SummaryWriter::close() const {
  if (impl_) impl_->close();
}
const std::string& SummaryWriter::path() const {
  TF_CHECK_TYPED(impl_ != nullptr, FailedPreconditionError, "", "path() of an empty SummaryWriter");
  return impl_->path();
}

SummaryWriter create_file_writer(const std::string& logdir, FileWriterOptions options) {
  return SummaryWriter(std::make_shared<EventFileWriter>(logdir, std::move(options)));
}

bool scalar(std::string_view name, const Tensor& data, std::optional<int64_t> step, const ScalarOptions& options) {
  check_defined(data, "scalar", name);
  TF_CHECK_ARG(data.rank() == 0, "", "tf::summary::scalar('", name, "'): data must be a scalar, got shape ",
               data.shape());
  TF_CHECK_ARG(is_real(data.dtype()), "", "tf::summary::scalar('", name, "'): data must be a real number, got dtype ",
               dtype_name(data.dtype()));
  if (data.is_symbolic()) return record_in_graph(SummaryKind::kScalar, name, data, step, options.description);
  EventFileWriter* w = default_writer();
  if (w == nullptr) return false;
  const float value = cast(data, DType::kFloat32).item<float>();
  if (!options.description.empty()) {
    write_tensor_summary(*w, name, resolve_step(step, name), "scalars", {}, options.description,
                         Tensor(cast(data, DType::kFloat32)));
    return true;
  }
  w->write_scalar(std::string(name), value, resolve_step(step, name), now_seconds());
  return true;
}

bool scalar(std::string_view name, double data, std::optional<int64_t> step, const ScalarOptions& options) {
  EventFileWriter* w = default_writer();
  if (w == nullptr) return false;
  if (!options.description.empty()) return scalar(name, Tensor(constant(static_cast<float>(data))), step, options);
  w->write_scalar(std::string(name), static_cast<float>(data), resolve_step(step, name), now_seconds());
  return true;
}

bool histogram(std::string_view name, const Tensor& data, std::optional<int64_t> step,
               const HistogramOptions& options) {
  check_defined(data, "histogram", name);
  TF_CHECK_ARG(is_real(data.dtype()), "", "tf::summary::histogram('", name, "'): data must be real numbers, got dtype ",
               dtype_name(data.dtype()));
  TF_CHECK_ARG(options.buckets >= 0, "", "tf::summary::histogram('", name, "'): buckets must be >= 0, got ",
               options.buckets);
  if (data.is_symbolic())
    return record_in_graph(SummaryKind::kHistogram, name, data, step, options.description, options.buckets);
  EventFileWriter* w = default_writer();
  if (w == nullptr) return false;
  const int64_t s = resolve_step(step, name);
  const std::vector<double> values = cast(data, DType::kFloat64).cpu().to_vector<double>();
  const std::vector<double> rows = histogram_buckets(values, options.buckets);
  Tensor buckets = constant(rows, Shape{options.buckets, 3}, DType::kFloat64);
  write_tensor_summary(*w, name, s, "histograms", {}, options.description, buckets);
  return true;
}

bool image(std::string_view name, const Tensor& data, std::optional<int64_t> step, const ImageOptions& options) {
  check_defined(data, "image", name);
  TF_CHECK_ARG(data.rank() == 4, "", "tf::summary::image('", name, "'): data must be rank 4 (k, h, w, c), got shape ",
               data.shape());
  const int64_t c = data.shape()[3];
  TF_CHECK_ARG(c == 1 || c == 3 || c == 4 || (c < 0 && data.is_symbolic()), "", "tf::summary::image('", name,
               "'): data must have 1, 3 or 4 channels, got shape ", data.shape());
  const DType dt = data.dtype();
  TF_CHECK_ARG(dt == DType::kUInt8 || dt == DType::kFloat32 || dt == DType::kFloat64 || dt == DType::kFloat16 ||
                   dt == DType::kBFloat16,
               "", "tf::summary::image('", name, "'): data must be uint8 or floating, got dtype ", dtype_name(dt));
  TF_CHECK_ARG(options.max_outputs >= 0, "", "tf::summary::image('", name, "'): max_outputs must be >= 0, got ",
               options.max_outputs);
  if (data.is_symbolic())
    return record_in_graph(SummaryKind::kImage, name, data, step, options.description, options.max_outputs);
  EventFileWriter* w = default_writer();
  if (w == nullptr) return false;
  const int64_t s = resolve_step(step, name);
  const int64_t h = data.shape()[1], wd = data.shape()[2];
  const int64_t n = std::min<int64_t>(data.shape()[0], options.max_outputs);
  const int64_t per_image = h * wd * c;
  std::vector<uint8_t> pixels;
  pixels.reserve(static_cast<std::size_t>(n * per_image));
  if (n > 0) {
    const Tensor kept = data[slice(0, n)];
    if (dt == DType::kUInt8) {
      pixels = kept.cpu().to_vector<uint8_t>();
    } else if (dt == DType::kFloat64) {
      for (double x : kept.cpu().to_vector<double>()) pixels.push_back(float_to_pixel(x));
    } else {
      for (float x : cast(kept, DType::kFloat32).cpu().to_vector<float>()) pixels.push_back(float_to_pixel(x));
    }
  }
  std::vector<std::string> parts = {std::to_string(wd), std::to_string(h)};
  if (h > 0 && wd > 0)
    for (int64_t i = 0; i < n; ++i)
      parts.push_back(serialization::encode_png(pixels.data() + i * per_image, static_cast<int>(wd),
                                                static_cast<int>(h), static_cast<int>(c)));
  const int64_t count = static_cast<int64_t>(parts.size());
  write_tensor_summary(*w, name, s, "images", {}, options.description, constant(parts, Shape{count}));
  return true;
}

bool text(std::string_view name, const Tensor& data, std::optional<int64_t> step, const TextOptions& options) {
  check_defined(data, "text", name);
  TF_CHECK_ARG(data.dtype() == DType::kString, "", "tf::summary::text('", name,
               "'): data must be a string tensor, got dtype ", dtype_name(data.dtype()));
  if (data.is_symbolic()) return record_in_graph(SummaryKind::kText, name, data, step, options.description);
  EventFileWriter* w = default_writer();
  if (w == nullptr) return false;
  write_tensor_summary(*w, name, resolve_step(step, name), "text", {}, options.description, data);
  return true;
}

bool write(std::string_view tag, const Tensor& tensor, std::optional<int64_t> step, const WriteOptions& options) {
  check_defined(tensor, "write", tag);
  TF_CHECK_TYPED(!tensor.is_symbolic(), UnimplementedError, "", "tf::summary::write('", tag,
                 "') inside a tf::function is not supported yet");
  EventFileWriter* w = default_writer();
  if (w == nullptr) return false;
  write_tensor_summary(*w, tag, resolve_step(step, tag), options.plugin_name, options.plugin_content,
                       options.description, tensor);
  return true;
}

bool graph(const GraphDef& graph_def) {
  EventFileWriter* w = default_writer();
  if (w == nullptr) return false;
  tensorflow::Event event;
  event.set_wall_time(now_seconds());
  event.set_graph_def(serialization::serialize_graph_def(graph_def));
  w->write_event(event.SerializeAsString());
  return true;
}

void flush() {
  if (EventFileWriter* w = default_writer()) w->flush();
}

namespace experimental {
void set_step(std::optional<int64_t> step) { default_step = step; }
std::optional<int64_t> get_step() { return default_step; }
}  // namespace experimental

void trace_on(TraceOptions options) {
  TraceState& s = trace_state();
  std::lock_guard lock(s.mu);
  if (s.on) return;  // TF warns "Trace already enabled" and keeps the running trace
  if (options.profiler) profiler::detail::start_recording();  // AlreadyExistsError if one runs
  s.on = true;
  s.options = options;
  s.functions.clear();
  tapeflow::detail::set_function_call_observer(record_function_call);
}

void trace_off() {
  TraceState& s = trace_state();
  std::lock_guard lock(s.mu);
  if (s.on && s.options.profiler) profiler::detail::discard_recording();
  s.on = false;
  s.functions.clear();
  tapeflow::detail::set_function_call_observer(nullptr);
}

bool trace_export(std::string_view name, std::optional<int64_t> step, const TraceExportOptions& options) {
  std::vector<ConcreteFunction> functions;
  bool profiling = false;
  {
    TraceState& s = trace_state();
    std::lock_guard lock(s.mu);
    if (!s.on) return false;  // TF warns "Cannot export trace because trace has not been started"
    functions = s.functions;
    profiling = s.options.profiler;
  }
  EventFileWriter* w = default_writer();
  if (profiling) {
    // The trace goes to profiler_outdir, else beside the default writer's events (TF's rule).
    std::string outdir = options.profiler_outdir;
    if (outdir.empty() && w != nullptr) outdir = w->logdir();
    if (outdir.empty()) {
      trace_off();
      TF_THROW(InvalidArgumentError, "", "trace_export('", name,
               "'): profiling needs profiler_outdir or a default writer to place the trace");
    }
    {
      TraceState& s = trace_state();
      std::lock_guard lock(s.mu);
      s.options.profiler = false;  // trace_off below must not drop it
    }
    profiler::detail::stop_into(outdir);
  }
  bool written = false;
  if (w != nullptr) {
    tensorflow::RunMetadata run_metadata;
    for (const ConcreteFunction& f : functions)
      serialization::to_graph_def_proto(f.graph().as_graph_def(),
                                        *run_metadata.add_function_graphs()->mutable_pre_optimization_graph());
    Tensor bytes = constant(std::vector<std::string>{run_metadata.SerializeAsString()}, Shape{});
    write_tensor_summary(*w, name, resolve_step(step, name), "graph_run_metadata_graph", "1", {}, bytes);
    written = true;
  }
  trace_off();
  return written;
}

}  // namespace tapeflow::summary
