#include "tapeflow/nn/models/backup_and_restore.h"

#include <filesystem>

#include "tapeflow/core/errors.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/nn/models/model.h"
#include "tapeflow/serialization/checkpoint_management.h"

namespace tapeflow::keras::callbacks {

BackupAndRestore::BackupAndRestore(BackupAndRestoreOptions options) : options_(std::move(options)) {
  TF_CHECK_ARG(!options_.backup_dir.empty(), "", "BackupAndRestore: empty `backup_dir` argument passed");
  TF_CHECK_ARG(options_.save_freq == "epoch", "", "BackupAndRestore: save_freq must be \"epoch\", got \"",
               options_.save_freq, "\" (Tapeflow resumes at epoch boundaries)");
}

void BackupAndRestore::on_train_begin(const Logs&) {
  Model& m = model();
  epoch_ = Variable(constant(int64_t{0}), {.trainable = false});
  train::Checkpoint ckpt(
      {{"model", std::static_pointer_cast<Trackable>(m.clone())}, {"optimizer", m.optimizer()}, {"epoch", epoch_}});
  train::CheckpointManagerOptions keep;
  keep.max_to_keep = options_.double_checkpoint ? 2 : 1;
  manager_ = std::make_shared<train::CheckpointManager>(ckpt, options_.backup_dir, keep);
  const std::string latest = manager_->latest_checkpoint();
  if (latest.empty()) return;
  // Slots the optimizer creates at its first step are restored then (deferred restoration).
  manager_->checkpoint().restore(latest).assert_existing_objects_matched();
  m.resume_epoch = static_cast<int>(epoch_.item<int64_t>());
}

void BackupAndRestore::on_epoch_end(int epoch, const Logs&) {
  epoch_.assign(constant(int64_t{epoch + 1}));
  manager_->save();
}

void BackupAndRestore::on_train_end(const Logs&) {
  manager_.reset();
  if (options_.delete_checkpoint) std::filesystem::remove_all(options_.backup_dir);
}

}  // namespace tapeflow::keras::callbacks
