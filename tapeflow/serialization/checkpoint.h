// tf::train::Checkpoint: object-based checkpoints in TensorFlow's format (TensorBundle V2 and
// a TrackableObjectGraph), readable and restorable by TF in Python.
//   tf::train::Checkpoint ckpt({{"model", model}, {"optimizer", opt}});
//   ckpt.write("my_checkpoint");  auto path = ckpt.save("./save/model.ckpt");
//   ckpt.restore(tf::train::latest_checkpoint("./save")).assert_consumed();
#pragma once
#include <concepts>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tapeflow/serialization/object_graph.h"
#include "tapeflow/trackable/trackable.h"

namespace tapeflow::train {

/// Something a Checkpoint holds by name: any trackable (module, Keras layer/model, optimizer,
/// another Checkpoint), shared with the caller's handle, or a variable.
class Checkpointable {
 public:
  template <std::derived_from<Trackable> T>
  requires(!std::is_abstract_v<T>) Checkpointable(T object)
      : ref_{"", std::make_shared<T>(std::move(object)), Variable()} {}  // NOLINT
  /// An object known by an abstract reference (`{"optimizer", model.optimizer()}`): shared with
  /// its owner, which must hold it by std::shared_ptr (FailedPreconditionError otherwise).
  template <std::derived_from<Trackable> T>
  requires std::is_abstract_v<T> Checkpointable(T& object) : ref_{"", shared_handle(object), Variable()} {}  // NOLINT
  template <std::derived_from<Trackable> T>
  Checkpointable(std::shared_ptr<T> object) : ref_{"", std::move(object), Variable()} {}  // NOLINT
  Checkpointable(Variable variable) : ref_{"", nullptr, std::move(variable)} {}           // NOLINT
  const TrackableReference& reference() const { return ref_; }

 private:
  static std::shared_ptr<Trackable> shared_handle(Trackable& object);
  TrackableReference ref_;
};

/// What restore() matched (TF's CheckpointLoadStatus). The assertions raise tf::AssertionError.
class CheckpointLoadStatus {
 public:
  explicit CheckpointLoadStatus(std::shared_ptr<const serialization::RestoreResult> result)
      : result_(std::move(result)) {}
  /// Every value in the checkpoint was restored (deferred ones included, once created) and every
  /// live variable got a value.
  const CheckpointLoadStatus& assert_consumed() const;
  /// Every live variable got a value (values for objects not created yet may wait).
  const CheckpointLoadStatus& assert_existing_objects_matched() const;
  /// At least one value was restored beyond the root.
  const CheckpointLoadStatus& assert_nontrivial_match() const;
  /// Silences the warnings about unrestored values (Tapeflow prints none: a no-op kept for TF code).
  const CheckpointLoadStatus& expect_partial() const { return *this; }
  /// The checkpoint keys restored so far (deferred ones appear once applied).
  std::vector<std::string> restored_keys() const;
  /// The keys still waiting for their variable to be created.
  std::vector<std::string> pending_keys() const;

 private:
  std::shared_ptr<const serialization::RestoreResult> result_;
};

class Checkpoint : public Trackable {
 public:
  /// `tf::train::Checkpoint ckpt({{"model", model}, {"optimizer", opt}, {"step", step}})`.
  explicit Checkpoint(std::vector<std::pair<std::string, Checkpointable>> objects);

  /// Writes `file_prefix`.index and .data-00000-of-00001 (the objects' variables and the object
  /// graph, no save counter) and returns the prefix. Atomic per file; see the Note in checkpoint.cpp.
  std::string write(const std::string& file_prefix);
  /// Increments save_counter, writes `file_prefix-N` and records it in the directory's
  /// `checkpoint` state file (replaced last). Returns the path written.
  std::string save(const std::string& file_prefix);
  /// Restores a checkpoint written by write() or save() (or by TF). An empty path restores
  /// nothing: the status's assertions then fail, as TF's for save_path=None.
  CheckpointLoadStatus read(const std::string& save_path);
  CheckpointLoadStatus restore(const std::string& save_path);
  /// The number of save() calls (an int64 variable, created on first save or restore).
  Variable save_counter() const;

  const void* trackable_id() const override { return state_.get(); }
  std::vector<TrackableReference> trackable_children() const override;
  bool defer_variable_restore(const std::string& name, DeferredRestore restore) override;

 private:
  friend class CheckpointManager;
  /// write() with the save counter included (what save() and CheckpointManager write).
  std::string write_with_counter(const std::string& file_prefix);

  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace tapeflow::train
