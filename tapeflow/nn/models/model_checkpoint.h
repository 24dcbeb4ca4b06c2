// K::callbacks::ModelCheckpoint: saves the model's weights at the end of epochs as TensorFlow
// checkpoints (model.save_weights), the path formatted from the epoch and the logs as Keras
// formats it: "ckpt/{epoch:02d}-{val_loss:.2f}". With save_best_only, only when `monitor`
// improves. Include "tapeflow/nn/models/model_checkpoint.h".
#pragma once
#include <limits>
#include <optional>
#include <string>

#include "tapeflow/nn/models/callbacks.h"

namespace tapeflow::keras::callbacks {

struct ModelCheckpointOptions {
  std::string filepath;
  std::string monitor = "val_loss";
  int verbose = 0;
  bool save_best_only = false;
  /// Tapeflow saves weights only (TF checkpoint format); false raises UnimplementedError until
  /// whole-model saving (model.save) exists.
  bool save_weights_only = false;
  std::string mode = "auto";  // "min", "max", or "auto" (max for accuracy-like names)
  std::string save_freq = "epoch";
  std::optional<double> initial_value_threshold;
};

class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(ModelCheckpointOptions options);
  void on_epoch_end(int epoch, const Logs& logs) override;
  /// The path of the last save ("" before any).
  const std::string& last_saved() const { return last_saved_; }

 private:
  ModelCheckpointOptions options_;
  bool maximize_;
  double best_;
  std::string last_saved_;
};

/// Python's str.format over {epoch} and the logs, for the fields Keras paths use:
/// "{epoch:02d}", "{val_loss:.2f}", "{name}". An unknown name raises InvalidArgumentError.
std::string format_checkpoint_path(const std::string& pattern, int epoch, const Logs& logs);

}  // namespace tapeflow::keras::callbacks
