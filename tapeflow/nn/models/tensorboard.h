// K::callbacks::TensorBoard: what Keras's TensorBoard callback writes during fit(), as event
// files under log_dir: the `train/` run (epoch_<metric>, epoch_learning_rate, weight histograms
// every histogram_freq epochs, batch_<metric> every update_freq batches) and the `validation/`
// run (epoch_<metric>, evaluation_<metric>_vs_iterations). Include "tapeflow/nn/models/tensorboard.h".
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

/// Keras's TensorBoard options, in its order (profile_batch and embeddings are not supported).
struct TensorBoardOptions {
  std::string log_dir = "logs";
  int histogram_freq = 0;
  bool write_graph = true;  // Keras 3 writes the model config ("keras" tag): not written yet
  bool write_images = false;
  bool write_steps_per_second = false;
  UpdateFreq update_freq = "epoch";
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

  TensorBoardOptions options_;
  // Shared so that copies of the callback (fit takes callbacks by value) share the files.
  std::shared_ptr<summary::SummaryWriter> train_, val_;
  int64_t global_train_batch_ = 0;
  double batch_start_ = 0, epoch_start_ = 0;
  int64_t epoch_start_iterations_ = 0;
};

}  // namespace tapeflow::keras::callbacks
