// The `checkpoint` state file of a checkpoint directory (text-format CheckpointState, as TF
// writes it), tf::train::latest_checkpoint, and tf::train::CheckpointManager (numbered saves,
// max_to_keep, keep_checkpoint_every_n_hours, checkpoint_interval).
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tapeflow/serialization/checkpoint.h"

namespace tapeflow::train {

struct CheckpointState {
  std::string model_checkpoint_path;
  std::vector<std::string> all_model_checkpoint_paths;
  std::vector<double> all_model_checkpoint_timestamps;
  double last_preserved_timestamp = 0;
};

/// The state in `checkpoint_dir`/checkpoint with paths made absolute-or-joined to the directory
/// (std::nullopt when there is none; DataLossError when it does not parse).
std::optional<CheckpointState> get_checkpoint_state(const std::string& checkpoint_dir);
/// Replaces the state file atomically; paths inside the directory are stored relative to it.
void update_checkpoint_state(const std::string& checkpoint_dir, const CheckpointState& state);
/// The prefix of the newest checkpoint in `checkpoint_dir`, or "" when there is none (TF's None).
std::string latest_checkpoint(const std::string& checkpoint_dir);

struct CheckpointManagerOptions {
  std::optional<int> max_to_keep = 5;  // std::nullopt keeps every checkpoint
  std::optional<double> keep_checkpoint_every_n_hours;
  std::string checkpoint_name = "ckpt";
  std::optional<int64_t> checkpoint_interval;  // needs step_counter
  Variable step_counter;                       // an integer scalar variable (the training step)
  std::function<void()> init_fn;               // restore_or_initialize's initializer
};

class CheckpointManager {
 public:
  /// Manages `checkpoint`'s saves in `directory` (created when missing), recovering the list of
  /// checkpoints a previous manager recorded there.
  CheckpointManager(Checkpoint checkpoint, std::string directory, CheckpointManagerOptions options = {});

  /// Saves `directory/ckpt-N` (N = save_counter, or checkpoint_number), updates the state file,
  /// then deletes checkpoints beyond max_to_keep. With checkpoint_interval, returns "" (saves
  /// nothing) until step_counter has advanced by the interval since the last save.
  std::string save(std::optional<int64_t> checkpoint_number = std::nullopt, bool check_interval = true);
  /// Restores the latest checkpoint and returns its path, or runs init_fn and returns "".
  std::string restore_or_initialize();
  std::string latest_checkpoint() const { return latest_; }
  /// The managed checkpoints, oldest first.
  std::vector<std::string> checkpoints() const;
  const std::string& directory() const { return directory_; }
  Checkpoint& checkpoint() { return checkpoint_; }

 private:
  void record_state();
  void sweep();

  Checkpoint checkpoint_;
  std::string directory_;
  CheckpointManagerOptions options_;
  std::vector<std::pair<std::string, double>> maybe_delete_;  // (path, timestamp), oldest first
  std::string latest_;
  double last_preserved_ = 0;
  std::optional<int64_t> last_step_;
};

}  // namespace tapeflow::train
