#include "tapeflow/serialization/checkpoint.h"

#include <algorithm>
#include <filesystem>

#include "tapeflow/core/errors.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/serialization/checkpoint_management.h"

namespace tapeflow::train {

// Note [Checkpoint writes]: each checkpoint file is written under a temporary name, fsynced,
// and renamed into place, the data file before the index; save() replaces the directory's
// `checkpoint` state file (same protocol) only after both. A process killed at any moment
// therefore leaves the state file naming a checkpoint whose two files are complete: either the
// previous one or the new one. (write() over an existing prefix can pair a new data file with
// the old index for an instant; the reader's CRCs then report DataLossError, never wrong values.)

struct Checkpoint::State {
  std::vector<TrackableReference> children;  // sorted by name, as TF's Checkpoint tracks kwargs
  Variable save_counter;
};

std::shared_ptr<Trackable> Checkpointable::shared_handle(Trackable& object) {
  std::shared_ptr<Trackable> handle = object.weak_from_this().lock();
  TF_CHECK_TYPED(handle != nullptr, FailedPreconditionError, "",
                 "Checkpoint: an object given by reference must be owned by a std::shared_ptr (as a compiled "
                 "model's optimizer is); pass the object itself or a std::shared_ptr to it");
  return handle;
}

Checkpoint::Checkpoint(std::vector<std::pair<std::string, Checkpointable>> objects)
    : state_(std::make_shared<State>()) {
  for (auto& [name, obj] : objects) {
    TF_CHECK_ARG(!name.empty(), "", "tf.train.Checkpoint: an object needs a non-empty name");
    TF_CHECK_ARG(name != "save_counter", "",
                 "tf.train.Checkpoint: 'save_counter' is reserved for the checkpoint's own counter");
    TrackableReference ref = obj.reference();
    TF_CHECK_ARG(ref.object || ref.variable.defined(), "", "tf.train.Checkpoint: object '", name, "' is undefined");
    ref.name = name;
    for (const auto& c : state_->children)
      TF_CHECK_ARG(c.name != name, "", "tf.train.Checkpoint: two objects are named '", name, "'");
    state_->children.push_back(std::move(ref));
  }
  std::stable_sort(state_->children.begin(), state_->children.end(),
                   [](const TrackableReference& a, const TrackableReference& b) { return a.name < b.name; });
}

std::vector<TrackableReference> Checkpoint::trackable_children() const {
  std::vector<TrackableReference> out = state_->children;
  if (state_->save_counter.defined()) out.push_back({"save_counter", nullptr, state_->save_counter});
  return out;
}

namespace {
Variable make_save_counter() { return Variable(constant(int64_t{0}), {.name = "save_counter", .trainable = false}); }
}  // namespace

bool Checkpoint::defer_variable_restore(const std::string& name, DeferredRestore restore) {
  if (name != "save_counter") return false;
  if (!state_->save_counter.defined()) state_->save_counter = make_save_counter();
  restore(state_->save_counter);
  return true;
}

Variable Checkpoint::save_counter() const {
  if (!state_->save_counter.defined()) state_->save_counter = make_save_counter();
  return state_->save_counter;
}

namespace {
struct WithoutCounter : Trackable {  // write() stores exactly the user's objects, as TF's does
  std::shared_ptr<Trackable> root;
  std::vector<TrackableReference> children;
  const void* trackable_id() const override { return root->trackable_id(); }
  std::vector<TrackableReference> trackable_children() const override { return children; }
};
}  // namespace

std::string Checkpoint::write(const std::string& file_prefix) {
  auto self = std::make_shared<Checkpoint>(*this);
  auto root = std::make_shared<WithoutCounter>();
  root->root = self;
  root->children = state_->children;
  serialization::write_object_graph_checkpoint(root, file_prefix);
  return file_prefix;
}

std::string Checkpoint::write_with_counter(const std::string& file_prefix) {
  serialization::write_object_graph_checkpoint(std::make_shared<Checkpoint>(*this), file_prefix);
  return file_prefix;
}

std::string Checkpoint::save(const std::string& file_prefix) {
  Variable counter = save_counter();
  counter.assign_add(constant(int64_t{1}));
  const std::string path = write_with_counter(file_prefix + "-" + std::to_string(counter.item<int64_t>()));
  std::string dir = std::filesystem::path(file_prefix).parent_path().string();
  if (dir.empty()) dir = ".";
  CheckpointState state;
  state.model_checkpoint_path = path;
  state.all_model_checkpoint_paths = {path};
  update_checkpoint_state(dir, state);
  return path;
}

CheckpointLoadStatus Checkpoint::read(const std::string& save_path) { return restore(save_path); }

CheckpointLoadStatus Checkpoint::restore(const std::string& save_path) {
  if (save_path.empty()) return CheckpointLoadStatus(nullptr);
  std::string path = save_path;
  if (std::filesystem::is_directory(path)) {
    path = latest_checkpoint(path);
    if (path.empty()) throw errors::NotFoundError("Failed to find any matching files for " + save_path);
  }
  auto result = serialization::restore_object_graph_checkpoint(std::make_shared<Checkpoint>(*this), path);
  return CheckpointLoadStatus(std::make_shared<const serialization::RestoreResult>(std::move(result)));
}

// ---- load status -----------------------------------------------------------------------------

namespace {
[[noreturn]] void no_checkpoint() {
  throw AssertionError("No checkpoint specified (save_path=None); nothing is being restored.");
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::vector<std::string> unrestored_live(const serialization::RestoreResult& r) {
  std::vector<std::string> out;
  for (const auto& p : r.unrestored_live)
    if (p != "save_counter") out.push_back(p);  // created by save(), absent from write()'s files
  return out;
}
}  // namespace

std::vector<std::string> CheckpointLoadStatus::pending_keys() const {
  std::vector<std::string> out;
  if (!result_) return out;
  const auto& d = *result_->deferred;
  for (std::size_t i = 0; i < d.keys.size(); ++i)
    if (!d.applied[i]) out.push_back(d.keys[i]);
  return out;
}

std::vector<std::string> CheckpointLoadStatus::restored_keys() const {
  std::vector<std::string> out;
  if (!result_) return out;
  out = result_->restored_keys;
  const auto& d = *result_->deferred;
  for (std::size_t i = 0; i < d.keys.size(); ++i)
    if (d.applied[i]) out.push_back(d.keys[i]);
  return out;
}

const CheckpointLoadStatus& CheckpointLoadStatus::assert_consumed() const {
  if (!result_) no_checkpoint();
  if (!result_->unmatched_keys.empty())
    throw AssertionError("Unresolved object in checkpoint " + result_->save_path + ": no object matched the values " +
                         join(result_->unmatched_keys));
  if (auto pending = pending_keys(); !pending.empty())
    throw AssertionError("Unresolved object in checkpoint " + result_->save_path +
                         ": values waiting for variables that were never created: " + join(pending));
  return assert_existing_objects_matched();
}

const CheckpointLoadStatus& CheckpointLoadStatus::assert_existing_objects_matched() const {
  if (!result_) no_checkpoint();
  if (auto live = unrestored_live(*result_); !live.empty())
    throw AssertionError("Some objects had attributes which were not restored: " + join(live) + " (checkpoint " +
                         result_->save_path + ")");
  return *this;
}

const CheckpointLoadStatus& CheckpointLoadStatus::assert_nontrivial_match() const {
  if (!result_) no_checkpoint();
  if (restored_keys().empty())
    throw AssertionError("No checkpoint values were matched to objects (checkpoint " + result_->save_path + ")");
  return *this;
}

}  // namespace tapeflow::train
