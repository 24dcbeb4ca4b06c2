// K::callbacks::TensorBoard: what Keras's TensorBoard callback writes during fit(), as event
// files under log_dir: the `train/` run (epoch_<metric>, epoch_learning_rate, weight histograms
// every histogram_freq epochs, and as images with write_images, batch_<metric> every update_freq
// batches, the profiled batches' trace) and the `validation/` run (epoch_<metric>,
// evaluation_<metric>_vs_iterations). Include "tapeflow/nn/models/tensorboard.h".
#pragma once
#include <memory>
#include <string>

#include "tapeflow/nn/models/callbacks.h"
#include "tapeflow/serialization/summary.h"

namespace tapeflow::keras::callbacks {

/// Keras's update_freq: "epoch", "batch" (every batch) or an integer N (every N batches).
struct UpdateFreq {
  UpdateFreq(const char* freq);  // NOLINT: "epoch" or "batch"
  UpdateFreq(int batches);       // NOLINT
  int batches = 0;               // 0: per epoch only
};

/// Keras's profile_batch: the batches (counted from 1 over the whole fit) whose ops the profiler
/// records: N (that batch), {start, stop}, or "start,stop"; 0 disables profiling.
struct ProfileBatch {
  ProfileBatch(int batch);            // NOLINT
  ProfileBatch(int start, int stop);  // NOLINT: {start, stop}
  ProfileBatch(const char* batches);  // NOLINT: "start,stop" or "N"
  int start = 0, stop = 0;
};

/// Keras's TensorBoard options, in its order (embeddings are not supported).
struct TensorBoardOptions {
  std::string log_dir = "logs";
  int histogram_freq = 0;
  /// The model's config (its to_json) under the tag "keras" of the train run, step 0 (plugin
  /// graph_keras_model), for Sequential and functional models, as Keras 3 writes it.
  bool write_graph = true;
  /// With histogram_freq: each weight also as an image, "<path>/image" (Keras's layout).
  bool write_images = false;
  bool write_steps_per_second = false;
  UpdateFreq update_freq = "epoch";
  /// The batches traced: tf::summary::trace_on/trace_export("batch_<stop>") into the train run
  /// and tf::profiler's trace under <log_dir>/train/plugins/profile/.
  ProfileBatch profile_batch = 0;
};

class TensorBoard : public Callback {
 public:
  explicit TensorBoard(TensorBoardOptions options = {});
  void on_train_begin(const Logs& logs) override;
  void on_train_end(const Logs& logs) override;
  void on_epoch_begin(int epoch, const Logs& logs) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  void on_train_batch_begin(int batch, const Logs& logs) override;
  void on_train_batch_end(int batch, const Logs& logs) override;

 private:
  summary::SummaryWriter& train_writer();
  summary::SummaryWriter& val_writer();
  void log_weights(int epoch);
  void log_weight_as_image(const Tensor& weight, const std::string& tag, int epoch);
  void start_trace();
  void stop_trace();
  void write_keras_model_summary();

  TensorBoardOptions options_;
  // Shared so that copies of the callback (fit takes callbacks by value) share the files.
  std::shared_ptr<summary::SummaryWriter> train_, val_;
  int64_t global_train_batch_ = 0;
  double batch_start_ = 0, epoch_start_ = 0;
  int64_t epoch_start_iterations_ = 0;
  bool tracing_ = false, profiler_started_ = false;
};

}  // namespace tapeflow::keras::callbacks
