// The TensorBoard callback (tensorboard.h), following keras/src/callbacks/tensorboard.py.
#include "tapeflow/nn/models/tensorboard.h"

#include <chrono>
#include <filesystem>
#include <iostream>

#include "tapeflow/core/errors.h"
#include "tapeflow/core/logging.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/serialization/profiler.h"
#include "tapeflow/nn/layers/layer.h"
#include "tapeflow/nn/models/model.h"
#include "tapeflow/nn/models/model_config.h"
#include "tapeflow/nn/optimizers/optimizer.h"

namespace tapeflow::keras::callbacks {
namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

UpdateFreq::UpdateFreq(const char* freq) {
  const std::string f = freq ? freq : "";
  TF_CHECK_ARG(f == "epoch" || f == "batch", "",
               "TensorBoard: update_freq must be \"epoch\", \"batch\" or an integer, got \"", f, "\"");
  batches = f == "batch" ? 1 : 0;
}

UpdateFreq::UpdateFreq(int n) : batches(n) {
  TF_CHECK_ARG(n > 0, "", "TensorBoard: an integer update_freq must be positive, got ", n);
}

namespace {
[[noreturn]] void bad_profile_batch(const std::string& found) {
  TF_THROW(InvalidArgumentError, "",
           "profile_batch must be a non-negative integer or 2-tuple of positive integers. A pair of positive "
           "integers signifies a range of batches to profile. Found: ",
           found);
}
void check_profile_batch(int start, int stop, const std::string& found) {
  if (start < 0 || stop < start) bad_profile_batch(found);
}
}  // namespace

ProfileBatch::ProfileBatch(int batch) : start(batch), stop(batch) {
  check_profile_batch(start, stop, std::to_string(batch));
}
ProfileBatch::ProfileBatch(int start_batch, int stop_batch) : start(start_batch), stop(stop_batch) {
  check_profile_batch(start, stop, "(" + std::to_string(start) + ", " + std::to_string(stop) + ")");
}
ProfileBatch::ProfileBatch(const char* batches) {
  const std::string s = batches ? batches : "";
  // Keras: str(profile_batch).split(","), each part int(): one or two integers.
  auto parse = [&](const std::string& part) {
    std::size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(part, &used);
    } catch (const std::exception&) { bad_profile_batch(s); }
    while (used < part.size() && part[used] == ' ') ++used;
    if (used != part.size()) bad_profile_batch(s);
    return v;
  };
  const std::size_t comma = s.find(',');
  if (comma == std::string::npos) {
    start = stop = parse(s);
  } else {
    start = parse(s.substr(0, comma));
    stop = parse(s.substr(comma + 1));
  }
  check_profile_batch(start, stop, s);
}

TensorBoard::TensorBoard(TensorBoardOptions options) : options_(std::move(options)) {
  TF_CHECK_ARG(options_.histogram_freq >= 0, "", "TensorBoard: histogram_freq must be >= 0, got ",
               options_.histogram_freq);
}

summary::SummaryWriter& TensorBoard::train_writer() {
  if (!train_)
    train_ = std::make_shared<summary::SummaryWriter>(
        summary::create_file_writer((std::filesystem::path(options_.log_dir) / "train").string()));
  return *train_;
}

summary::SummaryWriter& TensorBoard::val_writer() {
  if (!val_)
    val_ = std::make_shared<summary::SummaryWriter>(
        summary::create_file_writer((std::filesystem::path(options_.log_dir) / "validation").string()));
  return *val_;
}

void TensorBoard::on_train_begin(const Logs&) {
  global_train_batch_ = 0;
  train_writer();  // Keras creates the train run at the start: an unwritable log_dir fails here
  if (options_.write_graph) write_keras_model_summary();
}

// Keras's _write_keras_model_summary: model.to_json() as a string scalar under "keras", step 0;
// a model without a config (subclassed, custom objects) is skipped with a warning, as in Keras.
void TensorBoard::write_keras_model_summary() {
  const Model& m = model();
  if (m.class_name() != "Sequential" && m.class_name() != "Functional") return;
  std::string json;
  try {
    json = saving::serialize_keras_object(m);
  } catch (const errors::UnimplementedError& e) {
    std::cerr << "WARNING: TensorBoard: model \"" << m.name() << "\" has no Keras config, so its graph is not "
              << "written: " << e.message() << "\n";
    return;
  }
  auto scope = train_writer().as_default();
  summary::write("keras", detail::constant_from_strings({json}, Shape{}), 0,
                 {.plugin_name = "graph_keras_model", .plugin_content = "1", .description = ""});
}

void TensorBoard::on_train_end(const Logs&) {
  if (tracing_) stop_trace();
  if (train_) train_->close();
  if (val_) val_->close();
  train_.reset();
  val_.reset();
}

void TensorBoard::on_epoch_begin(int, const Logs&) {
  if (options_.write_steps_per_second) {
    epoch_start_ = now_seconds();
    epoch_start_iterations_ = model().optimizer().iterations();
  }
}

void TensorBoard::on_train_batch_begin(int, const Logs&) {
  ++global_train_batch_;
  if (options_.write_steps_per_second) batch_start_ = now_seconds();
  const ProfileBatch& p = options_.profile_batch;
  if (!(p.start == 0 && p.stop == 0) && global_train_batch_ == p.start) start_trace();
}

void TensorBoard::on_train_batch_end(int, const Logs& logs) {
  const int every = options_.update_freq.batches;
  if (every != 0 && global_train_batch_ % every == 0) {  // Keras's record_if
    auto scope = train_writer().as_default();
    if (options_.write_steps_per_second)
      summary::scalar("batch_steps_per_second", 1.0 / (now_seconds() - batch_start_), global_train_batch_);
    for (const auto& [name, value] : logs) summary::scalar("batch_" + name, value, global_train_batch_);
  }
  if (tracing_ && global_train_batch_ >= options_.profile_batch.stop) stop_trace();
}

// Keras's _start_trace/_stop_trace: the graph trace and the profiler; profiler errors are logged,
// not fatal (another profiler may be running).
void TensorBoard::start_trace() {
  summary::trace_on({.graph = true, .profiler = false});
  try {
    profiler::start((std::filesystem::path(options_.log_dir) / "train").string());
    profiler_started_ = true;
  } catch (const errors::OpError& e) { logging::warning(std::string("Failed to start profiler: ") + e.what()); }
  tracing_ = true;
}

void TensorBoard::stop_trace() {
  const int batch = options_.profile_batch.stop;
  {
    auto scope = train_writer().as_default();
    summary::trace_export("batch_" + std::to_string(batch), batch);
  }
  if (profiler_started_) {
    profiler_started_ = false;
    try {
      profiler::stop();
    } catch (const errors::OpError& e) { logging::warning(std::string("Failed to stop profiler: ") + e.what()); }
  }
  tracing_ = false;
}

void TensorBoard::on_epoch_end(int epoch, const Logs& logs) {
  Logs train_logs, val_logs;
  for (const auto& [name, value] : logs) {
    if (name.rfind("val_", 0) == 0)
      val_logs[name.substr(4)] = value;
    else
      train_logs[name] = value;
  }
  optimizers::Optimizer& optimizer = model().optimizer();
  if (!val_logs.empty()) {
    // Keras writes these at the end of the validation pass (on_test_end), before the epoch's.
    auto scope = val_writer().as_default();
    for (const auto& [name, value] : val_logs)
      summary::scalar("evaluation_" + name + "_vs_iterations", value, optimizer.iterations());
  }
  train_logs["learning_rate"] = optimizer.learning_rate();
  if (options_.write_steps_per_second)
    train_logs["steps_per_second"] =
        double(optimizer.iterations() - epoch_start_iterations_) / (now_seconds() - epoch_start_);
  {
    auto scope = train_writer().as_default();
    for (const auto& [name, value] : train_logs) summary::scalar("epoch_" + name, value, epoch);
  }
  if (!val_logs.empty()) {
    auto scope = val_writer().as_default();
    for (const auto& [name, value] : val_logs) summary::scalar("epoch_" + name, value, epoch);
  }
  if (options_.histogram_freq > 0 && epoch % options_.histogram_freq == 0) log_weights(epoch);
}

// Keras 3 tags a weight by its path: "<model>/<layer>/<weight>" for a Sequential model (its
// layers are built inside it), "<layer>/<weight>" for a functional one.
void TensorBoard::log_weights(int epoch) {
  const Model& m = model();
  const std::string prefix = m.class_name() == "Sequential" ? m.name() + "/" : std::string();
  auto scope = train_writer().as_default();
  for (const auto& layer : m.layers())
    for (const auto& [name, variable] : layer->named_variables()) {
      const Tensor value = variable.read_value();
      summary::histogram(prefix + name + "/histogram", value, epoch);  // name: "dense/kernel"
      if (options_.write_images) log_weight_as_image(value, prefix + name + "/image", epoch);
    }
  train_writer().flush();
}

// Keras's _log_weight_as_image: a bias as a column, a Dense kernel with its longer side across,
// a Conv kernel (h, w, c_in, c_out) squeezed to 3-D as one image per leading channel; any other
// shape, and images with more than 4 channels, are not written.
void TensorBoard::log_weight_as_image(const Tensor& weight, const std::string& tag, int epoch) {
  Tensor w = squeeze(weight);
  if (w.ndim() == 1) {
    w = reshape(w, Shape{1, w.shape()[0], 1, 1});
  } else if (w.ndim() == 2) {
    if (w.shape()[0] > w.shape()[1]) w = transpose(w);
    w = reshape(w, Shape{1, w.shape()[0], w.shape()[1], 1});
  } else if (w.ndim() == 3) {
    w = transpose(w, {2, 0, 1});  // channels_last: every kernel a separate image
    w = reshape(w, Shape{w.shape()[0], w.shape()[1], w.shape()[2], 1});
  }
  const int64_t channels = w.ndim() == 4 ? w.shape()[3] : 0;
  if (channels == 1 || channels == 3 || channels == 4) summary::image(tag, w, epoch);
}

}  // namespace tapeflow::keras::callbacks
