#include "tapeflow/serialization/checkpoint_management.h"

#include <google/protobuf/text_format.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "checkpoint_state.pb.h"
#include "tapeflow/core/errors.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/serialization/file_io.h"
#include "tapeflow/serialization/tensor_bundle.h"

namespace tapeflow::train {

namespace fs = std::filesystem;

namespace {
constexpr const char* kStateFile = "checkpoint";

std::string state_path(const std::string& dir) { return (fs::path(dir) / kStateFile).string(); }

// TF's rule: a path in the state file is relative to the directory unless absolute.
std::string resolve(const std::string& dir, const std::string& p) {
  return fs::path(p).is_absolute() ? p : (fs::path(dir) / p).string();
}

// Stored relative to `dir` when it lies inside it (save_relative_paths=True, what TF2 writes).
std::string relative(const std::string& dir, const std::string& p) {
  const fs::path rel = fs::path(p).lexically_relative(dir);
  if (rel.empty() || *rel.begin() == "..") return p;
  return rel.string();
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

std::optional<CheckpointState> get_checkpoint_state(const std::string& checkpoint_dir) {
  const std::string path = state_path(checkpoint_dir);
  if (!serialization::file_exists(path)) return std::nullopt;
  tensorflow::CheckpointState proto;
  if (!google::protobuf::TextFormat::ParseFromString(serialization::read_file(path), &proto))
    throw errors::DataLossError("Corrupted checkpoint state file " + path + ": not a text CheckpointState");
  CheckpointState s;
  s.model_checkpoint_path = resolve(checkpoint_dir, proto.model_checkpoint_path());
  for (const auto& p : proto.all_model_checkpoint_paths())
    s.all_model_checkpoint_paths.push_back(resolve(checkpoint_dir, p));
  s.all_model_checkpoint_timestamps.assign(proto.all_model_checkpoint_timestamps().begin(),
                                           proto.all_model_checkpoint_timestamps().end());
  s.last_preserved_timestamp = proto.last_preserved_timestamp();
  return s;
}

void update_checkpoint_state(const std::string& checkpoint_dir, const CheckpointState& state) {
  tensorflow::CheckpointState proto;
  proto.set_model_checkpoint_path(relative(checkpoint_dir, state.model_checkpoint_path));
  for (const auto& p : state.all_model_checkpoint_paths)
    proto.add_all_model_checkpoint_paths(relative(checkpoint_dir, p));
  for (double t : state.all_model_checkpoint_timestamps) proto.add_all_model_checkpoint_timestamps(t);
  proto.set_last_preserved_timestamp(state.last_preserved_timestamp);
  std::string text;
  google::protobuf::TextFormat::PrintToString(proto, &text);
  serialization::write_file_atomically(state_path(checkpoint_dir), text);
}

std::string latest_checkpoint(const std::string& checkpoint_dir) {
  auto state = get_checkpoint_state(checkpoint_dir);
  if (!state || state->model_checkpoint_path.empty()) return "";
  if (!serialization::file_exists(serialization::index_filename(state->model_checkpoint_path))) return "";
  return state->model_checkpoint_path;
}

// ---- CheckpointManager -----------------------------------------------------------------------

CheckpointManager::CheckpointManager(Checkpoint checkpoint, std::string directory, CheckpointManagerOptions options)
    : checkpoint_(std::move(checkpoint)), directory_(std::move(directory)), options_(std::move(options)) {
  TF_CHECK_ARG(!options_.checkpoint_interval || options_.step_counter.defined(), "",
               "`step_counter` should be passed if `checkpoint_interval` is not None.");
  TF_CHECK_ARG(!options_.max_to_keep || *options_.max_to_keep > 0, "", "max_to_keep must be positive or std::nullopt");
  fs::create_directories(directory_);
  last_preserved_ = now_seconds();  // TF's: the period counts from the manager's creation
  if (auto state = get_checkpoint_state(directory_)) {
    latest_ = state->model_checkpoint_path;
    const auto& paths = state->all_model_checkpoint_paths;
    const auto& stamps = state->all_model_checkpoint_timestamps;
    const double now = now_seconds();
    for (std::size_t i = 0; i < paths.size(); ++i)
      maybe_delete_.emplace_back(paths[i], stamps.size() == paths.size() ? stamps[i] : now);
    if (state->last_preserved_timestamp > 0) last_preserved_ = state->last_preserved_timestamp;
    if (!serialization::file_exists(serialization::index_filename(latest_))) latest_.clear();
  }
}

std::vector<std::string> CheckpointManager::checkpoints() const {
  std::vector<std::string> out;
  for (const auto& [p, t] : maybe_delete_) out.push_back(p);
  return out;
}

void CheckpointManager::record_state() {
  CheckpointState s;
  s.model_checkpoint_path = latest_;
  for (const auto& [p, t] : maybe_delete_) {
    s.all_model_checkpoint_paths.push_back(p);
    s.all_model_checkpoint_timestamps.push_back(t);
  }
  s.last_preserved_timestamp = last_preserved_;
  update_checkpoint_state(directory_, s);
}

void CheckpointManager::sweep() {
  if (!options_.max_to_keep) return;
  while (maybe_delete_.size() > static_cast<std::size_t>(*options_.max_to_keep)) {
    auto [path, stamp] = maybe_delete_.front();
    maybe_delete_.erase(maybe_delete_.begin());
    if (options_.keep_checkpoint_every_n_hours &&
        stamp - last_preserved_ > *options_.keep_checkpoint_every_n_hours * 3600.0) {
      last_preserved_ = stamp;  // kept on disk, no longer managed
      continue;
    }
    std::error_code ec;
    fs::remove(serialization::index_filename(path), ec);
    fs::remove(serialization::data_filename(path, 0, 1), ec);
  }
}

std::string CheckpointManager::save(std::optional<int64_t> checkpoint_number, bool check_interval) {
  if (options_.checkpoint_interval) {
    const int64_t step = options_.step_counter.read_value().dtype() == DType::kInt32
                             ? options_.step_counter.item<int32_t>()
                             : options_.step_counter.item<int64_t>();
    if (last_step_) {
      if (step == *last_step_) return "";
      if (check_interval && step < *last_step_ + *options_.checkpoint_interval) return "";
    }
    last_step_ = step;
  }
  Variable counter = checkpoint_.save_counter();
  counter.assign_add(constant(int64_t{1}));
  const int64_t number = checkpoint_number.value_or(counter.item<int64_t>());
  const std::string prefix = (fs::path(directory_) / options_.checkpoint_name).string() + "-" + std::to_string(number);
  const std::string path = checkpoint_.write_with_counter(prefix);
  std::erase_if(maybe_delete_, [&](const auto& e) { return e.first == path; });
  maybe_delete_.emplace_back(path, now_seconds());
  latest_ = path;
  // The state names the new checkpoint before anything old is deleted, and again after.
  record_state();
  sweep();
  record_state();
  return path;
}

std::string CheckpointManager::restore_or_initialize() {
  if (!latest_.empty()) {
    checkpoint_.restore(latest_);
    return latest_;
  }
  if (options_.init_fn) options_.init_fn();
  return "";
}

}  // namespace tapeflow::train
