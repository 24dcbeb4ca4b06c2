// K::callbacks::BackupAndRestore (Keras 3): backs up the model, its optimizer and the epoch at
// every epoch end, so a fit that was interrupted (an exception, a kill) resumes where the last
// backup left it, with the same optimizer state; the backup is deleted when fit completes.
// The backup is a TensorFlow checkpoint written through a CheckpointManager (atomic: the
// directory's `checkpoint` state file is replaced last).
#pragma once
#include <memory>
#include <string>

#include "tapeflow/core/variable.h"
#include "tapeflow/nn/models/callbacks.h"

namespace tapeflow::train {
class CheckpointManager;
}

namespace tapeflow::keras::callbacks {

struct BackupAndRestoreOptions {
  std::string backup_dir;
  /// "epoch": back up at the end of every epoch (the only frequency Tapeflow resumes from).
  std::string save_freq = "epoch";
  /// Keep the previous backup too (two checkpoints in backup_dir instead of one).
  bool double_checkpoint = false;
  /// Delete backup_dir when fit completes (not when it is interrupted).
  bool delete_checkpoint = true;
};

/// `model.fit(x, y, {.epochs = 10, .callbacks = {K::callbacks::BackupAndRestore({.backup_dir = "backup"})}})`:
/// run again after a crash, the same call continues at the epoch after the last backup and ends
/// with the weights an uninterrupted fit gives (bit for bit with a seeded shuffle).
class BackupAndRestore : public Callback {
 public:
  explicit BackupAndRestore(BackupAndRestoreOptions options);
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  void on_train_end(const Logs& logs) override;

 private:
  BackupAndRestoreOptions options_;
  Variable epoch_;  // int64: the number of epochs completed, saved with the model
  std::shared_ptr<train::CheckpointManager> manager_;
};

}  // namespace tapeflow::keras::callbacks
